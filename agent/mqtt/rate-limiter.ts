/**
 * Per-key token bucket: on average `perSecond` passes a second, with a
 * burst of up to one second's worth, so a camera's frame-time jitter does
 * not cost it messages it is entitled to.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly capacity: number;

  constructor(private readonly perSecond: number) {
    this.capacity = Math.max(1, perSecond);
  }

  /** `nowMs` is a monotonic clock (performance.now()). */
  allow(key: string, nowMs: number): boolean {
    const bucket = this.buckets.get(key) ?? { tokens: 1, at: nowMs };
    bucket.tokens = Math.min(this.capacity, bucket.tokens + ((nowMs - bucket.at) / 1000) * this.perSecond);
    bucket.at = nowMs;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    return allowed;
  }
}
