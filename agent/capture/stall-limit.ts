import { median } from '../util/numbers.js';

/** `stall_timeout_seconds: auto` (issue 17): max(2 s, 20 frame intervals). */
export const AUTO_STALL_MIN_SECONDS = 2;
export const AUTO_STALL_FRAMES = 20;
/**
 * Until a connection's first frame: an RTSP open waits for a key frame, and
 * cameras send one every 1-4 s; the former fixed default.
 */
export const AUTO_STALL_OPENING_SECONDS = 5;
const FALLBACK_FPS = 25;
/** Intervals kept for the measured rate; the median ignores the bursts RTSP delivers after a key frame. */
const WINDOW = 32;
const MIN_SAMPLES = 8;

/** Reported rates outside this are container artefacts (0, or a 90 kHz time base), not frame rates. */
function plausibleFps(fps: number): boolean {
  return fps > 0 && fps <= 1000;
}

/**
 * How long a connected stream may go without a frame before it counts as a
 * stall. A fixed `stall_timeout_seconds` is used as is; `auto` follows the
 * stream: its reported frame rate, or the measured one where frames come
 * slower (a camera that reports 25 fps and sends 2 is not stalled between
 * frames), else `fps_cap`, else 25 fps.
 */
export class StallLimit {
  private reportedFps = 0;
  private readonly intervals: number[] = [];
  private nextSlot = 0;
  private lastFrameAt: number | null = null;

  constructor(
    private readonly setting: number | 'auto',
    private readonly fpsCap: number | undefined,
  ) {}

  /** A new connection delivered its first frame; `fps` is what it reports. Measuring starts over. */
  opened(fps: number): void {
    this.reportedFps = plausibleFps(fps) ? fps : 0;
    this.intervals.length = 0;
    this.nextSlot = 0;
    this.lastFrameAt = null;
  }

  /** A frame came from the stream (handed on, or skipped by `fps_cap`) at `nowMs`. */
  frame(nowMs: number): void {
    if (this.lastFrameAt !== null) {
      this.intervals[this.nextSlot] = (nowMs - this.lastFrameAt) / 1000;
      this.nextSlot = (this.nextSlot + 1) % WINDOW;
    }
    this.lastFrameAt = nowMs;
  }

  /** Seconds without a frame that count as a stall; `streaming`: this connection has delivered frames. */
  seconds(streaming: boolean): number {
    if (this.setting !== 'auto') return this.setting;
    if (!streaming) return AUTO_STALL_OPENING_SECONDS;
    return Math.max(AUTO_STALL_MIN_SECONDS, AUTO_STALL_FRAMES * this.frameIntervalSeconds());
  }

  /** The stream's frame interval as the stall watch sees it. */
  frameIntervalSeconds(): number {
    const measured = this.intervals.length >= MIN_SAMPLES ? median(this.intervals) : 0;
    const reported = this.reportedFps > 0 ? 1 / this.reportedFps : 1 / (this.fpsCap ?? FALLBACK_FPS);
    return Math.max(reported, measured);
  }
}
