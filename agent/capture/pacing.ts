/**
 * Frame-rate cap by schedule rather than by minimum gap: with a 25 fps source
 * and a 10 fps cap, a minimum gap of 100 ms would pass every third frame
 * (8.3 fps); a schedule passes 10 per second on average.
 */
export class FpsCap {
  private nextDue = Number.NEGATIVE_INFINITY;

  constructor(private readonly fps: number | undefined) {}

  admit(nowMs: number): boolean {
    if (!this.fps) return true;
    if (nowMs < this.nextDue) return false;
    const interval = 1000 / this.fps;
    // Slightly late: keep the schedule (average rate holds). More than one
    // interval late (first frame, after a stall): restart it from now.
    this.nextDue = (nowMs - this.nextDue > interval ? nowMs : this.nextDue) + interval;
    return true;
  }
}

/** How long to wait before the next read so a file plays at its own frame rate. */
export class RealtimeSchedule {
  private startedAt = 0;
  private frames = 0;

  constructor(private readonly fps: number) {}

  reset(nowMs: number): void {
    this.startedAt = nowMs;
    this.frames = 0;
  }

  /** Milliseconds to wait after a frame was read at `nowMs`; 0 when running behind. */
  waitAfterFrame(nowMs: number): number {
    this.frames++;
    const due = this.startedAt + (this.frames * 1000) / this.fps;
    // Far behind (a long stall): start the schedule again instead of bursting to catch up.
    if (nowMs - due > 1000) {
      this.reset(nowMs);
      return 0;
    }
    return Math.max(0, due - nowMs);
  }
}
