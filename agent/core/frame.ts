import type { Box } from './letterbox.js';
import type { SceneUpdate } from './scene.js';

/** What travels with every frame; pixel data travels beside it as a transferred ArrayBuffer. */
export interface FrameMeta {
  readonly camera: string;
  /** Per-camera sequence number of captured frames, from 0 at agent start. */
  readonly seq: number;
  /** Capture time, epoch milliseconds with sub-millisecond precision. */
  readonly capturedAt: number;
  readonly videoIndex: number;
  readonly width: number;
  readonly height: number;
  /**
   * Why the detector did not run on this frame (issue 16): `interval` (not
   * the N-th frame) or `no_motion` (motion gating); absent: it was detected.
   * A skipped frame carries no tensor and no pixels; the tracker predicts it.
   */
  readonly skip?: FrameSkip;
  /** Fraction of the unmasked frame that moved (0–1), on cameras with motion gating. */
  readonly motion?: number;
}

export const FRAME_SKIPS = ['interval', 'no_motion'] as const;
export type FrameSkip = (typeof FRAME_SKIPS)[number];

/** A BGR 8-bit HWC frame. `data` is owned by whoever holds the Frame; it is transferred, never shared. */
export interface Frame {
  readonly meta: FrameMeta;
  /** The pixels, or empty (0 bytes) when no classifier needs them (capture's sendPixels). */
  readonly data: ArrayBuffer;
}

/**
 * A frame fresh from capture, with the detector's input beside it, compact:
 * the frame resized to the letterbox's inner size, 8-bit BGR HWC; the
 * inference worker expands it into the NCHW float32 tensor
 * (agent/util/detector-input.ts).
 */
export interface CapturedFrame extends Frame {
  readonly tensor: ArrayBuffer;
}

export interface DetectedObject {
  readonly label: string;
  readonly score: number;
  /** [x1, y1, x2, y2] in source pixels. */
  readonly box: Box;
  readonly class: { readonly label: string; readonly score: number } | null;
  /** The confirmed track this detection belongs to, once tracking ran; null for none (yet). */
  readonly trackId?: number | null;
}

export interface InferenceTimings {
  /** The whole detector run() this frame was part of, decoding and NMS included. */
  readonly detectSeconds: number;
  /** Frames in that run(): 1 without cross-camera batching. */
  readonly batchFrames: number;
  /** Run on the lead worker's wide sessions (twice the threads), as a frame with no other in flight is (worker-plan.ts). */
  readonly wide: boolean;
  readonly classifySeconds: number;
  readonly classifiedObjects: number;
}

/** What inference gives back for a frame: the frame (its pixels returned) and what was found. */
export interface InferenceOutcome {
  readonly frame: Frame;
  readonly objects: DetectedObject[];
  readonly timings: InferenceTimings;
}

/** One processed frame, as sinks (metrics, MQTT, preview) receive it. */
export interface FrameResult {
  readonly frame: Frame;
  readonly objects: readonly DetectedObject[];
  readonly timings: InferenceTimings;
  /** Main-thread clock (performance.now()) when the frame left the queue and when results were ready. */
  readonly dequeuedAt: number;
  readonly completedAt: number;
  /** Tracks, zones and lines for this frame, when the camera is tracked (issue 15). */
  readonly scene?: SceneUpdate;
}

/** Epoch milliseconds with sub-millisecond precision, comparable across worker threads. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Capture to results ready, in milliseconds: the frame_latency every output reports (never negative across clocks). */
export function resultLatencyMs(result: Pick<FrameResult, 'frame' | 'completedAt'>): number {
  return Math.max(0, performance.timeOrigin + result.completedAt - result.frame.meta.capturedAt);
}
