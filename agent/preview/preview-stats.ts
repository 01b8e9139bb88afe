import { percentile, round } from '../util/numbers.js';
import { windowedRate } from '../util/windowed-rate.js';

/** Results per camera are remembered this long for the viewer's numbers. */
const WINDOW_MS = 10_000;
const MAX_SAMPLES = 600;

export interface CameraNumbers {
  /** Processed frames per second over the last 10 s. */
  readonly fps: number;
  readonly box_count: number;
  /** p95 of capture → results over the last 10 s (at most 600 frames), ms; null before any. */
  readonly latency_p95_ms: number | null;
}

/** The viewer's per-camera numbers, from the results the preview sink sees. `now` is monotonic ms. */
export class PreviewStats {
  private readonly samples = new Map<string, { at: number; latencyMs: number }[]>();
  private readonly boxes = new Map<string, number>();
  private readonly firstAt = new Map<string, number>();

  record(camera: string, now: number, latencyMs: number, boxCount: number): void {
    const list = this.samples.get(camera) ?? [];
    list.push({ at: now, latencyMs });
    if (list.length > MAX_SAMPLES) list.splice(0, list.length - MAX_SAMPLES);
    this.samples.set(camera, list);
    this.boxes.set(camera, boxCount);
    if (!this.firstAt.has(camera)) this.firstAt.set(camera, now);
  }

  numbers(camera: string, now: number): CameraNumbers {
    const recent = (this.samples.get(camera) ?? []).filter((s) => now - s.at <= WINDOW_MS);
    this.samples.set(camera, recent);
    const fps = windowedRate(recent.length, this.firstAt.get(camera), now, WINDOW_MS);
    return {
      fps: round(fps, 1),
      box_count: this.boxes.get(camera) ?? 0,
      latency_p95_ms: recent.length === 0 ? null : round(percentile(recent.map((s) => s.latencyMs), 95), 1),
    };
  }
}
