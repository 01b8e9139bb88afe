import type { CameraState } from '../capture/camera-source.js';
import { round } from '../util/numbers.js';
import { windowedRate } from '../util/windowed-rate.js';

/** Frames per second are counted over this window. */
const FPS_WINDOW_MS = 10_000;

export interface CameraHealth {
  readonly camera: string;
  readonly state: CameraState;
  readonly connected: boolean;
  /** Seconds since the camera went disconnected; 0 while it is not. */
  readonly disconnected_seconds: number;
  /** Seconds since the last captured frame; null before the first. */
  readonly last_frame_age_seconds: number | null;
  /** Captured frames per second over the last 10 s. */
  readonly fps: number;
  readonly queue_size: number;
}

/**
 * What /readyz reports for one camera, fed by the camera's frame and status
 * events. Times are monotonic milliseconds from the injected clock, so tests
 * can drive it without waiting.
 */
export class CameraHealthTracker {
  private state: CameraState = 'connecting';
  private disconnectedSince: number | undefined;
  private firstFrameAt: number | undefined;
  private lastFrameAt: number | undefined;
  private frameTimes: number[] = [];

  constructor(
    readonly camera: string,
    private readonly now: () => number,
    private readonly queueSize: () => number,
  ) {}

  onFrame(): void {
    const now = this.now();
    this.firstFrameAt ??= now;
    this.lastFrameAt = now;
    this.frameTimes.push(now);
    if (this.frameTimes.length > 4096) this.prune(now);
  }

  onState(state: CameraState): void {
    if (state === 'disconnected' && this.state !== 'disconnected') this.disconnectedSince = this.now();
    if (state !== 'disconnected') this.disconnectedSince = undefined;
    this.state = state;
  }

  snapshot(): CameraHealth {
    const now = this.now();
    this.prune(now);
    return {
      camera: this.camera,
      state: this.state,
      connected: this.state === 'connected',
      disconnected_seconds: this.disconnectedSince === undefined ? 0 : round((now - this.disconnectedSince) / 1000, 2),
      last_frame_age_seconds: this.lastFrameAt === undefined ? null : round((now - this.lastFrameAt) / 1000, 2),
      fps: this.frameTimes.length < 2 ? 0 : round(windowedRate(this.frameTimes.length, this.firstFrameAt, now, FPS_WINDOW_MS), 2),
      queue_size: this.queueSize(),
    };
  }

  private prune(now: number): void {
    const from = this.frameTimes.findIndex((t) => now - t <= FPS_WINDOW_MS);
    this.frameTimes = from < 0 ? [] : this.frameTimes.slice(from);
  }
}
