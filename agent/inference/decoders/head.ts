import type { DetectorType, InputRecipe } from '../../core/detector-recipe.js';
import type { Size } from '../../core/letterbox.js';
import type { ModelShape } from '../model-shape.js';
import type { Candidate } from '../nms.js';

/** YOLOX and YOLOv8 predict on the stride-8, 16 and 32 grids of the input, in that order. */
export const GRID_STRIDES = [8, 16, 32] as const;

/** Output rows (YOLOX) or anchors (YOLOv8) for an input size: one per grid cell. */
export function gridCells(size: Size): number {
  return GRID_STRIDES.reduce((n, s) => n + (size.width / s) * (size.height / s), 0);
}

export interface DecodeOptions {
  readonly inputSize: Size;
  readonly scoreThreshold: number;
  /** Class ids to keep; null keeps every class. */
  readonly allowedClasses: ReadonlySet<number> | null;
}

/**
 * A detector output format. Adding a model family means adding one of these:
 * the rest of the pipeline (letterbox, NMS, mapping back to source pixels)
 * does not change.
 */
export interface DetectorHead {
  readonly type: DetectorType;
  readonly recipe: InputRecipe;
  /**
   * Checked once when the model loads, so a model of another family fails at
   * start with its shape named rather than on every frame: why an output of
   * `shape` cannot be decoded at `inputSize`, or null when it can.
   */
  outputMismatch(shape: ModelShape, inputSize: Size): string | null;
  /** Classes in an output of `shape`, or null when that dimension is dynamic. */
  classCount(shape: ModelShape): number | null;
  /** Boxes in model-input pixels, before NMS. */
  decode(output: Float32Array, dims: readonly number[], options: DecodeOptions): Candidate[];
}

/** Best class among the allowed ones for one row; scores read with a stride. */
export function bestClass(
  data: Float32Array,
  first: number,
  stride: number,
  classCount: number,
  allowed: ReadonlySet<number> | null,
): { classId: number; score: number } {
  let classId = -1;
  let score = -Infinity;
  for (let c = 0; c < classCount; c++) {
    if (allowed && !allowed.has(c)) continue;
    const s = data[first + c * stride]!;
    if (s > score) {
      score = s;
      classId = c;
    }
  }
  return { classId, score };
}
