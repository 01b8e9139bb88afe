import { findNativeAddon, loadNativeAddon } from './native-addon.js';

/**
 * native/tensor-kernel: the per-pixel loops of building input tensors, in C
 * (see tensor_kernel.c). Optional: without it the detector tensor is built
 * with OpenCV (capture/tensor-builder.ts) and classifier crops in JS
 * (inference/tensor-fill.ts), at more CPU a frame.
 */
export interface TensorKernel {
  /** An already resized BGR image into a letterboxed float NCHW tensor, padding filled. */
  letterboxPlanar(
    src: Uint8Array,
    srcWidth: number,
    srcHeight: number,
    dst: ArrayBuffer,
    dstWidth: number,
    dstHeight: number,
    offsetX: number,
    offsetY: number,
    scale: number,
    padValue: number,
    swapRB: boolean,
  ): void;
  /** A region of a BGR image, bilinear-resized into three float planes at `dstOffset`, each plane p mapped v × affine[p] + affine[3 + p]. */
  cropToPlanes(
    src: Uint8Array,
    srcWidth: number,
    srcHeight: number,
    regionX: number,
    regionY: number,
    regionWidth: number,
    regionHeight: number,
    dst: Float32Array,
    dstOffset: number,
    dstWidth: number,
    dstHeight: number,
    affine: Float64Array,
    swapRB: boolean,
  ): void;
}

const FOLDER = 'tensor-kernel';
const FILE = 'tensor_kernel.node';

/** Loads native/tensor-kernel in this thread; undefined when it was not built (`npm run build:native`). */
export function loadTensorKernel(): TensorKernel | undefined {
  return loadNativeAddon<TensorKernel>(FOLDER, FILE);
}

export function tensorKernelBuilt(): boolean {
  return findNativeAddon(FOLDER, FILE) !== undefined;
}
