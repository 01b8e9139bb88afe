import type { CapturedFrame, DetectedObject, Frame, FrameResult, InferenceOutcome } from './frame.js';
import type { Box } from './letterbox.js';
import type { SceneUpdate, TrackedObject } from './scene.js';

/**
 * The small interfaces the pipeline meets its neighbours through, so that
 * pipeline/ knows no concrete capture, inference or output class: the
 * composition root (agent.ts) passes in CameraSource, InferenceEngine and
 * the sinks, which satisfy these.
 */

/** How the dispatcher wants frames spread over the inference workers (inference/worker-choice.ts). */
export type DispatchMode = 'latency' | 'throughput';

/** A camera as the dispatcher sees it: frames come out of its queue, credit goes back. */
export interface FrameSource {
  readonly name: string;
  /** `on_demand` pacing: the queue freed room for this many more frames. */
  grantCredit(frames: number): void;
  /** A frame's pixels nobody reads any more (published or dropped): freed off the main thread. The buffer is detached here. */
  returnPixels(data: ArrayBuffer): void;
}

/** The inference workers as the dispatcher sees them. */
export interface InferencePool {
  /** Whether a worker that `mode` uses can take another frame. */
  hasRoom(mode: DispatchMode): boolean;
  /**
   * `classify: false`: the detector only, no classification of its boxes
   * (classifier.mode per_track classifies tracks afterwards instead, with
   * `classify`); default true: every selected box is classified inline.
   */
  infer(frame: CapturedFrame, mode: DispatchMode, options?: { readonly classify?: boolean }): Promise<InferenceOutcome>;
  /**
   * Classifies the given boxes of a frame (issue 16, per-track
   * classification), on the least busy worker; the pixels go there and come
   * back in the outcome. Absent: no classifier is loaded.
   */
  classify?(frame: Frame, boxes: readonly Box[]): Promise<ClassifyOutcome>;
}

/** What a classify job gives back: the frame (its pixels returned), one class per box in order, and the classifier's time. */
export interface ClassifyOutcome {
  readonly frame: Frame;
  readonly classes: readonly NonNullable<DetectedObject['class']>[];
  readonly seconds: number;
}

/** Anything that consumes processed frames: metrics, MQTT, the preview. */
export interface ResultSink {
  readonly name: string;
  handle(result: FrameResult): void;
  /**
   * A tracked camera's scene update: right after `handle` for every frame
   * whose result has a `scene`, and on its own when the camera disconnected
   * or its video changed (every track ended; nothing else in it).
   */
  handleScene?(camera: string, update: SceneUpdate): void;
}

/**
 * A camera's tracker as the pipeline sees it (agent/tracking's Tracker
 * satisfies it): detections in, confirmed tracks out. Exactly one of
 * update() (a detected frame) or predict() (a frame the detector skipped,
 * issue 16) per frame, in capture order: each steps the motion model one frame.
 */
export interface SceneTracker {
  /** Confirmed tracks matched this frame; objectIndex is an index into `detections`. */
  update(detections: readonly Pick<DetectedObject, 'box' | 'score' | 'label'>[]): TrackedObject[];
  /**
   * A frame without detections: the confirmed tracks matched at the last
   * update, with their predicted boxes and last matched scores; objectIndex
   * is the index in the returned array. Tracks do not age on such frames.
   */
  predict(): TrackedObject[];
  /** Whether a live track moves or has just appeared: motion gating keeps the detector on while true. */
  readonly moving: boolean;
  /** Whether a live track not yet confirmed passes `test` (per-track classification wants the next detected frame's pixels; motion gating detects every frame meanwhile). */
  anyPending(test: (label: string, box: Box) => boolean): boolean;
  /** Track ids removed during the last update, predict or clear. */
  readonly ended: readonly number[];
  /** Confirmed tracks alive, matched or lost. */
  readonly activeCount: number;
  /** Every track ends (ids then in `ended`); ids keep counting. */
  clear(): void;
}

/** A camera's zone and line analytics as the pipeline sees it (agent/analytics' SceneAnalytics satisfies it). */
export interface SceneAnalyser {
  update(frame: { width: number; height: number; at: number }, tracks: readonly TrackedObject[], ended: readonly number[], tracksActive: number): SceneUpdate;
  /** The camera's tracks ended at `at` (epoch ms): visits close at each track's last seen time. */
  end(at: number, ended: readonly number[]): SceneUpdate;
}
