import type { LetterboxPlacement } from './letterbox.js';

/** The detector families whose output inference can decode (config's detector.type). */
export const DETECTOR_TYPES = ['yolox', 'yolov8'] as const;
export type DetectorType = (typeof DETECTOR_TYPES)[number];

/** How a detector family wants its input tensor filled. */
export interface InputRecipe {
  readonly placement: LetterboxPlacement;
  readonly channelOrder: 'bgr' | 'rgb';
  /** Multiplier from 0..255 pixel values to the model's input range. */
  readonly scale: number;
  readonly padValue: number;
}

/**
 * The detector's full input spec: its family's recipe at the model's input
 * size. Inference decides it from the loaded model; capture builds tensors
 * to it without knowing where it came from.
 */
export interface TensorRecipe extends InputRecipe {
  readonly width: number;
  readonly height: number;
}
