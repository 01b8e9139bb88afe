/**
 * How much of the recent past frames spent waiting for a free inference
 * worker: the time average of "some camera queue holds a frame no worker
 * can take", decaying exponentially with a time constant of `timeConstantMs`.
 * Near 1 under full load (throughput is what counts), near 0 at live rates
 * even when a burst of cameras briefly queues up (latency is what counts).
 */
export class SaturationMeter {
  private level = 0;
  private waiting = false;
  private since: number;

  constructor(
    private readonly now: () => number,
    private readonly timeConstantMs = 1000,
  ) {
    this.since = now();
  }

  /** Whether frames wait now; call whenever that may have changed. */
  update(waiting: boolean): void {
    this.advance();
    this.waiting = waiting;
  }

  /** 0..1: the share of the last ~timeConstantMs that frames waited. */
  get fraction(): number {
    this.advance();
    return this.level;
  }

  private advance(): void {
    const now = this.now();
    const elapsed = Math.max(0, now - this.since);
    this.since = now;
    const keep = Math.exp(-elapsed / this.timeConstantMs);
    this.level = this.level * keep + (this.waiting ? 1 - keep : 0);
  }
}
