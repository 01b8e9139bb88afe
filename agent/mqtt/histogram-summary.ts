/** Cumulative bucket counts of one histogram series, as Prometheus exposes them. */
export interface HistogramState {
  /** Upper bounds, ascending, ending with Infinity. */
  readonly bounds: readonly number[];
  /** counts[i] = observations ≤ bounds[i] (cumulative). */
  readonly counts: readonly number[];
  readonly sum: number;
}

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

export const EMPTY_HISTOGRAM: HistogramState = { bounds: [Infinity], counts: [0], sum: 0 };

/** What was observed between two readings of the same series (same buckets). */
export function histogramDelta(now: HistogramState, before: HistogramState | undefined): HistogramState {
  if (!before || before.counts.length !== now.counts.length) return now;
  return { bounds: now.bounds, counts: now.counts.map((c, i) => c - (before.counts[i] ?? 0)), sum: now.sum - before.sum };
}

/**
 * The q-quantile estimated from cumulative buckets exactly as PromQL's
 * histogram_quantile() does (linear within the bucket, the lowest bucket
 * starting at 0, the +Inf bucket answering with the highest finite bound),
 * so MQTT consumers and Grafana read the same number. null when empty.
 */
export function bucketQuantile(q: number, state: HistogramState): number | null {
  const { bounds, counts } = state;
  const total = counts[counts.length - 1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  const index = counts.findIndex((c) => c >= rank);
  const upper = bounds[index] ?? Infinity;
  if (upper === Infinity) return bounds.length > 1 ? (bounds[bounds.length - 2] ?? null) : null;
  if (index === 0 && upper <= 0) return upper;
  const lower = index === 0 ? 0 : (bounds[index - 1] ?? 0);
  const below = index === 0 ? 0 : (counts[index - 1] ?? 0);
  const inBucket = (counts[index] ?? 0) - below;
  if (inBucket <= 0) return upper;
  return lower + (upper - lower) * ((rank - below) / inBucket);
}

/** Seconds to the microsecond: finer is float noise from summing, not information. */
const micro = (value: number): number => Math.round(value * 1e6) / 1e6;
const microOrNull = (value: number | null): number | null => (value === null ? null : micro(value));

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
