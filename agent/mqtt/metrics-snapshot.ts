import type { BucketHistogram, HistogramState } from '../metrics/bucket-histogram.js';
import { CAMERA_METRICS, seriesOf } from '../metrics/camera-metrics.js';
import type { CameraStats } from '../metrics/camera-stats.js';
import { round } from '../util/numbers.js';
import { summarize, type HistogramSummary } from './histogram-summary.js';
import { PAYLOAD_SCHEMA_VERSION } from './topics.js';

type Entry = number | HistogramSummary;

export interface CameraSnapshot {
  /** A metric with a label besides `camera` (frames_dropped_total by reason) is an object keyed by it. */
  [metric: string]: Entry | Record<string, Entry>;
}

/** One message on <prefix>/<device>/metrics (schemas/mqtt/metrics.schema.json). */
export interface MetricsPayload {
  schema: number;
  device: string;
  site: string;
  /** Changes at every agent start; `seq` counts from 1 within it, so a gap means a lost snapshot. */
  session: string;
  seq: number;
  timestamp: string;
  timestamp_ms: number;
  interval_seconds: number;
  cameras: Record<string, CameraSnapshot>;
}

export interface SnapshotIdentity {
  readonly device: string;
  readonly site: string;
  readonly session: string;
}

/**
 * The MQTT view of the camera stats (the other is /metrics): the metrics
 * camera-metrics.ts marks for the snapshot, so a snapshot carries exactly
 * what /metrics shows at that moment: gauges and counters as they are
 * (by reason as an object), histograms as count, sum and p50/p95/p99 over
 * the interval since the previous snapshot (plus the running totals).
 */
export class MetricsSnapshotter {
  private seq = 0;
  private lastTakenAt: number;
  private readonly previous = new WeakMap<BucketHistogram, HistogramState>();

  constructor(
    private readonly cameras: readonly CameraStats[],
    private readonly identity: SnapshotIdentity,
    private readonly now: () => number = Date.now,
  ) {
    this.lastTakenAt = now();
  }

  take(): MetricsPayload {
    const takenAt = this.now();
    const cameras = Object.fromEntries(this.cameras.map((stats) => [stats.camera, this.camera(stats)]));
    const intervalSeconds = (takenAt - this.lastTakenAt) / 1000;
    this.lastTakenAt = takenAt;
    this.seq += 1;
    return {
      schema: PAYLOAD_SCHEMA_VERSION,
      ...this.identity,
      seq: this.seq,
      timestamp: new Date(takenAt).toISOString(),
      timestamp_ms: takenAt,
      interval_seconds: round(intervalSeconds, 3),
      cameras,
    };
  }

  private camera(stats: CameraStats): CameraSnapshot {
    const snapshot: CameraSnapshot = {};
    for (const metric of CAMERA_METRICS) {
      if (!metric.inSnapshot) continue;
      const value = metric.read(stats);
      // No series for this camera (motion_level without motion gating): no key either, as /metrics has no line.
      if (value === undefined) continue;
      const series = seriesOf<number | BucketHistogram>(value).map(([labels, v]) => [labels[0], this.entry(v)] as const);
      snapshot[metric.name] = metric.labels ? Object.fromEntries(series) : series[0]![1];
    }
    return snapshot;
  }

  private entry(value: number | BucketHistogram): Entry {
    if (typeof value === 'number') return value;
    const state = value.state();
    const summary = summarize(state, this.previous.get(value));
    this.previous.set(value, state);
    return summary;
  }
}
