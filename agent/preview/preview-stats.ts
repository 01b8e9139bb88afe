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
    const span = Math.min(WINDOW_MS, Math.max(1, now - (this.firstAt.get(camera) ?? now)));
    const sorted = recent.map((s) => s.latencyMs).sort((a, b) => a - b);
    const p95 = sorted.length === 0 ? null : (sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)] ?? null);
    return {
      fps: Math.round(((recent.length * 1000) / span) * 10) / 10,
      box_count: this.boxes.get(camera) ?? 0,
      latency_p95_ms: p95 === null ? null : Math.round(p95 * 10) / 10,
    };
  }
}
