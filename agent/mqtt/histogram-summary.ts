import { bucketQuantile, histogramDelta, type HistogramState } from '../metrics/bucket-histogram.js';
import { round } from '../util/numbers.js';

export interface HistogramSummary {
  /** Over the interval. */
  count: number;
  sum: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** Since the agent started, as /metrics shows them. */
  count_total: number;
  sum_total: number;
}

/** Seconds to the microsecond: finer is float noise from summing, not information. */
const micro = (value: number): number => round(value, 6);
const microOrNull = (value: number | null): number | null => (value === null ? null : micro(value));

/** One histogram in a metrics snapshot: the interval since `before`, and the running totals. */
export function summarize(now: HistogramState, before: HistogramState | undefined): HistogramSummary {
  const interval = histogramDelta(now, before);
  return {
    count: interval.counts[interval.counts.length - 1] ?? 0,
    sum: micro(interval.sum),
    p50: microOrNull(bucketQuantile(0.5, interval)),
    p95: microOrNull(bucketQuantile(0.95, interval)),
    p99: microOrNull(bucketQuantile(0.99, interval)),
    count_total: now.counts[now.counts.length - 1] ?? 0,
    sum_total: micro(now.sum),
  };
}
