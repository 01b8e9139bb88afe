import type { BucketHistogram } from './bucket-histogram.js';
import type { CameraStats } from './camera-stats.js';

interface Definition {
  /** The fleet dashboards' name: a contract, never renamed. */
  readonly name: string;
  readonly help: string;
  /**
   * The labels besides `camera`, outermost first, for a metric with one
   * series per reason, object label, stage, zone…: read() then gives maps
   * nested one level per label (zone → label → value).
   */
  readonly labels?: readonly string[];
  /** Also carried by the MQTT metrics snapshot (config/mqtt-schemas/metrics.schema.json). */
  readonly inSnapshot: boolean;
}

export interface CameraScalar extends Definition {
  /**
   * `box_count` is `untyped`: promtool's lint rejects any non-histogram
   * ending in `_count`, and untyped (which the lint skips) keeps the fleet's
   * name with gauge semantics.
   */
  readonly type: 'counter' | 'gauge' | 'untyped';
  /** The camera's value, by `labels` when the metric has them; undefined: no series for this camera. */
  read(stats: CameraStats): Nested<number> | undefined;
}

export interface CameraHistogram extends Definition {
  readonly type: 'histogram';
  read(stats: CameraStats): Nested<BucketHistogram> | undefined;
}

/** A value, or values keyed by a label's value, one map level per label. */
export type Nested<V> = V | ReadonlyMap<string, Nested<V>>;

export type CameraMetric = CameraScalar | CameraHistogram;

/**
 * Every per-camera metric, in /metrics order: what both views of the
 * camera stats (prometheus-view.ts, mqtt/metrics-snapshot.ts) publish, so
 * neither repeats a name or reads the other's output.
 */
