import type { Box } from './letterbox.js';

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * A square crop centred on the box, side = longer box side × `margin`, shifted
 * (not shrunk) to stay inside the frame where possible, then clamped. The
 * classifier was trained on roughly square, object-centred images, so a
 * square crop keeps the aspect ratio the classifier expects.
 */
export function squareCrop(box: Box, frameWidth: number, frameHeight: number, margin = 1): Rect {
  const cx = (box[0] + box[2]) / 2;
  const cy = (box[1] + box[3]) / 2;
  const side = Math.max(1, Math.round(Math.max(box[2] - box[0], box[3] - box[1]) * margin));
  const w = Math.min(side, frameWidth);
  const h = Math.min(side, frameHeight);
  const x = shiftInside(Math.round(cx - w / 2), w, frameWidth);
  const y = shiftInside(Math.round(cy - h / 2), h, frameHeight);
  return { x, y, width: w, height: h };
}

function shiftInside(start: number, length: number, limit: number): number {
  if (start < 0) return 0;
  if (start + length > limit) return limit - length;
  return start;
}
