import { describe, expect, it } from 'vitest';
import { bucketQuantile, EMPTY_HISTOGRAM, histogramDelta, type HistogramState } from '../../agent/metrics/bucket-histogram.js';
import { summarize } from '../../agent/mqtt/histogram-summary.js';

const BOUNDS = [0.01, 0.02, 0.05, Infinity];

/** 10 observations ≤ 10 ms, 20 in (10, 20] ms, 10 in (20, 50] ms, none above. */
const FORTY: HistogramState = { bounds: BOUNDS, counts: [10, 30, 40, 40], sum: 0.8 };

describe('bucketQuantile (PromQL histogram_quantile semantics)', () => {
  it('interpolates linearly inside the bucket holding the rank', () => {
    // p50: rank 0.5 × 40 = 20, in (0.01, 0.02] which holds 20 (10 below): 0.01 + 0.01 × (20 − 10) / 20
    expect(bucketQuantile(0.5, FORTY)).toBeCloseTo(0.015, 12);
    // p95: rank 38, in (0.02, 0.05] which holds 10 (30 below): 0.02 + 0.03 × (38 − 30) / 10
    expect(bucketQuantile(0.95, FORTY)).toBeCloseTo(0.044, 12);
    // p99: rank 39.6: 0.02 + 0.03 × 9.6 / 10
    expect(bucketQuantile(0.99, FORTY)).toBeCloseTo(0.0488, 12);
  });

  it('starts the lowest bucket at 0 when its upper bound is positive', () => {
    // p10: rank 4 in [0, 0.01] which holds 10: 0 + 0.01 × 4 / 10
    expect(bucketQuantile(0.1, FORTY)).toBeCloseTo(0.004, 12);
    // rank exactly on a bucket's cumulative count (10 = counts[0]) answers that bucket's upper bound
    expect(bucketQuantile(0.25, FORTY)).toBeCloseTo(0.01, 12);
  });

  it('answers the highest finite bound when the rank falls in the +Inf bucket', () => {
    // 10 of 50 observations above 50 ms: p95 rank 47.5 > 40 → +Inf bucket → 0.05
    const tail: HistogramState = { bounds: BOUNDS, counts: [10, 30, 40, 50], sum: 3 };
    expect(bucketQuantile(0.95, tail)).toBe(0.05);
    expect(bucketQuantile(0.99, tail)).toBe(0.05);
    // p50: rank 25 in (0.01, 0.02]: 0.01 + 0.01 × 15 / 20
    expect(bucketQuantile(0.5, tail)).toBeCloseTo(0.0175, 12);
  });

  it('skips empty buckets below the rank', () => {
    // all 4 observations in (0.5, 1]; p50 rank 2: 0.5 + 0.5 × 2 / 4; p99 rank 3.96: 0.5 + 0.5 × 3.96 / 4
    const state: HistogramState = { bounds: [0.1, 0.5, 1, Infinity], counts: [0, 0, 4, 4], sum: 3 };
    expect(bucketQuantile(0.5, state)).toBeCloseTo(0.75, 12);
    expect(bucketQuantile(0.99, state)).toBeCloseTo(0.995, 12);
  });

  it('is null when nothing was observed, or when only the +Inf bucket exists', () => {
    expect(bucketQuantile(0.5, { bounds: BOUNDS, counts: [0, 0, 0, 0], sum: 0 })).toBeNull();
    expect(bucketQuantile(0.5, EMPTY_HISTOGRAM)).toBeNull();
    expect(bucketQuantile(0.5, { bounds: [Infinity], counts: [7], sum: 1 })).toBeNull();
  });

  it('answers the lowest bucket’s upper bound when that bound is not positive (no interpolation from 0)', () => {
    // PromQL: "if the lowest bucket has an upper bound ≤ 0, the quantile is that upper bound".
    // bounds [-1, 1, +Inf], counts [4, 8, 8]: p25 rank 2 lies in the lowest bucket (≤ −1) → −1.
    const negative: HistogramState = { bounds: [-1, 1, Infinity], counts: [4, 8, 8], sum: 0 };
    expect(bucketQuantile(0.25, negative)).toBe(-1);
    // upper bound exactly 0: → 0
    expect(bucketQuantile(0.25, { bounds: [0, 1, Infinity], counts: [4, 8, 8], sum: 2 })).toBe(0);
  });
});

