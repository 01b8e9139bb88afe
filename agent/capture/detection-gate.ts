import type { FrameSkip } from '../core/frame.js';

/**
 * Which frames get the detector (issue 16), decided per camera in its capture
 * worker, frame by frame, before the tensor is built: a skipped frame costs
 * neither the tensor nor inference, and the tracker predicts its boxes.
 *
 * The rules, in the order they apply:
 * 1. The first frame after `reset()` (a new connection) is detected: the
 *    tracker has nothing recent to predict from.
 * 2. Without motion gating (`motion` is null) only the interval counts: a
 *    frame is detected when `interval - 1` frames were skipped since the last
 *    detection, so interval N detects frames 0, N, 2N, … Changing the
 *    interval mid-stream counts from the last detection, so a lower interval
 *    takes effect at once and a higher one never detects early.
 * 3. With motion gating, a frame is idle when nothing moved in it (`motion`
 *    false) and no track moves (`movingTracks` false). An idle frame is
 *    skipped as `no_motion`, unless the last detection is `refreshSeconds`
 *    old: then it is detected, so an object entering too slowly to register
 *    as motion, or one the tracker lost, is still found.
 * 4. The first active frame after an idle one (motion onset, or a track
 *    starting to move) is detected at once: the tracker has only predicted
 *    through the idle stretch and must see what came in.
 * 5. With motion gating, while one of the camera's tracks waits for
 *    confirmation (`confirming`: ByteTrack's tentative tracks, SORT's short
 *    of min_hits) every active frame is detected: a new object needs its
 *    first detections close together to be matched (a tentative track has
 *    no velocity yet; at interval 5 a walker moves 50 px between detections,
 *    more than his width). Measured on the static clip with gating and
 *    `auto` driven to 5: 1 of its 3 bursts found without this rule.
 * 6. Other active frames obey the interval (rule 2); its skips count as
 *    `interval`.
 *
 * Pure: no I/O and no clock of its own (the caller passes `nowMs`), so tests
 * step it frame by frame.
 */
export class DetectionGate {
  private interval = 1;
  private movingTracks = false;
  private confirming = false;
  /** Frames since the last detection; null: none since reset, the next frame is detected. */
  private sinceDetected: number | null = null;
  private lastDetectedMs = 0;
  private wasIdle = false;
  private readonly refreshMs: number;

  /** `refreshSeconds`: the camera's `motion.refresh_seconds`, the longest an idle camera goes undetected. */
  constructor(refreshSeconds: number) {
    this.refreshMs = refreshSeconds * 1000;
  }

  /** The plan from the main thread (the `gate` message): the camera's current interval, whether one of its tracks moves, whether one waits for confirmation. */
  setPlan(interval: number, movingTracks: boolean, confirming = false): void {
    // The main thread sends whole numbers ≥ 1; a bad value must not stop capture.
    this.interval = Number.isFinite(interval) ? Math.max(1, Math.floor(interval)) : 1;
    this.movingTracks = movingTracks;
    this.confirming = confirming;
  }

  /** A new connection: the next frame is detected. The plan stays. */
  reset(): void {
    this.sinceDetected = null;
    this.wasIdle = false;
  }

  /**
   * Whether the detector runs on the frame captured at `nowMs`: undefined to
   * detect it, or why it is skipped. `motion`: whether the frame moved
   * (measure ≥ min_area), or null on a camera without motion gating.
   */
  decide(nowMs: number, motion: boolean | null): FrameSkip | undefined {
    const idle = motion !== null && !motion && !this.movingTracks;
    const onset = motion !== null && !idle && this.wasIdle;
    this.wasIdle = idle;
    if (this.sinceDetected === null || onset) return this.detected(nowMs);
    if (idle) return nowMs - this.lastDetectedMs >= this.refreshMs ? this.detected(nowMs) : this.skipped('no_motion');
    if (motion !== null && this.confirming) return this.detected(nowMs);
    return this.sinceDetected + 1 >= this.interval ? this.detected(nowMs) : this.skipped('interval');
  }

  private detected(nowMs: number): undefined {
    this.sinceDetected = 0;
    this.lastDetectedMs = nowMs;
    return undefined;
  }

  private skipped(reason: FrameSkip): FrameSkip {
    this.sinceDetected = (this.sinceDetected ?? 0) + 1;
    return reason;
  }
}
