import type { DetectorInterval } from '../config/density-schema.js';

export interface AutoIntervalOptions {
  /** The camera's queue capacity (frames): "near empty" is at most one frame in it. */
  readonly queueCapacity: number;
  /** The highest interval `auto` goes to (`detector.max_interval`). */
  readonly maxInterval: number;
  /** The camera's `detector.interval`; a fixed number never changes. Default `auto`. */
  readonly interval?: DetectorInterval;
  /** How long the queue must stay near empty before the interval is lowered by one. Default 10 s. */
  readonly calmMs?: number;
  /** The calm period doubles after each flap (a lowering the load undid at once), up to this. Default 60 s. */
  readonly maxCalmMs?: number;
  /** After this long without a raise the calm period is back to `calmMs`. Default 5 min. */
  readonly stableMs?: number;
}

/** What the camera's queue showed since the last sample (about a second). */
export interface QueueSample {
  /** The highest fill seen in the window, 0–1 (frames queued / capacity). */
  readonly queueFillMax: number;
  /** Frames dropped from the queue in the window. */
  readonly dropped: number;
  readonly nowMs: number;
}

/**
 * `detector.interval: auto` for one camera (issue 16): the interval follows
 * the load its queue shows, so a camera under load detects fewer frames (the
 * tracker predicts the rest) instead of dropping them.
 *
 * - Pressure (frames dropped, or the queue more than half full and holding
 *   more than one frame): the interval goes up by one, at most to
 *   `maxInterval`; each sample under pressure raises it again, so a sustained
 *   overload climbs a step a second.
 * - Calm (never more than one frame queued) for the calm period: down by one,
 *   and the calm clock starts again for the next step.
 * - Anything between holds the interval and restarts the calm clock.
 * - Flapping: a raise within the calm period after a lowering means the lower
 *   interval could not carry the load; the calm period doubles (up to
 *   `maxCalmMs`) so a load right at a boundary costs one short burst of
 *   pressure per period instead of one per few seconds. After `stableMs`
 *   without a raise it is back to `calmMs`.
 *
 * Pure: the caller samples the queue and passes the time.
 */
export class AutoInterval {
  private current: number;
  private readonly fixed: boolean;
  private readonly maxInterval: number;
  private readonly nearEmpty: number;
  private readonly capacity: number;
  private readonly baseCalmMs: number;
  private readonly maxCalmMs: number;
  private readonly stableMs: number;
  private calmMs: number;
  private calmSince: number | null = null;
  private lastLoweredAt: number | null = null;
  private lastRaisedAt: number | null = null;

  constructor(options: AutoIntervalOptions) {
    const setting = options.interval ?? 'auto';
    this.fixed = setting !== 'auto';
    this.current = setting === 'auto' ? 1 : setting;
    this.maxInterval = Math.max(1, options.maxInterval);
    this.capacity = Math.max(1, options.queueCapacity);
    this.nearEmpty = 1 / this.capacity;
    this.baseCalmMs = options.calmMs ?? 10_000;
    this.maxCalmMs = Math.max(this.baseCalmMs, options.maxCalmMs ?? 60_000);
    this.stableMs = options.stableMs ?? 300_000;
    this.calmMs = this.baseCalmMs;
  }

  /** The interval now. */
  get interval(): number {
    return this.current;
  }

  /** The calm period the next lowering waits for (grows while the load flaps). */
  get calmPeriodMs(): number {
    return this.calmMs;
  }

  /** One window of the queue's life; returns the interval to run at from now. */
  sample({ queueFillMax, dropped, nowMs }: QueueSample): number {
    if (this.fixed) return this.current;
    if (this.lastRaisedAt !== null && nowMs - this.lastRaisedAt >= this.stableMs) this.calmMs = this.baseCalmMs;
    if (dropped > 0 || (queueFillMax > 0.5 && queueFillMax * this.capacity > 1)) this.raise(nowMs);
    else if (queueFillMax <= this.nearEmpty + 1e-9) this.calm(nowMs);
    else this.calmSince = null;
    return this.current;
  }

  private raise(nowMs: number): void {
    this.calmSince = null;
    if (this.current >= this.maxInterval) return;
    if (this.lastLoweredAt !== null && nowMs - this.lastLoweredAt < this.calmMs) this.calmMs = Math.min(this.calmMs * 2, this.maxCalmMs);
    this.lastLoweredAt = null;
    this.lastRaisedAt = nowMs;
    this.current += 1;
  }

  private calm(nowMs: number): void {
    this.calmSince ??= nowMs;
    if (this.current <= 1 || nowMs - this.calmSince < this.calmMs) return;
    this.current -= 1;
    this.lastLoweredAt = nowMs;
    this.calmSince = nowMs;
  }
}
