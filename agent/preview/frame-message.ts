import type { PreviewImage } from '../capture/preview-encoder.js';
import type { ObjectJson } from '../pipeline/objects-json.js';

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
