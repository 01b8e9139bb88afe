import * as ort from 'onnxruntime-node';
import type { DetectorConfig } from '../config/schema.js';
import { ErrorCode, VigilError } from '../errors.js';
import { createDetectorHead, type DetectorHead } from './decoders/index.js';
import { computeLetterbox, unletterboxBox, type Box, type Letterbox, type Size } from './letterbox.js';
import { classwiseNms } from './nms.js';
import { axisTable, fillPlanes, resizeIntoTensor, type BgrImage, type Normalisation } from './tensor-fill.js';

export interface Detection {
  readonly label: string;
  readonly classId: number;
  readonly score: number;
  /** [x1, y1, x2, y2] in source-frame pixels. */
  readonly box: Box;
}

/** Per frame-geometry state reused across frames: the tensor, its padding and the resize tables. */
interface Prepared {
  readonly source: Size;
  readonly letterbox: Letterbox;
  readonly tables: { x: ReturnType<typeof axisTable>; y: ReturnType<typeof axisTable> };
}

/**
 * Object detector around one ONNX Runtime session: letterbox into a reused
 * input tensor, run, decode with the configured head, class-wise NMS, map
 * back to source pixels. Runs wherever it is constructed; the agent builds
 * it inside the inference worker because `run()` blocks its thread.
 */
export class Detector {
  private readonly head: DetectorHead;
  private readonly input: Float32Array;
  private readonly inputTensor: ort.Tensor;
  private readonly norm: Normalisation;
  private readonly allowed: ReadonlySet<number> | null;
  private prepared: Prepared | null = null;

  constructor(
    private readonly session: ort.InferenceSession,
    private readonly config: DetectorConfig,
    private readonly labels: readonly string[],
    readonly inputSize: Size,
  ) {
    this.head = createDetectorHead(config.type);
    this.input = new Float32Array(3 * inputSize.width * inputSize.height);
    this.inputTensor = new ort.Tensor('float32', this.input, [1, 3, inputSize.height, inputSize.width]);
    this.norm = { channelOrder: this.head.recipe.channelOrder, scale: this.head.recipe.scale, mean: [0, 0, 0], std: [1, 1, 1] };
    this.allowed = config.classes.length === 0 ? null : new Set(config.classes.map((name) => labels.indexOf(name)));
  }

  /** Reads the fixed input size from the model; a dynamic one cannot be letterboxed to. */
  static inputSizeOf(session: ort.InferenceSession, modelPath: string): Size {
    const meta = session.inputMetadata[0];
    const shape = meta && meta.isTensor ? meta.shape : [];
    const [n, c, h, w] = shape;
    if (shape.length !== 4 || c !== 3 || typeof h !== 'number' || typeof w !== 'number' || (typeof n === 'number' && n !== 1)) {
      throw new VigilError(ErrorCode.MODEL_SHAPE, `detector model ${modelPath} must take one fixed [1,3,H,W] input, got [${shape.join(',')}]`);
    }
    return { width: w, height: h };
  }

  async detect(image: BgrImage): Promise<Detection[]> {
    const prepared = this.prepare(image);
    const { letterbox } = prepared;
    resizeIntoTensor(
      image,
      { x: 0, y: 0, width: image.width, height: image.height },
      this.input,
      0,
      this.inputSize.width,
      this.inputSize.height,
      { x: letterbox.padX, y: letterbox.padY, width: letterbox.resized.width, height: letterbox.resized.height },
      this.norm,
      prepared.tables,
    );
    const feeds = { [this.session.inputNames[0]!]: this.inputTensor };
    const outputs = await this.session.run(feeds);
    const output = outputs[this.session.outputNames[0]!]!;
    const candidates = this.head.decode(output.data as Float32Array, output.dims, {
      inputSize: this.inputSize,
      scoreThreshold: this.config.score_threshold,
      allowedClasses: this.allowed,
    });
    const kept = classwiseNms(candidates, this.config.nms_iou_threshold, this.config.max_detections);
    return kept.map((c) => ({
      label: this.labels[c.classId] ?? `class_${c.classId}`,
      classId: c.classId,
      score: c.score,
      box: unletterboxBox(c.box, letterbox, prepared.source),
    }));
  }

  /** Geometry changes only when the camera's resolution does, so padding and tables are rebuilt only then. */
  private prepare(image: BgrImage): Prepared {
    const p = this.prepared;
    if (p && p.source.width === image.width && p.source.height === image.height) return p;
    const source = { width: image.width, height: image.height };
    const letterbox = computeLetterbox(source, this.inputSize, this.head.recipe.placement);
    fillPlanes(this.input, 0, this.inputSize.width * this.inputSize.height, this.head.recipe.padValue, this.norm);
    const tables = {
      x: axisTable(0, image.width, image.width, letterbox.resized.width),
      y: axisTable(0, image.height, image.height, letterbox.resized.height),
    };
    this.prepared = { source, letterbox, tables };
    return this.prepared;
  }
}
