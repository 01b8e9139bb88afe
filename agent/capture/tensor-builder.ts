import type { TensorRecipe } from '../core/detector-recipe.js';
import { computeLetterbox, type Letterbox, type Size } from '../core/letterbox.js';
import type { TensorKernel } from '../util/tensor-kernel.js';
import type { CvBinding, CvMat } from './opencv-binding.js';

/**
 * Tensors that came back from inference, kept for the next frames. Two or
 * three circulate at full rate (one being filled, one or two in inference);
 * a few more cover bursts. Extra ones are left to the GC.
 */
const MAX_SPARE_TENSORS = 4;

/**
 * Spare tensors, possibly shared by the cameras of one capture worker (issue
 * 16: 2 MB each, kept per camera they were most of a camera's memory): a
 * tensor back from one camera's inference is filled for the next frame of
 * any camera with the same input size. `limit` is read at every return.
 */
export class TensorSpares {
  private readonly buffers: ArrayBuffer[] = [];

  constructor(private readonly limit: () => number = () => MAX_SPARE_TENSORS) {}

  get count(): number {
    return this.buffers.length;
  }

  take(bytes: number): ArrayBuffer | undefined {
    const index = this.buffers.findIndex((b) => b.byteLength === bytes);
    return index < 0 ? undefined : this.buffers.splice(index, 1)[0];
  }

  give(tensor: ArrayBuffer): void {
    if (this.buffers.length < this.limit()) this.buffers.push(tensor);
  }
}

/**
 * Builds the detector's NCHW float32 input from a BGR frame on the capture
 * thread, so it overlaps with inference instead of queueing in front of
 * every run(). OpenCV resizes (SIMD); native/tensor-kernel then writes the
 * letterboxed planes in one pass into a tensor that came back from
 * inference (no 2 MB allocation and first-touch page faults per frame).
 * Measured here, 768×576 → 416²: 0.6 ms a frame against 2.1 ms for OpenCV's
 * border + blobFromImage + copy, which remains the fallback when the addon
 * is not built.
 */
export class DetectorTensorBuilder {
  private readonly bytes: number;

  constructor(
    private readonly cv: CvBinding,
    private readonly recipe: TensorRecipe,
    private readonly kernel: TensorKernel | undefined,
    private readonly spares: TensorSpares = new TensorSpares(),
  ) {
    this.bytes = 3 * recipe.width * recipe.height * Float32Array.BYTES_PER_ELEMENT;
  }

  get spareCount(): number {
    return this.spares.count;
  }

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

  /** A tensor back from inference: reused for a later frame when it has this recipe's size. */
  recycle(tensor: ArrayBuffer): void {
    if (this.kernel && tensor.byteLength === this.bytes) this.spares.give(tensor);
  }

  private fillPlanes(resized: CvMat, lb: Letterbox): ArrayBuffer {
    const { recipe } = this;
    const tensor = this.spares.take(this.bytes) ?? new ArrayBuffer(this.bytes);
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
