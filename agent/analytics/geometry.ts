import type { Anchor } from '../config/zones-schema.js';
import type { Box } from '../core/letterbox.js';

/**
 * Per-frame geometry of zones and lines (issue 15), in source pixels. Pure
 * and allocation-free: polygons are flat coordinate arrays, points two numbers.
 */

/** The anchor's x of box [x1, y1, x2, y2]. */
export function anchorX(box: Box, anchor: Anchor): number {
  if (anchor.endsWith('_left')) return box[0];
  if (anchor.endsWith('_right')) return box[2];
  return (box[0] + box[2]) / 2;
}

/** The anchor's y (y grows downwards). */
export function anchorY(box: Box, anchor: Anchor): number {
  if (anchor.startsWith('top_')) return box[1];
  if (anchor.startsWith('bottom_')) return box[3];
  return (box[1] + box[3]) / 2;
}

/**
 * Whether (x, y) is inside the polygon xs/ys (any simple polygon, concave
 * too), its edges and corners counting as inside so that an anchor resting on
 * a zone's border is not flipped by rounding. Even-odd ray casting.
 */
export function pointInPolygon(x: number, y: number, xs: ArrayLike<number>, ys: ArrayLike<number>): boolean {
  const n = xs.length;
  let inside = false;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = xs[i]!;
    const yi = ys[i]!;
    const xj = xs[j]!;
    const yj = ys[j]!;
    if (onSegment(x, y, xi, yi, xj, yj)) return true;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function onSegment(x: number, y: number, x1: number, y1: number, x2: number, y2: number): boolean {
  const crossed = (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1);
  const scale = Math.abs(x2 - x1) + Math.abs(y2 - y1);
  if (Math.abs(crossed) > 1e-9 * scale * scale) return false;
  return Math.min(x1, x2) <= x && x <= Math.max(x1, x2) && Math.min(y1, y2) <= y && y <= Math.max(y1, y2);
}

/** A line from (ax, ay) to (bx, by) in pixels, with what the per-frame test needs precomputed. */
export interface PixelLine {
  readonly ax: number;
  readonly ay: number;
  readonly dx: number;
  readonly dy: number;
  readonly length: number;
}

export function pixelLine(ax: number, ay: number, bx: number, by: number): PixelLine {
  const dx = bx - ax;
  const dy = by - ay;
  return { ax, ay, dx, dy, length: Math.hypot(dx, dy) };
}

/**
 * Signed distance (pixels) of (x, y) from the infinite line through the
 * segment: > 0 on the right-hand side seen from its first point towards its
 * second, as drawn on screen (y down); for a line drawn left to right, below it.
 */
export function signedDistance(line: PixelLine, x: number, y: number): number {
  return (line.dx * (y - line.ay) - line.dy * (x - line.ax)) / line.length;
}

/** Where (x, y) projects onto the segment: 0 at its first point, 1 at its second, outside 0–1 beyond its ends. */
export function alongLine(line: PixelLine, x: number, y: number): number {
  return (line.dx * (x - line.ax) + line.dy * (y - line.ay)) / (line.length * line.length);
}
