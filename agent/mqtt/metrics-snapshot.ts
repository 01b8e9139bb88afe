import type { Counter, Gauge, Histogram, MetricValue, MetricValueWithName } from 'prom-client';
import type { VigilMetrics } from '../metrics/registry.js';
import { EMPTY_HISTOGRAM, summarize, type HistogramState, type HistogramSummary } from './histogram-summary.js';
import { PAYLOAD_SCHEMA_VERSION } from './topics.js';

export interface CameraSnapshot {
  [metric: string]: number | HistogramSummary | Record<string, number>;
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

type Scalar = Gauge<string> | Counter<string>;

/**
 * Reads the seed metrics off the registry, so a snapshot carries exactly
 * what /metrics shows at that moment: gauges and counters as they are,
 * histograms as count, sum and p50/p95/p99 over the interval since the
 * previous snapshot (plus the running totals).
 */
export class MetricsSnapshotter {
  private seq = 0;
  private lastTakenAt: number;
  private readonly previous = new Map<string, HistogramState>();
  private readonly scalars: Record<string, Scalar>;
  private readonly histograms: Record<string, Histogram<string>>;

  constructor(
    private readonly metrics: VigilMetrics,
    private readonly cameras: readonly string[],
    private readonly identity: SnapshotIdentity,
    private readonly now: () => number = Date.now,
  ) {
    this.lastTakenAt = now();
    const m = metrics;
    this.scalars = {
      box_count: m.boxCount,
      classifier_frames_processed_total: m.classifierFramesProcessed,
      detector_disconnected: m.disconnected,
      detector_disconnected_seconds_total: m.disconnectedSeconds,
      detector_queue_size: m.queueSize,
      frames_sent_total: m.framesSent,
      video_index: m.videoIndex,
    };
    this.histograms = {
      frame_classify_latency: m.frameClassifyLatency,
      object_classify_latency: m.objectClassifyLatency,
      frame_duration: m.frameDuration,
      frame_latency: m.frameLatency,
    };
  }

  async take(): Promise<MetricsPayload> {
    const takenAt = this.now();
    const cameras: Record<string, CameraSnapshot> = Object.fromEntries(this.cameras.map((c) => [c, {}]));
    for (const [name, metric] of Object.entries(this.scalars)) {
      const { values } = await metric.get();
      for (const camera of this.cameras) (cameras[camera] ?? {})[name] = valueFor(values, camera);
    }
    const dropped = await this.metrics.framesDropped.get();
    for (const camera of this.cameras) {
      const byReason = Object.fromEntries(dropped.values.filter((v) => v.labels.camera === camera).map((v) => [String(v.labels.reason), v.value]));
      (cameras[camera] ?? {}).frames_dropped_total = byReason;
    }
    for (const [name, metric] of Object.entries(this.histograms)) {
      const { values } = await metric.get();
      for (const camera of this.cameras) {
        const key = `${name}\u0000${camera}`;
        const state = histogramState(values, camera);
        (cameras[camera] ?? {})[name] = summarize(state, this.previous.get(key));
        this.previous.set(key, state);
      }
    }
    const intervalSeconds = (takenAt - this.lastTakenAt) / 1000;
    this.lastTakenAt = takenAt;
    this.seq += 1;
    return {
      schema: PAYLOAD_SCHEMA_VERSION,
      ...this.identity,
      seq: this.seq,
      timestamp: new Date(takenAt).toISOString(),
      timestamp_ms: takenAt,
      interval_seconds: Math.round(intervalSeconds * 1000) / 1000,
      cameras,
    };
  }
}

function valueFor(values: readonly MetricValue<string>[], camera: string): number {
  return values.find((v) => v.labels.camera === camera)?.value ?? 0;
}

function histogramState(values: readonly MetricValueWithName<string>[], camera: string): HistogramState {
  const mine = values.filter((v) => v.labels.camera === camera);
  const buckets = mine
    .filter((v) => v.metricName?.endsWith('_bucket'))
    .map((v) => ({ le: v.labels.le === '+Inf' ? Infinity : Number(v.labels.le), count: v.value }))
    .sort((a, b) => a.le - b.le);
  if (buckets.length === 0) return EMPTY_HISTOGRAM;
  const sum = mine.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
  return { bounds: buckets.map((b) => b.le), counts: buckets.map((b) => b.count), sum };
}