export const CAMERA_METRICS: readonly CameraMetric[] = [
  { name: 'box_count', help: 'Boxes (count) in the last processed frame', type: 'untyped', inSnapshot: true, read: (s) => s.boxCount },
  {
    name: 'classifier_frames_processed_total',
    help: 'Frames (count) processed: detected (and classified, where configured) or predicted from the tracks',
    type: 'counter',
    inSnapshot: true,
    read: (s) => s.classifierFramesProcessed,
  },
  { name: 'detector_disconnected', help: 'Whether the camera is disconnected (1) or delivering frames (0)', type: 'gauge', inSnapshot: true, read: (s) => s.disconnected },
  {
    name: 'detector_disconnected_seconds_total',
    help: 'Time in seconds the camera has spent disconnected',
    type: 'counter',
    inSnapshot: true,
    read: (s) => s.disconnectedSeconds,
  },
  { name: 'detector_queue_size', help: 'Frames (count) waiting in the camera queue for inference', type: 'gauge', inSnapshot: true, read: (s) => s.queueSize },
  {
    name: 'detector_queue_capacity',
    help: 'Frames (count) the camera queue holds at most (detector_queue_size / this = saturation)',
    type: 'gauge',
    inSnapshot: false,
    read: (s) => s.queueCapacity,
  },
  {
    name: 'frame_classify_latency',
    help: 'Time in seconds to classify all objects of one frame',
    type: 'histogram',
    inSnapshot: true,
    read: (s) => s.frameClassifyLatency,
  },
  {
    name: 'object_classify_latency',
    help: 'Time in seconds to classify one object (batch time divided by batch size)',
    type: 'histogram',
    inSnapshot: true,
    read: (s) => s.objectClassifyLatency,
  },
  {
    name: 'frame_duration',
    help: 'Time in seconds from taking a frame off the queue to its results being ready',
    type: 'histogram',
    inSnapshot: true,
    read: (s) => s.frameDuration,
  },
  {
    name: 'frame_latency',
    help: 'Time in seconds from frame capture to its results being ready, queue wait included',
    type: 'histogram',
    inSnapshot: true,
    read: (s) => s.frameLatency,
  },
  { name: 'frames_sent_total', help: 'Frames (count) captured and handed to the queue', type: 'counter', inSnapshot: true, read: (s) => s.framesSent },
  {
    name: 'video_index',
    help: 'Index (count) of the video being read: advances per file, playlist item, loop or reconnect',
    type: 'gauge',
    inSnapshot: true,
    read: (s) => s.videoIndex,
  },
  {
    name: 'frames_dropped_total',
    help: 'Frames (count) dropped before inference, by reason',
    type: 'counter',
    labels: ['reason'],
    inSnapshot: true,
    read: (s) => new Map(Object.entries(s.framesDropped)),
  },
  // Less inference per camera (issue 16): frames processed from the tracks instead of a detector run, and why.
  {
    name: 'frames_skipped_total',
    help: 'Frames (count) processed without a detector run, their boxes predicted by the tracker, by reason (interval, no_motion)',
    type: 'counter',
    labels: ['reason'],
    inSnapshot: true,
    read: (s) => new Map(Object.entries(s.framesSkipped)),
  },
  {
    name: 'detector_interval',
    help: 'Frames (count) per detector run now: detector.interval, or where auto has set it',
    type: 'gauge',
    inSnapshot: true,
    read: (s) => s.detectorInterval,
  },
  {
    name: 'motion_level',
    help: 'Fraction (ratio 0-1) of the unmasked frame that moved in the last frame, on cameras with motion gating',
    type: 'gauge',
    inSnapshot: true,
    read: (s) => s.motionLevel,
  },
  {
    name: 'detector_inference_seconds',
    help: 'Time in seconds of one detector run with output decoding and NMS (the input tensor is built on the capture thread); detected frames only',
    type: 'histogram',
    inSnapshot: false,
    read: (s) => s.detectorInference,
  },
  {
    name: 'detector_batch_frames',
    help: 'Frames (count) in the detector run each detected frame was part of: 1 without cross-camera batching (inference.batch_size)',
    type: 'histogram',
    inSnapshot: false,
    read: (s) => s.detectorBatchFrames,
  },
  { name: 'objects_detected_total', help: 'Objects (count) detected by a detector run, by label', type: 'counter', labels: ['label'], inSnapshot: false, read: (s) => s.objectsDetected },
  {
    name: 'prediction_confidence',
    help: 'Confidence (ratio 0-1) of detections and classifications, observed when the detector or the classifier ran',
    type: 'histogram',
    labels: ['stage'],
    inSnapshot: false,
    read: (s) => new Map(s.classifierConfidence ? [['detector', s.detectorConfidence], ['classifier', s.classifierConfidence]] : [['detector', s.detectorConfidence]]),
  },
  // Tracking, zones and lines (issue 15), on tracked cameras only; label values come from the config and the detector's labels (docs/metrics.md#cardinality).
  {
    name: 'objects_tracked_total',
    help: 'Distinct objects (count) tracked: tracks confirmed, by label',
    type: 'counter',
    labels: ['label'],
    inSnapshot: false,
    read: (s) => s.scene?.objectsTracked,
  },
  { name: 'tracks_active', help: 'Tracks (count) alive now: confirmed, seen or briefly lost', type: 'gauge', inSnapshot: false, read: (s) => s.scene?.tracksActive },
  {
    name: 'zone_objects',
    help: 'Objects (count) inside the zone now, by label',
    type: 'gauge',
    labels: ['zone', 'label'],
    inSnapshot: false,
    read: (s) => s.scene?.zoneObjects,
  },
  {
    name: 'zone_entries_total',
    help: 'Entries (count) of tracked objects into the zone, by label',
    type: 'counter',
    labels: ['zone', 'label'],
    inSnapshot: false,
    read: (s) => s.scene?.zoneEntries,
  },
  {
    name: 'zone_dwell_seconds',
    help: 'Time in seconds a tracked object spent in the zone, observed when it leaves or its track ends inside',
    type: 'histogram',
    labels: ['zone', 'label'],
    inSnapshot: false,
    read: (s) => s.scene?.zoneDwell,
  },
  {
    name: 'line_crossings_total',
    help: 'Crossings (count) of the line by tracked objects, by direction and label',
    type: 'counter',
    labels: ['line', 'direction', 'label'],
    inSnapshot: false,
    read: (s) => s.scene?.lineCrossings,
  },
];

/** What a definition read for one camera, as series: [the values of its own labels in order (none without), value]. */
export function seriesOf<V extends number | BucketHistogram>(value: Nested<V> | undefined): [string[], V][] {
  if (value === undefined) return [];
  if (!(value instanceof Map)) return [[[], value as V]];
  return [...(value as ReadonlyMap<string, Nested<V>>)].flatMap(([key, inner]) => seriesOf(inner).map(([keys, v]): [string[], V] => [[key, ...keys], v]));
}
