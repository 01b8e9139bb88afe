import type { ClassifierConfig, DetectorConfig, InferenceConfig, Provider } from '../config/schema.js';
import type { DetectedObject, FrameMeta, InferenceTimings } from '../pipeline/frame.js';
import type { TensorRecipe } from './decoders/index.js';

export interface InferenceWorkerData {
  readonly detector: DetectorConfig;
  readonly classifier: ClassifierConfig | null;
  readonly inference: InferenceConfig;
  readonly cacheDir?: string | undefined;
}

export type ToInferenceWorker = { type: 'infer'; id: number; meta: FrameMeta; data: ArrayBuffer; tensor: ArrayBuffer } | { type: 'stop' };

export interface LoadedModelInfo {
  readonly provider: Provider;
  readonly fallbacks: readonly string[];
}

export type FromInferenceWorker =
  | { type: 'ready'; detector: LoadedModelInfo & { recipe: TensorRecipe }; classifier: LoadedModelInfo | null }
  | { type: 'failed'; code: string; message: string }
  | { type: 'result'; id: number; objects: DetectedObject[]; timings: InferenceTimings; data: ArrayBuffer }
  | { type: 'error'; id: number; message: string; data: ArrayBuffer };
