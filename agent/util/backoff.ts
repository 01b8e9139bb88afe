/** Same keys as the config's `reconnect` / `restart` sections, so they pass straight through. */
export interface BackoffPolicy {
  readonly initial_seconds: number;
  readonly max_seconds: number;
  /** Fraction of the delay randomised either way, 0..1. */
  readonly jitter: number;
}

/**
 * Capped exponential backoff with jitter: attempt 0 waits `initial`, each
 * further attempt doubles it up to `max`, then ±jitter spreads reconnects of
 * many cameras (and many devices) so they do not hit a recovering server in
 * step. `random` is injectable so tests can pin it.
 */
export function backoffDelaySeconds(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.max_seconds, policy.initial_seconds * 2 ** Math.max(0, attempt));
  const spread = base * policy.jitter * (random() * 2 - 1);
  return Math.max(0, Math.min(policy.max_seconds, base + spread));
}
