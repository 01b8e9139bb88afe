import type { CameraConfig } from '../config/schema.js';
import type { TensorRecipe } from '../core/detector-recipe.js';
import type { FrameMeta } from '../core/frame.js';
import type { PreviewImage, PreviewSettings } from './preview-encoder.js';

/**
 * What a capture worker needs to read one camera (`add`). A worker hosts
 * several cameras; every message names its camera by the id the pool gave
 * it (CaptureWorkerPool), unique per add, so a camera re-added after a
 * crash or an abandoned reader is never confused with its predecessor.
 */
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

/** What one camera's reader on a worker is told (agent/capture/camera-reader.ts). */
export type ToCameraReader =
  /** Drop the current connection and open again (the main thread saw a stall). */
  | { type: 'reconnect'; reason: string }
  /**
   * After `disconnected` the worker waits for this before it opens again: the
   * main thread paces opens (backoff timer, reachability probe, agent/capture/reopen-scheduler.ts).
   * `probe`: the camera came back; the backoff starts afresh.
   */
  | { type: 'open'; reason: 'backoff' | 'probe' }
  /**
   * The answer to `opening` for an RTSP source whose server did not answer
   * an RTSP request (a frozen or unreachable server): the worker does not
   * open, whose synchronous open would block every camera on the worker,
   * and counts a failed open instead.
   */
  | { type: 'refuse'; message: string }
  /** `on_demand` pacing: the queue has room for this many more frames. */
  | { type: 'credit'; frames: number }
  /** Encode a JPEG preview of frames at these settings (null: stop, nobody watches). */
  | { type: 'preview'; settings: PreviewSettings | null }
  /**
   * Which frames get the detector (issue 16; agent/capture/detection-gate.ts
   * decides per frame): every `interval`-th, and with motion gating only while
   * something moves or a track does (`movingTracks`, from the camera's tracker).
   * `wantPixels` false: no classification is due (per-track classification),
   * so detected frames leave their pixels behind too. `confirming`: a track
   * waits for confirmation (with motion gating every frame is detected then).
   */
  | { type: 'gate'; interval: number; movingTracks: boolean; wantPixels: boolean; confirming?: boolean }
  /**
   * A published frame's pixels, handed back to be freed here. Left to the
   * main thread's garbage collector, a 1.3 MB buffer a frame made V8 mark
   * the main thread's large heap every few dozen frames: per_track 20–35 %
   * fewer frames a second with pixels on every frame (measured, 2 cores).
   * This thread's heap is small, so freeing them here is cheap.
   */
  | { type: 'pixels'; data: ArrayBuffer }
;

export type ToCaptureWorker =
  | (ToCameraReader & { readonly camera: number })
  /** Start reading a camera. */
  | { type: 'add'; camera: number; data: CaptureWorkerData }
  /** Stop reading a camera: its read in flight returns first, then `removed`. */
  | { type: 'remove'; camera: number }
  /** Every camera stops and the worker exits (an abandoned worker). */
  | { type: 'stop' };

export type FromCameraReader =
  /**
   * Before each open. `gated`: the worker waits for `open` (go) or `refuse`
   * before it opens: an RTSP source is probed by the main thread first.
   */
  | { type: 'opening'; url: string; attempt: number; source: number; gated: boolean }
  | { type: 'opened'; url: string; videoIndex: number; width: number; height: number; fps: number; openSeconds: number }
  | { type: 'frame'; meta: FrameMeta; data: ArrayBuffer; tensor: ArrayBuffer; preview?: PreviewImage }
  | { type: 'skipped'; reason: 'fps_cap' }
  /** The worker now waits for `open`; `source` is the index in `sources` it will open then. */
  | { type: 'disconnected'; code: string; message: string; retryInSeconds: number; source: number }
  /** Something the operator should know that does not interrupt capture (a file that ended early). */
  | { type: 'problem'; code: string; message: string }
  | { type: 'ended'; message: string };

export type FromCaptureWorker =
  | (FromCameraReader & { readonly camera: number })
  /** The camera's reader has finished (after `remove`, `stop`, or a file that ended). */
  | { type: 'removed'; camera: number }
  /** Every second while the worker's event loop runs: a worker silent for long is blocked in a native open. */
  | { type: 'alive' };
