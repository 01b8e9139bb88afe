import { describe, expect, it } from 'vitest';
import { invertSymmetric4, KalmanFilter } from '../../agent/tracking/kalman.js';
import {
  areaRatioToBox,
  aspectHeightToBox,
  boxToAreaRatio,
  boxToAspectHeight,
  BYTETRACK_MODEL,
  iou,
  SORT_MODEL,
} from '../../agent/tracking/motion-models.js';

const box = (x: number, y: number, w: number, h: number) => [x, y, x + w, y + h] as const;

describe('box conversions', () => {
  it('turns a 20 × 40 box at (10, 20) into SORT (cx, cy, area, w/h) and ByteTrack (cx, cy, w/h, h) and back', () => {
    const b = box(10, 20, 20, 40);
    expect([...boxToAreaRatio(b, new Float64Array(4))]).toEqual([20, 40, 800, 0.5]);
    expect([...boxToAspectHeight(b, new Float64Array(4))]).toEqual([20, 40, 0.5, 40]);
    expect([...areaRatioToBox(Float64Array.of(20, 40, 800, 0.5), new Float64Array(4))]).toEqual([10, 20, 30, 60]);
    expect([...aspectHeightToBox(Float64Array.of(20, 40, 0.5, 40), new Float64Array(4))]).toEqual([10, 20, 30, 60]);
  });

  it('IoU of two 10 × 10 boxes overlapping by half their width is 50 / 150', () => {
    expect(iou(box(0, 0, 10, 10), box(5, 0, 10, 10))).toBeCloseTo(1 / 3, 12);
    expect(iou(box(0, 0, 10, 10), box(10, 0, 10, 10))).toBe(0);
  });
});

describe('invertSymmetric4', () => {
  it('inverts a diagonal matrix entry by entry and a full one so that A A⁻¹ = I', () => {
    const out = new Float64Array(16);
    invertSymmetric4(Float64Array.of(2, 0, 0, 0, 0, 4, 0, 0, 0, 0, 5, 0, 0, 0, 0, 10), out);
    [0.5, 0.25, 0.2, 0.1].forEach((v, i) => expect(out[i * 5]).toBeCloseTo(v, 15));
    expect(out[1]).toBe(0);
    const a = Float64Array.of(4, 1, 0, 0.5, 1, 3, 0.2, 0, 0, 0.2, 2, 0.1, 0.5, 0, 0.1, 1);
    invertSymmetric4(a, out);
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        let sum = 0;
        for (let k = 0; k < 4; k++) sum += a[i * 4 + k]! * out[k * 4 + j]!;
        expect(sum).toBeCloseTo(i === j ? 1 : 0, 12);
      }
    }
  });
});

describe('KalmanFilter', () => {
  /** A 40 × 80 box at (100, 50) moving 5 px right and 2 px down a frame: the filter's prediction for frame updates + 1. */
  const predictAfter = (model: typeof SORT_MODEL, measure: typeof boxToAreaRatio, updates: number) => {
    const z = new Float64Array(4);
    const kf = new KalmanFilter(model, measure(box(100, 50, 40, 80), z));
    for (let frame = 1; frame <= updates; frame++) {
      kf.predict();
      kf.update(measure(box(100 + 5 * frame, 50 + 2 * frame, 40, 80), z));
    }
    kf.predict();
    const next = updates + 1;
    return { dx: kf.x[0]! - (100 + 5 * next + 20), dy: kf.x[1]! - (50 + 2 * next + 40), vx: kf.x[4]!, vy: kf.x[5]! };
  };

  it("SORT: constant velocity is predicted exactly (to 0.01 px) after 3 updates: sort.py's velocity prior is that loose", () => {
    const p = predictAfter(SORT_MODEL, boxToAreaRatio, 3);
    expect(Math.abs(p.dx)).toBeLessThan(0.01);
    expect(Math.abs(p.dy)).toBeLessThan(0.01);
    expect(p.vx).toBeCloseTo(5, 2);
    expect(p.vy).toBeCloseTo(2, 2);
  });

  it("ByteTrack: its tighter velocity prior closes in more slowly: off by more after 3 updates than after 10, within 0.05 px after 30", () => {
    const errors = [3, 10, 30].map((n) => Math.abs(predictAfter(BYTETRACK_MODEL, boxToAspectHeight, n).dx));
    expect(errors[0]).toBeGreaterThan(errors[1]!);
    expect(errors[1]).toBeGreaterThan(errors[2]!);
    const p = predictAfter(BYTETRACK_MODEL, boxToAspectHeight, 30);
    expect(Math.abs(p.dx)).toBeLessThan(0.05);
    expect(Math.abs(p.dy)).toBeLessThan(0.05);
    expect(p.vx).toBeCloseTo(5, 1);
  });

  it('the first predict of SORT adds Q and the velocity variance to the position variance, as F P Fᵀ + Q by hand', () => {
    const kf = new KalmanFilter(SORT_MODEL, boxToAreaRatio(box(0, 0, 10, 10), new Float64Array(4)));
    kf.predict();
    const n = 7;
    // P0 = diag(10, 10, 10, 10, 1e4, 1e4, 1e4); Q = diag(1, 1, 1, 1, .01, .01, 1e-4).
    expect(kf.P[0]).toBe(10 + 10_000 + 1); // var(cx) + var(vx) + q
    expect(kf.P[0 * n + 4]).toBe(10_000); // cov(cx, vx)
    expect(kf.P[3 * n + 3]).toBe(11); // r has no velocity
    expect(kf.P[4 * n + 4]).toBe(10_000.01);
    expect(kf.P[6 * n + 6]).toBe(10_000.0001);
  });

  it('covariance shrinks with each update on a still box', () => {
    const z = boxToAspectHeight(box(0, 0, 50, 100), new Float64Array(4));
    const kf = new KalmanFilter(BYTETRACK_MODEL, z);
    let previous = Infinity;
    for (let i = 0; i < 5; i++) {
      kf.predict();
      kf.update(z);
      expect(kf.P[0]).toBeLessThan(previous);
      previous = kf.P[0]!;
    }
    expect(kf.x[0]).toBeCloseTo(25, 9);
  });
});
