import * as ort from 'onnxruntime-node';
import type { DetectorConfig } from '../config/schema.js';
import { ErrorCode, VigilError } from '../errors.js';
import { createDetectorHead, type DetectorHead } from './decoders/index.js';
import { computeLetterbox, unletterboxBox, type Box, type Letterbox, type Size } from './letterbox.js';
import { formatShape, fixedAndNot, inputShape, outputShape } from './model-shape.js';
import { classwiseNms } from './nms.js';
import type { TensorRecipe } from './decoders/index.js';

export interface Detection {
  readonly label: string;
  readonly classId: number;
  readonly score: number;
  /** [x1, y1, x2, y2] in source-frame pixels. */
  readonly box: Box;
}

/**
 * Object detector around one ONNX Runtime session: run on an input tensor
 * built to `recipe` (by the capture thread, see capture/tensor-builder.ts),
 * decode with the configured head, class-wise NMS, map back to source
 * pixels. The agent runs it inside the inference worker because `run()`
 * blocks its thread.
 */
export class Detector {
  private readonly head: DetectorHead;
  private readonly allowed: ReadonlySet<number> | null;
  readonly recipe: TensorRecipe;
  /** The letterbox depends only on the source size, which changes only when a camera's resolution does. */
  private letterbox: { source: Size; geometry: Letterbox } | null = null;

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly config: DetectorConfig,
    private readonly labels: readonly string[],
    readonly inputSize: Size,
  ) {
    this.head = createDetectorHead(config.type);
    this.recipe = { ...inputSize, ...this.head.recipe };
    this.allowed = config.classes.length === 0 ? null : new Set(config.classes.map((name) => labels.indexOf(name)));
  }

  /**
   * Builds a detector after checking the model against the config: one fixed
   * [1,3,H,W] input (a dynamic one cannot be letterboxed to), an output the
   * configured head can decode, and one label per class. A mismatch is an
   * AGENT_ERR_MODEL_SHAPE at start, never a per-frame failure.
   */
  static forModel(session: ort.InferenceSession, config: DetectorConfig, labels: readonly string[], modelPath: string): Detector {
    const input = inputShape(session);
    const [n, c, h, w] = input;
    if (input.length !== 4 || c !== 3 || typeof h !== 'number' || typeof w !== 'number' || fixedAndNot(n, 1)) {
      throw new VigilError(ErrorCode.MODEL_SHAPE, `detector model ${modelPath} must take one fixed [1,3,H,W] input, got ${formatShape(input)}`);
    }
    const inputSize = { width: w, height: h };
    const head = createDetectorHead(config.type);
    const output = outputShape(session);
    const mismatch = head.outputMismatch(output, inputSize);
    if (mismatch) {
      throw new VigilError(ErrorCode.MODEL_SHAPE, `detector model ${modelPath} is not a detector.type ${config.type} model: ${mismatch}`);
    }
    const classes = head.classCount(output);
    if (classes !== null && classes !== labels.length) {
      throw new VigilError(
        ErrorCode.MODEL_SHAPE,
        `detector model ${modelPath} has ${classes} classes but detector.labels ${config.labels} has ${labels.length} lines; every box would be misnamed`,
      );
    }
    return new Detector(session, config, labels, inputSize);
  }

  /** `tensor` is the letterboxed frame (NCHW float32, `recipe`); boxes come back in `source` pixels. */
  async detect(tensor: Float32Array, source: Size): Promise<Detection[]> {
    const expected = 3 * this.inputSize.width * this.inputSize.height;
    if (tensor.length !== expected) throw new Error(`detector input has ${tensor.length} values, the model takes ${expected}`);
    const input = new ort.Tensor('float32', tensor, [1, 3, this.inputSize.height, this.inputSize.width]);
    const outputs = await this.session.run({ [this.session.inputNames[0]!]: input });
    const output = outputs[this.session.outputNames[0]!]!;
    const candidates = this.head.decode(output.data as Float32Array, output.dims, {
      inputSize: this.inputSize,
      scoreThreshold: this.config.score_threshold,
      allowedClasses: this.allowed,
    });
    const kept = classwiseNms(candidates, this.config.nms_iou_threshold, this.config.max_detections);
    const letterbox = this.letterboxFor(source);
    return kept.map((c) => ({
      label: this.labels[c.classId] ?? `class_${c.classId}`,
      classId: c.classId,
      score: c.score,
      box: unletterboxBox(c.box, letterbox, source),
    }));
  }

  private letterboxFor(source: Size): Letterbox {
    const cached = this.letterbox;
    if (cached && cached.source.width === source.width && cached.source.height === source.height) return cached.geometry;
    const geometry = computeLetterbox(source, this.inputSize, this.head.recipe.placement);
    this.letterbox = { source, geometry };
    return geometry;
  }
}
