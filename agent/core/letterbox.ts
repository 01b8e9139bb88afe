/**
 * Letterbox geometry: fit a source frame into a model input without
 * distorting it. Pure maths, no pixels, so it can be checked by hand.
 */
export interface Size {
  readonly width: number;
  readonly height: number;
}

export interface Letterbox {
  /** Scale applied to the source frame (same on both axes). */
  readonly scale: number;
  /** Size of the resized frame inside the model input. */
  readonly resized: Size;
  /** Offset of the resized frame inside the model input (padding before it). */
  readonly padX: number;
  readonly padY: number;
}

export type LetterboxPlacement = 'top_left' | 'center';

/**
 * YOLOX places the resized image at the top-left corner; YOLOv8 centres it.
 * The placement is part of the model's training recipe, so the decoder type
 * chooses it.
 */
export function computeLetterbox(source: Size, input: Size, placement: LetterboxPlacement): Letterbox {
  if (source.width <= 0 || source.height <= 0) {
    throw new RangeError(`source size must be positive, got ${source.width}x${source.height}`);
  }
  const scale = Math.min(input.width / source.width, input.height / source.height);
  const resized = {
    width: Math.max(1, Math.min(input.width, Math.round(source.width * scale))),
    height: Math.max(1, Math.min(input.height, Math.round(source.height * scale))),
  };
  if (placement === 'top_left') return { scale, resized, padX: 0, padY: 0 };
  return {
    scale,
    resized,
    padX: Math.floor((input.width - resized.width) / 2),
    padY: Math.floor((input.height - resized.height) / 2),
  };
}

/** Maps a box from model-input pixels back to source pixels, clamped to the frame. */
export function unletterboxBox(box: Box, lb: Letterbox, source: Size): Box {
  const x = (v: number): number => clamp((v - lb.padX) / lb.scale, 0, source.width);
  const y = (v: number): number => clamp((v - lb.padY) / lb.scale, 0, source.height);
  return [x(box[0]), y(box[1]), x(box[2]), y(box[3])];
}

/** [x1, y1, x2, y2] */
export type Box = readonly [number, number, number, number];

export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
