/**
 * The density search (bench/density.ts): the most cameras a trial sustains.
 * Pure, so its steps are checked without running an agent.
 */

export interface SearchResult<T> {
  /** The most cameras sustained (0: not even one). */
  readonly cameras: number;
  /** The trial at that count, and at the lowest count that failed (undefined: the cap was reached). */
  readonly best: T | undefined;
  readonly failed: T | undefined;
}

/**
 * The most cameras `trial` sustains, found by doubling from `start` until a
 * count fails (or `cap`), then bisecting down to a step of about 10 %.
 */
export async function searchMost<T extends { readonly sustained: boolean }>(trial: (cameras: number) => Promise<T>, start: number, cap: number): Promise<SearchResult<T>> {
  const results = new Map<number, T>();
  const attempt = async (n: number): Promise<boolean> => {
    const figures = await trial(n);
    results.set(n, figures);
    return figures.sustained;
  };
  let good = 0;
  let bad: number | undefined;
  let n = Math.max(1, Math.min(start, cap));
  while (bad === undefined) {
    if (await attempt(n)) {
      good = n;
      if (n >= cap) break;
      n = Math.min(cap, n * 2);
    } else bad = n;
  }
  while (bad !== undefined && bad - good > Math.max(1, Math.ceil(good * 0.1))) {
    const mid = Math.floor((good + bad) / 2);
    if (await attempt(mid)) good = mid;
    else bad = mid;
  }
  return { cameras: good, best: results.get(good), failed: bad === undefined ? undefined : results.get(bad) };
}
