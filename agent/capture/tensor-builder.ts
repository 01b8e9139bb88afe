import type { TensorRecipe } from '../core/detector-recipe.js';
import { computeLetterbox, type Letterbox, type Size } from '../core/letterbox.js';
import type { TensorKernel } from '../util/tensor-kernel.js';
import type { CvBinding, CvMat } from './opencv-binding.js';

/**
 * The detector's input from a BGR frame. The agent's capture threads send
 * the compact form (buildCompact: resized, 8-bit), which the inference
 * worker expands (agent/util/detector-input.ts); build() makes the whole
 * NCHW float32 tensor on this thread for what runs the analyzer in-process
 * (tools, tests, the benchmark). OpenCV resizes (SIMD); native/tensor-kernel
 * writes the letterboxed planes in one pass (768×576 → 416²: 0.6 ms a frame
 * against 2.1 ms for OpenCV's border + blobFromImage + copy, which remains
 * the fallback when the addon is not built).
 */
export class DetectorTensorBuilder {
  constructor(
    private readonly cv: CvBinding,
    private readonly recipe: TensorRecipe,
    private readonly kernel: TensorKernel | undefined,
  ) {}

  /**
   * What the capture thread sends (issue 16): the frame resized to the
   * letterbox's inner size, 8-bit BGR HWC (agent/util/detector-input.ts); the
   * inference worker expands it into the float tensor. ~0.4 MB against 2 MB
   * for a queued frame, and the resize, the costly part, still runs here.
   */
  buildCompact(frame: CvMat): ArrayBuffer {
    const { recipe } = this;
    const lb = computeLetterbox({ width: frame.cols, height: frame.rows }, recipe, recipe.placement);
    const resized = frame.resize(lb.resized.height, lb.resized.width, 0, 0, this.cv.INTER_LINEAR);
    try {
      return ownBuffer(resized.getData());
    } finally {
      resized.release();
    }
  }

  /** The whole NCHW float32 tensor on this thread: for tools, tests and the benchmark, which run the analyzer in-process. */
  build(frame: CvMat): ArrayBuffer {
    const { recipe } = this;
    const source: Size = { width: frame.cols, height: frame.rows };
    const lb = computeLetterbox(source, { width: recipe.width, height: recipe.height }, recipe.placement);
    const resized = frame.resize(lb.resized.height, lb.resized.width, 0, 0, this.cv.INTER_LINEAR);
    try {
      return this.kernel ? this.fillPlanes(resized, lb) : this.blobWithOpenCv(resized, lb);
    } finally {
      resized.release();
    }
  }

  private fillPlanes(resized: CvMat, lb: Letterbox): ArrayBuffer {
    const { recipe } = this;
    const tensor = new ArrayBuffer(3 * recipe.width * recipe.height * Float32Array.BYTES_PER_ELEMENT);
    const pixels = resized.getData();
    this.kernel!.letterboxPlanar(
      pixels,
      lb.resized.width,
      lb.resized.height,
      tensor,
      recipe.width,
      recipe.height,
      lb.padX,
      lb.padY,
      recipe.scale,
      recipe.padValue,
      recipe.channelOrder === 'rgb',
    );
    return tensor;
  }

  private blobWithOpenCv(resized: CvMat, lb: Letterbox): ArrayBuffer {
    const { cv, recipe } = this;
    const pad = new cv.Vec3(recipe.padValue, recipe.padValue, recipe.padValue);
    const padded = resized.copyMakeBorder(
      lb.padY,
      recipe.height - lb.resized.height - lb.padY,
      lb.padX,
      recipe.width - lb.resized.width - lb.padX,
      cv.BORDER_CONSTANT,
      pad,
    );
    const blob = cv.blobFromImage(padded, recipe.scale, new cv.Size(recipe.width, recipe.height), new cv.Vec3(0, 0, 0), recipe.channelOrder === 'rgb', false);
    const flat = blob.flattenFloat(3 * recipe.height, recipe.width);
    const bytes = flat.getData();
    for (const mat of [padded, blob, flat]) mat.release();
    return ownBuffer(bytes);
  }
}

/** Transfer needs a buffer of its own; a view into a larger one would hand over (and detach) all of it. */
export function ownBuffer(bytes: Buffer): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? (bytes.buffer as ArrayBuffer)
    : (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
}
