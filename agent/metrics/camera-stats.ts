import type { FrameSkip } from '../core/frame.js';
import { BucketHistogram } from './bucket-histogram.js';
import { SceneStats, type SceneSeriesOptions } from './scene-stats.js';

/**
 * Bucket upper bounds in seconds for work a device does in 1-200 ms, with a
 * tail for slow devices and queue wait.
 */
export const WORK_BUCKETS = [0.001, 0.002, 0.004, 0.006, 0.008, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1];
export const LATENCY_BUCKETS = [...WORK_BUCKETS, 2, 5];
export const CONFIDENCE_BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1];
export const BATCH_BUCKETS = [1, 2, 3, 4, 6, 8, 12, 16];

export const DROP_REASONS = ['queue_full', 'fps_cap', 'inference_error'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export interface CameraStatsOptions {
  readonly camera: string;
  readonly queueCapacity: number;
  /** The camera queue's length now: the queue owns that number, the stats only read it. */
  readonly queueSize: () => number;
  /** Whether a classifier runs, so prediction_confidence{stage="classifier"} exists from the start. */
  readonly classifier: boolean;
  /** A tracked camera's zones, lines and known labels; absent when the camera is not tracked (no tracking series). */
  readonly scene?: SceneSeriesOptions;
  /** The camera's detector interval at start (issue 16): its configured N, or 1 for `auto` (where auto starts); default 1. */
  readonly detectorInterval?: number;
  /** Whether the camera has motion gating (`cameras[].motion.enabled`), so motion_level exists for it (and only for it). */
  readonly motion?: boolean;
}

/**
 * One camera's numbers: plain fields, each written by one module (noted
 * below), and read by the two views of them, /metrics (prometheus-view.ts)
 * and the MQTT metrics snapshot, through camera-metrics.ts. Everything
 * exists at zero from the moment the camera is configured, so a dashboard
 * or an absent() alert can tell a new camera from a dead one.
 */
export class CameraStats {
  readonly camera: string;
  readonly queueCapacity: number;
  /** camera-pipeline.ts */
  framesSent = 0;
  readonly framesDropped: Record<DropReason, number> = { queue_full: 0, fps_cap: 0, inference_error: 0 };
  /** The camera's pipeline (issue 16): the interval in use now, changed by `detector.interval: auto`. */
  detectorInterval: number;
  /** capture/camera-source.ts */
  disconnected: 0 | 1 = 0;
  disconnectedSeconds = 0;
  videoIndex = 0;
  /** metrics-sink.ts, from each processed frame. */
  boxCount = 0;
  classifierFramesProcessed = 0;
  /** Frames the detector skipped (issue 16), by why: processed from the tracks instead. */
  readonly framesSkipped: Record<FrameSkip, number> = { interval: 0, no_motion: 0 };
  /** Fraction (0–1) of the unmasked frame that moved in the last frame; undefined (no series) on a camera without motion gating. */
  motionLevel: number | undefined;
  readonly objectsDetected = new Map<string, number>();
  readonly frameClassifyLatency = new BucketHistogram(WORK_BUCKETS);
  readonly objectClassifyLatency = new BucketHistogram(WORK_BUCKETS);
  readonly frameDuration = new BucketHistogram(LATENCY_BUCKETS);
  readonly frameLatency = new BucketHistogram(LATENCY_BUCKETS);
  readonly detectorInference = new BucketHistogram(WORK_BUCKETS);
  readonly detectorBatchFrames = new BucketHistogram(BATCH_BUCKETS);
  readonly detectorConfidence = new BucketHistogram(CONFIDENCE_BUCKETS);
  readonly classifierConfidence: BucketHistogram | undefined;
  /** metrics-sink.ts, from each scene update; undefined when the camera is not tracked. Replaced when a reload changes its zones or lines (resetScene). */
  scene: SceneStats | undefined;
  private readonly queued: () => number;

  constructor(options: CameraStatsOptions) {
    this.camera = options.camera;
    this.queueCapacity = options.queueCapacity;
    this.queued = options.queueSize;
    this.detectorInterval = options.detectorInterval ?? 1;
    this.motionLevel = options.motion ? 0 : undefined;
    this.classifierConfidence = options.classifier ? new BucketHistogram(CONFIDENCE_BUCKETS) : undefined;
    this.scene = options.scene ? new SceneStats(options.scene) : undefined;
  }

  /** New zones, lines or tracker from a config reload: the tracking series start again at zero, with the new names only. */
  resetScene(scene: SceneSeriesOptions | undefined): void {
    this.scene = scene ? new SceneStats(scene) : undefined;
  }

  get queueSize(): number {
    return this.queued();
  }
}
