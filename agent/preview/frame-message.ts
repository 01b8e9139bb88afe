import type { PreviewImage } from '../capture/preview-encoder.js';
import { resultLatencyMs, type FrameResult } from '../core/frame.js';
import type { SceneCounts } from '../core/scene.js';
import { objectsJson, type ObjectJson } from '../pipeline/objects-json.js';
import { round } from '../util/numbers.js';

/** The JSON header of a binary preview message; boxes are in source pixels. */
export interface FrameHeader {
  readonly camera: string;
  readonly seq: number;
  readonly captured_at: number;
  readonly width: number;
  readonly height: number;
  readonly jpeg_width: number;
  readonly jpeg_height: number;
  readonly objects: readonly ObjectJson[];
  readonly latency_ms: number;
  /** Only for a tracked camera (issue 15): zone occupancy now and line crossings so far, and tracks alive. */
  readonly counts?: SceneCounts;
  readonly tracks_active?: number;
}

/** A frame's header: its objects with their track ids, and the camera's counts when it is tracked. */
export function frameHeader(result: FrameResult, image: Pick<PreviewImage, 'width' | 'height'>): FrameHeader {
  const { meta } = result.frame;
  const scene = result.scene;
  return {
    camera: meta.camera,
    seq: meta.seq,
    captured_at: meta.capturedAt,
    width: meta.width,
    height: meta.height,
    jpeg_width: image.width,
    jpeg_height: image.height,
    objects: objectsJson(result.objects),
    latency_ms: round(resultLatencyMs(result), 1),
    ...(scene && { counts: scene.counts, tracks_active: scene.tracksActive }),
  };
}

/**
 * One WebSocket binary message: a 4-byte big-endian header length, the
 * header as UTF-8 JSON, then the JPEG. One message, so the picture and its
 * boxes can never arrive out of step.
 */
export function frameMessage(header: FrameHeader, image: PreviewImage): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const message = Buffer.allocUnsafe(4 + json.length + image.jpeg.byteLength);
  message.writeUInt32BE(json.length, 0);
  json.copy(message, 4);
  Buffer.from(image.jpeg).copy(message, 4 + json.length);
  return message;
}

/** The inverse, for tests and tools. */
export function parseFrameMessage(message: Buffer): { header: FrameHeader; jpeg: Buffer } {
  const length = message.readUInt32BE(0);
  return { header: JSON.parse(message.subarray(4, 4 + length).toString('utf8')) as FrameHeader, jpeg: message.subarray(4 + length) };
}
