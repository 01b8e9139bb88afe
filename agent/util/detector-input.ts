import type { TensorRecipe } from '../core/detector-recipe.js';
import { computeLetterbox, type Size } from '../core/letterbox.js';
import type { TensorKernel } from './tensor-kernel.js';

/**
 * The detector's input travels from capture to inference compact (issue 16):
 * as the frame resized to the letterbox's inner size, 8-bit BGR, HWC (the
 * OpenCV resize runs on the capture thread), and becomes the NCHW float32
 * tensor only in the inference worker, in a buffer that worker reuses. A
 * queued frame then holds ~0.4 MB instead of a 2 MB float tensor (416²):
 * with a queue of 4 per camera, most of a busy camera's memory.
 */

/** Bytes of the compact input of a `source`-sized frame. */
export function compactInputBytes(source: Size, recipe: TensorRecipe): number {
  const { resized } = computeLetterbox(source, recipe, recipe.placement);
  return resized.width * resized.height * 3;
}

/** Bytes of the float32 tensor the recipe describes. */
export function tensorBytes(recipe: TensorRecipe): number {
  return 3 * recipe.width * recipe.height * Float32Array.BYTES_PER_ELEMENT;
}

/**
 * Writes the letterboxed, scaled planes of `compact` (a frame of `source`'s
 * size resized to the letterbox, BGR HWC) into `tensor`: native/tensor-kernel
 * in one pass, or the same arithmetic in JS when the addon is not built.
 */
export function expandDetectorInput(kernel: TensorKernel | undefined, compact: Uint8Array, source: Size, recipe: TensorRecipe, tensor: ArrayBuffer): void {
  const lb = computeLetterbox(source, recipe, recipe.placement);
  const { width: rw, height: rh } = lb.resized;
  if (compact.byteLength < rw * rh * 3) throw new RangeError(`detector input of ${compact.byteLength} bytes, expected ${rw * rh * 3} for ${source.width}×${source.height}`);
  const swapRB = recipe.channelOrder === 'rgb';
  if (kernel) {
    kernel.letterboxPlanar(compact, rw, rh, tensor, recipe.width, recipe.height, lb.padX, lb.padY, recipe.scale, recipe.padValue, swapRB);
    return;
  }
  const plane = recipe.width * recipe.height;
  const out = new Float32Array(tensor, 0, 3 * plane);
  out.fill(recipe.padValue * recipe.scale);
  for (let y = 0; y < rh; y++) {
    const row = (y + lb.padY) * recipe.width + lb.padX;
    for (let x = 0; x < rw; x++) {
      const src = (y * rw + x) * 3;
      for (let c = 0; c < 3; c++) out[(swapRB ? 2 - c : c) * plane + row + x] = compact[src + c]! * recipe.scale;
    }
  }
}
