import type { Box } from '../core/letterbox.js';

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * A square crop centred on the box, side = longer box side × `margin`,
 * shifted to stay inside the frame, and shrunk to the frame's shorter side
 * when it does not fit. The
 * classifier was trained on roughly square, object-centred images, so a
 * square crop keeps the aspect ratio the classifier expects.
 */
export function squareCrop(box: Box, frameWidth: number, frameHeight: number, margin = 1): Rect {
  const cx = (box[0] + box[2]) / 2;
  const cy = (box[1] + box[3]) / 2;
  const wanted = Math.max(1, Math.round(Math.max(box[2] - box[0], box[3] - box[1]) * margin));
  // Shrunk, never stretched, when the frame is smaller: the crop stays square so the object keeps its shape.
  const side = Math.min(wanted, frameWidth, frameHeight);
  const x = shiftInside(Math.round(cx - side / 2), side, frameWidth);
  const y = shiftInside(Math.round(cy - side / 2), side, frameHeight);
  return { x, y, width: side, height: side };
}

function shiftInside(start: number, length: number, limit: number): number {
  if (start < 0) return 0;
  if (start + length > limit) return limit - length;
  return start;
}
