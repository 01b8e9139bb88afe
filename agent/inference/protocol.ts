import type { ClassifierConfig, DetectorConfig, InferenceConfig, Provider } from '../config/schema.js';
import type { TensorRecipe } from '../core/detector-recipe.js';
import type { DetectedObject, FrameMeta, InferenceTimings } from '../core/frame.js';
import type { Box } from '../core/letterbox.js';

export interface InferenceWorkerData {
  readonly detector: DetectorConfig;
  readonly classifier: ClassifierConfig | null;
  readonly inference: InferenceConfig;
  readonly cacheDir?: string | undefined;
  /** The lead worker: threads of its second, wide set of sessions for frames marked `wide`; 0: none (worker-plan.ts). */
  readonly wideIntraOpThreads: number;
}

export type ToInferenceWorker =
  /**
   * `wide`: no other frame is in flight, so a lead worker runs it on its wide
   * sessions. `classify`: the classifier runs on the detector's boxes (false:
   * the detector only; the pipeline classifies per track, with `classify`).
   */
  | { type: 'infer'; id: number; meta: FrameMeta; data: ArrayBuffer; tensor: ArrayBuffer; wide: boolean; classify: boolean }
  /** Classify these boxes of the frame (classifier.mode per_track); served before waiting frames, as the camera's results wait for it. */
  | { type: 'classify'; id: number; meta: FrameMeta; data: ArrayBuffer; boxes: Box[] }
  | { type: 'stop' };

export interface LoadedModelInfo {
  readonly provider: Provider;
  readonly fallbacks: readonly string[];
}

export type FromInferenceWorker =
  | { type: 'ready'; detector: LoadedModelInfo & { recipe: TensorRecipe }; classifier: LoadedModelInfo | null }
  | { type: 'failed'; code: string; message: string }
  /** The frame's pixels come back transferred and go on to the sinks (the detector input is spent). */
  | { type: 'result'; id: number; objects: DetectedObject[]; timings: InferenceTimings; data: ArrayBuffer }
  /** A classify job's answer: one class per box, in order, and the classifier's time; the pixels come back. */
  | { type: 'classified'; id: number; classes: { label: string; score: number }[]; seconds: number; data: ArrayBuffer }
  | { type: 'error'; id: number; message: string; data: ArrayBuffer };