describe('histogramDelta', () => {
  it('subtracts the earlier cumulative reading bucket by bucket, and the sums', () => {
    const before: HistogramState = { bounds: BOUNDS, counts: [4, 10, 12, 12], sum: 0.25 };
    expect(histogramDelta(FORTY, before)).toEqual({ bounds: BOUNDS, counts: [6, 20, 28, 28], sum: 0.55 });
  });

  it('returns the reading itself with no earlier reading, or one with other buckets', () => {
    expect(histogramDelta(FORTY, undefined)).toBe(FORTY);
    expect(histogramDelta(FORTY, EMPTY_HISTOGRAM)).toBe(FORTY);
  });
});

describe('summarize', () => {
  it('summarises the interval between two readings and carries the running totals', () => {
    // interval counts [10, 30, 40, 40] − [0, 10, 20, 20] = [10, 20, 20, 20]
    const before: HistogramState = { bounds: BOUNDS, counts: [0, 10, 20, 20], sum: 0.3 };
    const now: HistogramState = { bounds: BOUNDS, counts: [10, 30, 40, 40], sum: 0.8 };
    expect(summarize(now, before)).toEqual({
      count: 20,
      sum: 0.5, // 0.8 − 0.3 = 0.5000000000000001 before rounding
      p50: 0.01, // rank 10 = all of [0, 0.01]
      p95: 0.019, // rank 19 in (0.01, 0.02] holding 10 (10 below): 0.01 + 0.01 × 9 / 10
      p99: 0.0198, // rank 19.8: 0.01 + 0.01 × 9.8 / 10
      count_total: 40,
      sum_total: 0.8,
    });
  });

  it('rounds to the microsecond', () => {
    // one observation summing 0.1 + 0.2 = 0.30000000000000004
    const s = summarize({ bounds: [0.003, Infinity], counts: [1, 1], sum: 0.1 + 0.2 }, undefined);
    expect(s.sum).toBe(0.3);
    expect(s.sum_total).toBe(0.3);
    expect(s.p50).toBe(0.0015); // rank 0.5 of 1 in [0, 0.003]
    // p50 rank 2 in (0.001, 0.002] holding 3 (1 below): 0.001 + 0.001 × 1/3 = 0.00133333… → 0.001333
    const third = summarize({ bounds: [0.001, 0.002, Infinity], counts: [1, 4, 4], sum: 1 / 3 }, undefined);
    expect(third.p50).toBe(0.001333);
    expect(third.sum).toBe(0.333333);
  });

  it('treats a first reading as the whole interval', () => {
    const s = summarize(FORTY, undefined);
    expect(s.count).toBe(40);
    expect(s.count_total).toBe(40);
    expect(s.sum).toBe(0.8);
    expect(s.p50).toBe(0.015);
    expect(s.p95).toBe(0.044);
    expect(s.p99).toBe(0.0488);
  });

  it('treats a previous reading with a different bucket layout as no previous reading', () => {
    // the first snapshot of a camera that had observed nothing yet is EMPTY_HISTOGRAM (one +Inf bucket)
    expect(summarize(FORTY, EMPTY_HISTOGRAM)).toEqual(summarize(FORTY, undefined));
  });

  it('gives null quantiles and zero counts for an interval with no observations', () => {
    expect(summarize(FORTY, FORTY)).toEqual({ count: 0, sum: 0, p50: null, p95: null, p99: null, count_total: 40, sum_total: 0.8 });
    expect(summarize(EMPTY_HISTOGRAM, undefined)).toEqual({ count: 0, sum: 0, p50: null, p95: null, p99: null, count_total: 0, sum_total: 0 });
  });
});
