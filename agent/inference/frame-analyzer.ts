import type { ClassifierConfig, DetectorConfig, InferenceConfig } from '../config/schema.js';
import type { TensorRecipe } from '../core/detector-recipe.js';
import type { DetectedObject, InferenceTimings } from '../core/frame.js';
import type { Box } from '../core/letterbox.js';
import { batchTolerance } from '../model-tools/batch-check.js';
import { loadTensorKernel, type TensorKernel } from '../util/tensor-kernel.js';
import { Classifier, type Classification } from './classifier.js';
import { Detector } from './detector.js';
import { readLabels } from './labels.js';
import type { LoadedModelInfo } from './protocol.js';
import { loadSession } from './sessions.js';
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
}

/** What the narrow and wide sets of sessions share. */
interface SharedModelData {
  readonly detectorLabels: readonly string[];
  readonly classifier: { readonly config: ClassifierConfig; readonly labels: readonly string[]; readonly kernel: TensorKernel | undefined } | null;
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
    return (await FrameAnalyzer.loadWithWide(options, 0)).narrow;
  }

  /**
   * The lead worker's two sets of sessions over the same models: `narrow`
   * with the configured threads and, when `wideIntraOpThreads` > 0, `wide`
   * with that many (marked in every frame's timings). Labels, the tensor
   * kernel and the batch check are the models', not the sessions', so they
   * are read and run once.
   */
  static async loadWithWide(options: AnalyzerOptions, wideIntraOpThreads: number): Promise<{ narrow: FrameAnalyzer; wide: FrameAnalyzer | null }> {
    const cls = options.classifier && options.classifier.enabled ? options.classifier : null;
    const shared: SharedModelData = {
      detectorLabels: readLabels(options.detector.labels),
      classifier: cls ? { config: cls, labels: readLabels(cls.labels), kernel: loadTensorKernel() } : null,
    };
    const narrow = await FrameAnalyzer.open(options, shared, { threads: options.inference.intra_op_threads, wide: false });
    const wide = wideIntraOpThreads > 0 ? await FrameAnalyzer.open(options, shared, { threads: wideIntraOpThreads, wide: true }) : null;
    return { narrow, wide };
  }

  private static async open(options: AnalyzerOptions, shared: SharedModelData, set: { threads: number; wide: boolean }): Promise<FrameAnalyzer> {
    const inference = { ...options.inference, intra_op_threads: set.threads };
    const det = await loadSession(options.detector.model, inference, options.cacheDir, inference.batch_size);
    // The batch check is the model's: it runs on the narrow set only.
    const batch = set.wide ? undefined : { size: inference.batch_size, tolerance: batchTolerance(det.provider, inference.tensorrt.fp16) };
    const detector = await Detector.forModel(det.session, options.detector, shared.detectorLabels, options.detector.model, batch);
    const detectorInfo = { ...pick(det), recipe: detector.recipe };
    if (!shared.classifier) return new FrameAnalyzer(detector, null, { detector: detectorInfo, classifier: null }, set.wide);
    const { config, labels, kernel } = shared.classifier;
    const clsSession = await loadSession(config.model, inference, options.cacheDir, config.max_objects_per_frame);
    const classifier = Classifier.forModel(clsSession.session, config, labels, kernel);
    return new FrameAnalyzer(detector, classifier, { detector: detectorInfo, classifier: pick(clsSession) }, set.wide);
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
   * frame's crops through the classifier (unless the frame says `classify:
   * false`: classifier.mode per_track). Every frame's detect time is the
   * whole batch's: that is how long it waited for its boxes. A failed
   * detector run rejects (it was every frame's); a failed classification
   * fails its own frame only.
   */
  async analyzeBatch(frames: readonly { image: BgrImage; tensor: Float32Array; classify?: boolean }[]): Promise<FrameOutcome[]> {
    const t0 = performance.now();
    const detections = await this.detector.detectBatch(frames.map(({ image, tensor }) => ({ tensor, source: image })));
    const detectSeconds = (performance.now() - t0) / 1000;
    const outcomes: FrameOutcome[] = [];
    for (const [k, { image, classify = true }] of frames.entries()) {
      const t1 = performance.now();
      const objects: DetectedObject[] = detections[k]!.map((d) => ({ label: d.label, score: d.score, box: d.box, class: null }));
      try {
        const classifiedObjects = this.classifier && classify ? await this.classifyObjects(this.classifier, image, objects) : 0;
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
