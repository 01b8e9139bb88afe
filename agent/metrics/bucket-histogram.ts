/** Cumulative bucket counts of one histogram series, as Prometheus exposes them. */
export interface HistogramState {
  /** Upper bounds, ascending, ending with Infinity. */
  readonly bounds: readonly number[];
  /** counts[i] = observations ≤ bounds[i] (cumulative). */
  readonly counts: readonly number[];
  readonly sum: number;
}

export const EMPTY_HISTOGRAM: HistogramState = { bounds: [Infinity], counts: [0], sum: 0 };

/**
 * A histogram as plain numbers: the pipeline observes into it (an array
 * increment, cheaper per frame than prom-client's label lookup) and
 * /metrics and the MQTT snapshot both read it.
 */
export class BucketHistogram {
  /** perBucket[i]: observations in (bounds[i-1], bounds[i]]; the last one is the +Inf bucket. */
  private readonly perBucket: number[];
  count = 0;
  sum = 0;

  /** `bounds`: finite upper bounds, ascending (the +Inf bucket is implied). */
  constructor(readonly bounds: readonly number[]) {
    this.perBucket = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    // As prom-client did: a NaN would poison the sum for good, so it is refused loudly.
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    let bucket = 0;
    while (bucket < this.bounds.length && value > this.bounds[bucket]!) bucket++;
    this.perBucket[bucket]! += 1;
    this.count += 1;
    this.sum += value;
  }

  /** Cumulative counts ending with the +Inf bucket, as Prometheus exposes them. */
  state(): HistogramState {
    let total = 0;
    return { bounds: [...this.bounds, Infinity], counts: this.perBucket.map((n) => (total += n)), sum: this.sum };
  }
}

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
