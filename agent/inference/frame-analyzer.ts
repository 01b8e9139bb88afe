import type { ClassifierConfig, DetectorConfig, InferenceConfig } from '../config/schema.js';
import type { DetectedObject, InferenceTimings } from '../pipeline/frame.js';
import { Classifier, type Classification } from './classifier.js';
import { Detector } from './detector.js';
import { readLabels } from './labels.js';
import type { Box } from './letterbox.js';
import type { TensorRecipe } from './decoders/index.js';
import type { LoadedModelInfo } from './protocol.js';
import { loadSession } from './sessions.js';
import { loadTensorKernel } from './tensor-kernel.js';
import { batchTolerance } from '../model-tools/batch-check.js';
import type { BgrImage } from './tensor-fill.js';

export interface FrameAnalysis {
  readonly objects: DetectedObject[];
  readonly timings: InferenceTimings;
}

/** One frame of a batch: its analysis, or why its classification failed (the others' results stand). */
export type FrameOutcome = { readonly ok: true; readonly analysis: FrameAnalysis } | { readonly ok: false; readonly error: unknown };

export interface AnalyzerOptions {
  readonly detector: DetectorConfig;
  readonly classifier: ClassifierConfig | null;
  readonly inference: InferenceConfig;
  /** The config's cache_dir: TensorRT engines and timing cache go to `<cacheDir>/tensorrt`. */
  readonly cacheDir?: string | undefined;
  /** These are the lead worker's wide sessions (reported in every frame's timings). */
  readonly wide?: boolean;
}

/**
 * Detector followed by the per-object classifier: the whole per-frame
 * analysis, independent of threads, so tests and the benchmark can run it
 * in-process and the inference worker wraps it.
 */
export class FrameAnalyzer {
  private constructor(
    private readonly detector: Detector,
    private readonly classifier: Classifier | null,
    readonly info: { detector: LoadedModelInfo & { recipe: TensorRecipe }; classifier: LoadedModelInfo | null },
    private readonly wide: boolean,
  ) {}

  static async load(options: AnalyzerOptions): Promise<FrameAnalyzer> {
    const detectorLabels = readLabels(options.detector.labels);
    const det = await loadSession(options.detector.model, options.inference, options.cacheDir, options.inference.batch_size);
    const detector = await Detector.forModel(det.session, options.detector, detectorLabels, options.detector.model, {
      size: options.inference.batch_size,
      tolerance: batchTolerance(det.provider, options.inference.tensorrt.fp16),
    });
    const cls = options.classifier && options.classifier.enabled ? options.classifier : null;
    const wide = options.wide ?? false;
    const detectorInfo = { ...pick(det), recipe: detector.recipe };
    if (!cls) return new FrameAnalyzer(detector, null, { detector: detectorInfo, classifier: null }, wide);
    const classifierLabels = readLabels(cls.labels);
    const clsSession = await loadSession(cls.model, options.inference, options.cacheDir, cls.max_objects_per_frame);
    const classifier = Classifier.forModel(clsSession.session, cls, classifierLabels, loadTensorKernel());
    return new FrameAnalyzer(detector, classifier, { detector: detectorInfo, classifier: pick(clsSession) }, wide);
  }

  /** Classifies given boxes directly (no detection); for tools and tests. */
  classifyBoxes(image: BgrImage, boxes: readonly Box[]): Promise<Classification[]> {
    if (!this.classifier) throw new Error('no classifier configured');
    return this.classifier.classify(image, boxes);
  }

  /** `tensor` is the detector input built from `image` to `info.detector.recipe`; the classifier crops from `image`. */
  async analyze(image: BgrImage, tensor: Float32Array): Promise<FrameAnalysis> {
    const [outcome] = await this.analyzeBatch([{ image, tensor }]);
    if (!outcome!.ok) throw outcome!.error;
    return outcome!.analysis;
  }

  /**
   * Several frames (of any cameras) through one detector run(), then each
   * frame's crops through the classifier. Every frame's detect time is the
   * whole batch's: that is how long it waited for its boxes. A failed
   * detector run rejects (it was every frame's); a failed classification
   * fails its own frame only.
   */
  async analyzeBatch(frames: readonly { image: BgrImage; tensor: Float32Array }[]): Promise<FrameOutcome[]> {
    const t0 = performance.now();
    const detections = await this.detector.detectBatch(frames.map(({ image, tensor }) => ({ tensor, source: image })));
    const detectSeconds = (performance.now() - t0) / 1000;
    const outcomes: FrameOutcome[] = [];
    for (const [k, { image }] of frames.entries()) {
      const t1 = performance.now();
      const objects: DetectedObject[] = detections[k]!.map((d) => ({ label: d.label, score: d.score, box: d.box, class: null }));
      try {
        const classifiedObjects = this.classifier ? await this.classifyObjects(this.classifier, image, objects) : 0;
        const timings = { detectSeconds, batchFrames: frames.length, wide: this.wide, classifySeconds: (performance.now() - t1) / 1000, classifiedObjects };
        outcomes.push({ ok: true, analysis: { objects, timings } });
      } catch (error) {
        outcomes.push({ ok: false, error });
      }
    }
    return outcomes;
  }

  /** Attaches a class to the objects the classifier selects; returns how many. */
  private async classifyObjects(classifier: Classifier, image: BgrImage, objects: DetectedObject[]): Promise<number> {
    const chosen = classifier.select(objects);
    const classes = await classifier.classify(
      image,
      chosen.map((i) => objects[i]!.box),
    );
    chosen.forEach((objectIndex, k) => {
      objects[objectIndex] = { ...objects[objectIndex]!, class: classes[k]! };
    });
    return chosen.length;
  }
}

function pick(loaded: { provider: LoadedModelInfo['provider']; fallbacks: LoadedModelInfo['fallbacks'] }): LoadedModelInfo {
  return { provider: loaded.provider, fallbacks: loaded.fallbacks };
}
