/**
 * Says whether a repeated error may be logged now: at most once per
 * `intervalMs` for each key, so a failure on every frame cannot flood the log.
 */
export class LogThrottle {
  private readonly lastLoggedAt = new Map<string, number>();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  allow(key = ''): boolean {
    const now = this.now();
    const last = this.lastLoggedAt.get(key);
    if (last !== undefined && now - last < this.intervalMs) return false;
    this.lastLoggedAt.set(key, now);
    return true;
  }
}
