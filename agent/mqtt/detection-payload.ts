import { resultLatencyMs, type FrameResult, type FrameSkip } from '../core/frame.js';
import { objectsJson, type ObjectJson } from '../pipeline/objects-json.js';
import { round } from '../util/numbers.js';
import { PAYLOAD_SCHEMA_VERSION } from './topics.js';

/** One processed frame as published on <prefix>/<device>/<camera>/detections (schemas/mqtt/detections.schema.json). */
export interface DetectionPayload {
  schema: number;
  device: string;
  camera: string;
  seq: number;
  video_index: number;
  timestamp: string;
  timestamp_ms: number;
  frame: { width: number; height: number };
  /** Whether the detector ran on this frame (issue 16); false: the tracker predicted the objects (detector interval, motion gating). */
  detected: boolean;
  /** Why the detector did not run, on a frame that was not detected only. */
  skip_reason?: FrameSkip;
  /** As objectsJson writes them, plus the confirmed track (issue 15): null without one, or with tracking off. */
  objects: ObjectJson[];
  latency_ms: { detect: number; classify: number; total: number };
}

/** Times to the microsecond; objects as objectsJson writes them. */
export function detectionPayload(result: FrameResult, device: string): DetectionPayload {
  const { meta } = result.frame;
  return {
    schema: PAYLOAD_SCHEMA_VERSION,
    device,
    camera: meta.camera,
    seq: meta.seq,
    video_index: meta.videoIndex,
    timestamp: new Date(meta.capturedAt).toISOString(),
    timestamp_ms: round(meta.capturedAt, 3),
    frame: { width: meta.width, height: meta.height },
    detected: meta.skip === undefined,
    ...(meta.skip && { skip_reason: meta.skip }),
    objects: objectsJson(result.objects),
    latency_ms: {
      detect: round(result.timings.detectSeconds * 1000, 3),
      classify: round(result.timings.classifySeconds * 1000, 3),
      total: round(resultLatencyMs(result), 3),
    },
  };
}
