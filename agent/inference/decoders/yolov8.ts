import type { Size } from '../../core/letterbox.js';
import { formatShape, type ModelShape } from '../model-shape.js';
import type { Candidate } from '../nms.js';
import { bestClass, gridCells, type DecodeOptions, type DetectorHead } from './head.js';

/**
 * Ultralytics YOLOv8/v11 detect head as exported to ONNX: output [1, 4 + C, N]
 * (channel-major), rows cx, cy, w, h in input pixels, then C class scores
 * already sigmoided; no objectness. Input RGB 0..1, letterbox centred.
 */
export class Yolov8Head implements DetectorHead {
  readonly type = 'yolov8';
  readonly recipe = { placement: 'center', channelOrder: 'rgb', scale: 1 / 255, padValue: 114 } as const;

  outputMismatch(shape: ModelShape, inputSize: Size): string | null {
    const [, channels, anchors] = shape;
    if (shape.length !== 3 || (typeof channels === 'number' && channels <= 4)) return `yolov8 output must be [1, 4+C, N], got ${formatShape(shape)}`;
    const expected = gridCells(inputSize);
    if (typeof anchors === 'number' && anchors !== expected) return `yolov8 output has ${anchors} anchors but a ${inputSize.width}x${inputSize.height} input gives ${expected}`;
    return null;
  }

  classCount(shape: ModelShape): number | null {
    const channels = shape[1];
    return typeof channels === 'number' ? channels - 4 : null;
  }

  decode(output: Float32Array, dims: readonly number[], options: DecodeOptions): Candidate[] {
    const [, channels = 0, anchors = 0] = dims;
    const classCount = channels - 4;
    if (dims.length !== 3 || classCount <= 0) {
      throw new Error(`yolov8 output must be [1, 4+C, N], got [${dims.join(', ')}]`);
    }
    const out: Candidate[] = [];
    for (let a = 0; a < anchors; a++) {
      const best = bestClass(output, 4 * anchors + a, anchors, classCount, options.allowedClasses);
      if (best.classId < 0 || best.score < options.scoreThreshold) continue;
      const cx = output[a]!;
      const cy = output[anchors + a]!;
      const w = output[2 * anchors + a]!;
      const h = output[3 * anchors + a]!;
      out.push({ box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], score: best.score, classId: best.classId });
    }
    return out;
  }
}
