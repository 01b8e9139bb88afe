import * as ort from 'onnxruntime-node';
import type { ClassifierConfig } from '../config/schema.js';
import type { Box } from '../core/letterbox.js';
import { ErrorCode, VigilError } from '../errors.js';
import type { TensorKernel } from '../util/tensor-kernel.js';
import { squareCrop } from './crop.js';
import { fixedAndNot, formatShape, inputShape, outputShape } from './model-shape.js';
import { softmax, topOne } from './softmax.js';
import { normalisationAffine, resizeIntoTensor, type BgrImage, type Normalisation } from './tensor-fill.js';

export interface Classification {
  readonly label: string;
  readonly score: number;
}

/**
 * Per-object classifier: square crops around the boxes, resized and
 * normalised into one batch (native/tensor-kernel, or the same arithmetic in
 * JS without it), one `run()` per frame, softmax, top-1.
 */
export class Classifier {
  private readonly norm: Normalisation;
  private readonly affine: Float64Array;
  private readonly applyTo: ReadonlySet<string>;
  private batchBuffer = new Float32Array(0);

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly config: ClassifierConfig,
    private readonly labels: readonly string[],
    /** Crops per run(): the model's fixed batch size, or unlimited when the batch dimension is dynamic. */
    private readonly maxBatch: number,
    private readonly kernel: TensorKernel | undefined,
  ) {
    this.norm = { channelOrder: 'rgb', scale: 1 / 255, mean: config.mean, std: config.std };
    this.affine = normalisationAffine(this.norm);
    this.applyTo = new Set(config.apply_to);
  }

  /**
   * Builds a classifier after checking the model against the config: input
   * [N,3,S,S] with S = input_size, output [N,C] (or [N,C,1,1]) with one label
   * per class. A mismatch is an AGENT_ERR_MODEL_SHAPE at start, never a
   * per-frame failure.
   */
  static forModel(session: ort.InferenceSession, config: ClassifierConfig, labels: readonly string[], kernel?: TensorKernel): Classifier {
    const fail = (why: string): VigilError => new VigilError(ErrorCode.MODEL_SHAPE, `classifier model ${config.model} ${why}`);
    const input = inputShape(session);
    const [n, c, h, w] = input;
    if (input.length !== 4 || fixedAndNot(c, 3)) throw fail(`must take one [N,3,S,S] input, got ${formatShape(input)}`);
    if (fixedAndNot(h, config.input_size) || fixedAndNot(w, config.input_size)) {
      throw fail(`takes ${formatShape(input)} but classifier.input_size is ${config.input_size}`);
    }
    if (fixedAndNot(n, 1)) throw fail(`has a fixed batch of ${n}; export it with a dynamic batch or a batch of 1`);
    const output = outputShape(session);
    const [, classes, ...rest] = output;
    if (output.length < 2 || rest.some((d) => fixedAndNot(d, 1))) throw fail(`must give one [N,C] output of class scores, got ${formatShape(output)}`);
    if (typeof classes === 'number' && classes !== labels.length) {
      throw fail(`has ${classes} classes but classifier.labels ${config.labels} has ${labels.length} lines; every class would be misnamed`);
    }
    return new Classifier(session, config, labels, n === 1 ? 1 : Number.POSITIVE_INFINITY, kernel);
  }

  /**
   * Indices of the objects to classify: labels in `apply_to` (all when empty),
   * boxes big enough to say anything about, at most max_objects_per_frame of
   * them, highest detection score first (objects arrive sorted by score).
   */
  select(objects: readonly { label: string; box: Box }[]): number[] {
    const chosen: number[] = [];
    for (let i = 0; i < objects.length && chosen.length < this.config.max_objects_per_frame; i++) {
      const { label, box } = objects[i]!;
      if (this.applyTo.size > 0 && !this.applyTo.has(label)) continue;
      if (Math.min(box[2] - box[0], box[3] - box[1]) < this.config.min_box_pixels) continue;
      chosen.push(i);
    }
    return chosen;
  }

  async classify(image: BgrImage, boxes: readonly Box[]): Promise<Classification[]> {
    const results: Classification[] = [];
    for (let first = 0; first < boxes.length; first += this.maxBatch) {
      results.push(...(await this.classifyBatch(image, boxes.slice(first, first + this.maxBatch))));
    }
    return results;
  }

  private async classifyBatch(image: BgrImage, boxes: readonly Box[]): Promise<Classification[]> {
    const side = this.config.input_size;
    const plane = side * side;
    const needed = boxes.length * 3 * plane;
    // The batch buffer grows to the largest batch seen and is then reused.
    if (this.batchBuffer.length < needed) this.batchBuffer = new Float32Array(needed);
    const batch = this.batchBuffer.subarray(0, needed);
    boxes.forEach((box, i) => {
      const region = squareCrop(box, image.width, image.height, this.config.crop_margin);
      const offset = i * 3 * plane;
      if (this.kernel) {
        const { x, y, width, height } = region;
        this.kernel.cropToPlanes(image.data, image.width, image.height, x, y, width, height, batch, offset, side, side, this.affine, this.norm.channelOrder === 'rgb');
      } else {
        resizeIntoTensor(image, region, batch, offset, side, side, { x: 0, y: 0, width: side, height: side }, this.norm);
      }
    });
    const input = new ort.Tensor('float32', batch, [boxes.length, 3, side, side]);
    const outputs = await this.session.run({ [this.session.inputNames[0]!]: input });
    const logits = outputs[this.session.outputNames[0]!]!.data as Float32Array;
    const classes = logits.length / boxes.length;
    return boxes.map((_, i) => {
      const best = topOne(softmax(logits.subarray(i * classes, (i + 1) * classes)));
      return { label: this.labels[best.index] ?? `class_${best.index}`, score: best.probability };
    });
  }
}
