import type { FrameResult } from '../core/frame.js';
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
  objects: {
    label: string;
    score: number;
    box: [number, number, number, number];
    class: { label: string; score: number } | null;
  }[];
  latency_ms: { detect: number; classify: number; total: number };
}

const round = (value: number, digits: number): number => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};

/**
 * Scores to 4 decimals and pixels to 1 keep a frame with 20 objects near
 * 2 KB without losing anything a consumer could use.
 */
export function detectionPayload(result: FrameResult, device: string): DetectionPayload {
  const { meta } = result.frame;
  const completedAtEpoch = performance.timeOrigin + result.completedAt;
  return {
    schema: PAYLOAD_SCHEMA_VERSION,
    device,
    camera: meta.camera,
    seq: meta.seq,
    video_index: meta.videoIndex,
    timestamp: new Date(meta.capturedAt).toISOString(),
    timestamp_ms: round(meta.capturedAt, 3),
    frame: { width: meta.width, height: meta.height },
    objects: result.objects.map((o) => ({
      label: o.label,
      score: round(o.score, 4),
      box: [round(o.box[0], 1), round(o.box[1], 1), round(o.box[2], 1), round(o.box[3], 1)],
      class: o.class && { label: o.class.label, score: round(o.class.score, 4) },
    })),
    latency_ms: {
      detect: round(result.timings.detectSeconds * 1000, 3),
      classify: round(result.timings.classifySeconds * 1000, 3),
      total: round(Math.max(0, completedAtEpoch - meta.capturedAt), 3),
    },
  };
}
