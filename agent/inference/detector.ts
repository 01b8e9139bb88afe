import * as ort from 'onnxruntime-node';
import type { DetectorConfig } from '../config/schema.js';
import type { TensorRecipe } from '../core/detector-recipe.js';
import { computeLetterbox, unletterboxBox, type Box, type Letterbox, type Size } from '../core/letterbox.js';
import { ErrorCode, VigilError } from '../errors.js';
import { batchMismatch } from '../model-tools/batch-check.js';
import type { DetectorHead } from './decoders/head.js';
import { createDetectorHead } from './decoders/index.js';
import { formatShape, fixedAndNot, inputShape, outputShape } from './model-shape.js';
import { classwiseNms } from './nms.js';

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
  /** Several frames' tensors side by side for one run(); grows to the largest batch seen, then reused. */
  private batchBuffer = new Float32Array(0);

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
   * Builds a detector after checking the model against the config: one
   * [1,3,H,W] input with H and W fixed (a dynamic size cannot be letterboxed
   * to), an output the configured head can decode, and one label per class.
   * With `batch.size` > 1 the batch must be dynamic and really keep frames
   * apart (checked on two runs, to `batch.tolerance`). A mismatch is an
   * AGENT_ERR_MODEL_SHAPE at start, never a per-frame failure.
   */
  static async forModel(
    session: ort.InferenceSession,
    config: DetectorConfig,
    labels: readonly string[],
    modelPath: string,
    batch: { readonly size: number; readonly tolerance: number } = { size: 1, tolerance: 0 },
  ): Promise<Detector> {
    const input = inputShape(session);
    const [n, c, h, w] = input;
    if (input.length !== 4 || c !== 3 || typeof h !== 'number' || typeof w !== 'number' || fixedAndNot(n, 1)) {
      throw new VigilError(ErrorCode.MODEL_SHAPE, `detector model ${modelPath} must take one fixed [1,3,H,W] input, got ${formatShape(input)}`);
    }
    if (batch.size > 1) {
      const why = typeof n === 'number' ? `its input fixes the batch at ${formatShape(input)}` : await batchMismatch(session, [3, h, w], batch.tolerance);
      if (why) {
        throw new VigilError(
          ErrorCode.MODEL_SHAPE,
          `detector model ${modelPath} cannot run inference.batch_size ${batch.size}: ${why}. Make a batchable copy with 'vigil model dynamic-batch' or set batch_size 1`,
        );
      }
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

  /**
   * One run() over one or more frames, each a letterboxed NCHW float32
   * tensor built to `recipe`; boxes come back in each frame's `source`
   * pixels (cameras may differ in size: each frame keeps its own letterbox).
   * More than one frame needs a model checked for a batch above 1 (forModel).
   */
  async detectBatch(frames: readonly { tensor: Float32Array; source: Size }[]): Promise<Detection[][]> {
    const perFrame = 3 * this.inputSize.width * this.inputSize.height;
    for (const { tensor } of frames) {
      if (tensor.length !== perFrame) throw new Error(`detector input has ${tensor.length} values, the model takes ${perFrame}`);
    }
    const input = new ort.Tensor('float32', this.stack(frames.map((f) => f.tensor), perFrame), [frames.length, 3, this.inputSize.height, this.inputSize.width]);
    const outputs = await this.session.run({ [this.session.inputNames[0]!]: input });
    const output = outputs[this.session.outputNames[0]!]!;
    const data = output.data as Float32Array;
    const frameValues = data.length / frames.length;
    const frameDims = [1, ...output.dims.slice(1)];
    return frames.map(({ source }, k) => this.decodeFrame(data.subarray(k * frameValues, (k + 1) * frameValues), frameDims, source));
  }

  /** A single frame goes to run() as it is; several are copied side by side into the reused batch buffer. */
  private stack(tensors: readonly Float32Array[], perFrame: number): Float32Array {
    if (tensors.length === 1) return tensors[0]!;
    const needed = tensors.length * perFrame;
    if (this.batchBuffer.length < needed) this.batchBuffer = new Float32Array(needed);
    tensors.forEach((t, k) => this.batchBuffer.set(t, k * perFrame));
    return this.batchBuffer.subarray(0, needed);
  }

  private decodeFrame(output: Float32Array, dims: readonly number[], source: Size): Detection[] {
    const candidates = this.head.decode(output, dims, {
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
