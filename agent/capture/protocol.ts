import type { CameraConfig } from '../config/schema.js';
import type { TensorRecipe } from '../core/detector-recipe.js';
import type { FrameMeta } from '../core/frame.js';
import type { PreviewImage, PreviewSettings } from './preview-encoder.js';

export interface CaptureWorkerData {
  readonly camera: CameraConfig;
  /** What the worker opens, one per playlist item: the camera's URLs, or the GStreamer pipelines built from them (`decoder`). */
  readonly sources: readonly string[];
  /** Sequence number to continue from when a worker is replaced, so seq stays monotonic. */
  readonly firstSeq: number;
  readonly firstVideoIndex: number;
  readonly recipe: TensorRecipe;
  /**
   * Whether frames carry their BGR pixels: only the classifier crops from
   * them (the detector gets the tensor), so without one a 1.3 MB copy and
   * its trip through three threads per frame are skipped.
   */
  readonly sendPixels: boolean;
  /** `on_demand` files: frames the queue has room for right now (a replacement worker continues the count). */
  readonly credits: number;
  /** Preview encoding already wanted when the worker starts (a replacement keeps it). */
  readonly preview: PreviewSettings | null;
}

export type ToCaptureWorker =
  /** Drop the current connection and open again (the main thread saw a stall). */
  | { type: 'reconnect'; reason: string }
  /**
   * After `disconnected` the worker waits for this before it opens again: the
   * main thread paces opens (backoff timer, reachability probe, agent/capture/reopen-scheduler.ts).
   * `probe`: the camera came back; the backoff starts afresh.
   */
  | { type: 'open'; reason: 'backoff' | 'probe' }
  /** `on_demand` pacing: the queue has room for this many more frames. */
  | { type: 'credit'; frames: number }
  /** Encode a JPEG preview of frames at these settings (null: stop, nobody watches). */
  | { type: 'preview'; settings: PreviewSettings | null }
  /**
   * Which frames get the detector (issue 16; agent/capture/detection-gate.ts
   * decides per frame): every `interval`-th, and with motion gating only while
   * something moves or a track does (`movingTracks`, from the camera's tracker).
   */
  | { type: 'gate'; interval: number; movingTracks: boolean }
  /** A frame's detector tensor, back from inference (transferred): filled again for a later frame. */
  | { type: 'recycle'; tensor: ArrayBuffer }
  | { type: 'stop' };

export type FromCaptureWorker =
  | { type: 'opening'; url: string; attempt: number }
  | { type: 'opened'; url: string; videoIndex: number; width: number; height: number; fps: number; openSeconds: number }
  | { type: 'frame'; meta: FrameMeta; data: ArrayBuffer; tensor: ArrayBuffer; preview?: PreviewImage }
  | { type: 'skipped'; reason: 'fps_cap' }
  /** The worker now waits for `open`; `source` is the index in `sources` it will open then. */
  | { type: 'disconnected'; code: string; message: string; retryInSeconds: number; source: number }
  /** Something the operator should know that does not interrupt capture (a file that ended early). */
  | { type: 'problem'; code: string; message: string }
  | { type: 'ended'; message: string };
