import type { Box } from '../core/letterbox.js';
import type { MotionModel } from './kalman.js';

/**
 * The two trackers' Kalman settings, each as its original writes them, and
 * the box ↔ measurement conversions that go with them.
 */

/**
 * SORT (Bewley et al. 2016, sort.py): z = (cx, cy, s = area, r = w/h), velocities
 * of cx, cy and s. filterpy's identity defaults, then R[2:,2:] *= 10,
 * P[4:,4:] *= 1000, P *= 10, Q[-1,-1] *= 0.01, Q[4:,4:] *= 0.01.
 */
const SORT_P0 = Float64Array.of(10, 10, 10, 10, 10_000, 10_000, 10_000);
const SORT_Q = Float64Array.of(1, 1, 1, 1, 0.01, 0.01, 0.0001);
const SORT_R = Float64Array.of(1, 1, 10, 10);

export const SORT_MODEL: MotionModel = {
  stateSize: 7,
  initialVariance(_z, out) {
    out.set(SORT_P0);
  },
  processVariance(_x, out) {
    out.set(SORT_Q);
  },
  measurementVariance(_x, out) {
    out.set(SORT_R);
  },
};

/** sort.py's convert_bbox_to_z. */
export function boxToAreaRatio(box: Box, out: Float64Array): Float64Array {
  const w = box[2] - box[0];
  const h = box[3] - box[1];
  out[0] = box[0] + w / 2;
  out[1] = box[1] + h / 2;
  out[2] = w * h;
  out[3] = w / h;
  return out;
}

/** sort.py's convert_x_to_bbox: NaN where the area went negative. */
export function areaRatioToBox(x: Float64Array, out: Float64Array): Float64Array {
  const w = Math.sqrt(x[2]! * x[3]!);
  const h = x[2]! / w;
  return setBox(out, x[0]!, x[1]!, w, h);
}

/**
 * ByteTrack (Zhang et al. 2022, from DeepSORT): z = (cx, cy, a = w/h, h), all four
 * with velocities; noise in proportion to the height (1/20 of it for positions,
 * 1/160 for velocities), the aspect's fixed.
 */
const POSITION = 1 / 20;
const VELOCITY = 1 / 160;

export const BYTETRACK_MODEL: MotionModel = {
  stateSize: 8,
  initialVariance(z, out) {
    const p = 2 * POSITION * z[3]!;
    const v = 10 * VELOCITY * z[3]!;
    setSquares(out, p, 1e-2, v, 1e-5);
  },
  processVariance(x, out) {
    const p = POSITION * x[3]!;
    const v = VELOCITY * x[3]!;
    setSquares(out, p, 1e-2, v, 1e-5);
  },
  measurementVariance(x, out) {
    const p = POSITION * x[3]!;
    out[0] = out[1] = out[3] = p * p;
    out[2] = 1e-2; // (1e-1)²
  },
};

/** Variances of (cx, cy, a, h, and their velocities) from the standard deviations, x/y/h alike. */
function setSquares(out: Float64Array, position: number, aspect: number, velocity: number, aspectVelocity: number): void {
  out[0] = out[1] = out[3] = position * position;
  out[2] = aspect * aspect;
  out[4] = out[5] = out[7] = velocity * velocity;
  out[6] = aspectVelocity * aspectVelocity;
}

/** ByteTrack's tlwh_to_xyah. */
export function boxToAspectHeight(box: Box, out: Float64Array): Float64Array {
  const w = box[2] - box[0];
  const h = box[3] - box[1];
  out[0] = box[0] + w / 2;
  out[1] = box[1] + h / 2;
  out[2] = w / h;
  out[3] = h;
  return out;
}

export function aspectHeightToBox(x: Float64Array, out: Float64Array): Float64Array {
  return setBox(out, x[0]!, x[1]!, x[2]! * x[3]!, x[3]!);
}

function setBox(out: Float64Array, cx: number, cy: number, w: number, h: number): Float64Array {
  out[0] = cx - w / 2;
  out[1] = cy - h / 2;
  out[2] = cx + w / 2;
  out[3] = cy + h / 2;
  return out;
}

/** Tracker.moving's thresholds, per frame: see `moves`. */
export const MOVING_MIN_PX = 0.5;
export const MOVING_HEIGHT_SHARE = 0.01;

/**
 * Whether a track moves (Tracker.moving, issue 16's motion gating): its
 * centre's speed, or the rate its height changes (someone walking straight
 * at the camera grows more than they shift), reaches max(0.5 px, 1 % of its
 * height) per frame. Why: 1 % of the height a frame is 10 % a second at
 * 10 fps, where a walking person covers about their own height a second and
 * even a shuffling one 20–30 %; a still object's detections jitter by a few
 * pixels, which the Kalman filter turns into velocities of a few tenths of a
 * percent (test/unit/tracker-predict.test.ts checks a parked box with ±2 px
 * jitter stays still). The 0.5 px floor keeps far, small boxes, where 1 % is
 * under the detector's pixel noise, from moving on that noise. Speeds are in
 * pixels per frame: the filters step every frame, detected or not.
 */
export function moves(vx: number, vy: number, vHeight: number, height: number): boolean {
  const limit = Math.max(MOVING_MIN_PX, MOVING_HEIGHT_SHARE * height);
  return vx * vx + vy * vy >= limit * limit || Math.abs(vHeight) >= limit;
}

/** A track's box as analytics and sinks get it: a plain tuple they may keep. */
export function boxOf(box: Float64Array): Box {
  return [box[0]!, box[1]!, box[2]!, box[3]!];
}

/** A box the filters can follow: a zero-width or zero-height box has no aspect (a detector may clip one to that at the frame's edge). */
export function hasArea(box: ArrayLike<number>): boolean {
  return box[2]! - box[0]! > 0 && box[3]! - box[1]! > 0;
}

/** Intersection over union of two [x1, y1, x2, y2] boxes (no +1 on the sides, as SORT and ByteTrack). */
export function iou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const w = Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!);
  const h = Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!);
  if (!(w > 0 && h > 0)) return 0;
  const inter = w * h;
  return inter / ((a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - inter);
}

const bufferedA = new Float64Array(4);
const bufferedB = new Float64Array(4);

/** IoU of the two boxes with each side pushed out by `buffer` × the box's width or height (C-BIoU's buffered IoU); plain IoU at 0. */
export function bufferedIou(a: ArrayLike<number>, b: ArrayLike<number>, buffer: number): number {
  if (buffer === 0) return iou(a, b);
  return iou(widen(a, buffer, bufferedA), widen(b, buffer, bufferedB));
}

function widen(box: ArrayLike<number>, buffer: number, out: Float64Array): Float64Array {
  const dx = buffer * (box[2]! - box[0]!);
  const dy = buffer * (box[3]! - box[1]!);
  out[0] = box[0]! - dx;
  out[1] = box[1]! - dy;
  out[2] = box[2]! + dx;
  out[3] = box[3]! + dy;
  return out;
}
