import type { Size } from '../../core/letterbox.js';
import { formatShape, type ModelShape } from '../model-shape.js';
import type { Candidate } from '../nms.js';
import { bestClass, GRID_STRIDES, gridCells, type DecodeOptions, type DetectorHead } from './head.js';

/**
 * YOLOX exported without decode in the graph (`--decode_in_inference` off):
 * output [1, N, 5 + C], rows over the 8/16/32-stride grids in that order,
 * columns tx, ty, tw, th, obj, cls0..; obj and cls already sigmoided.
 */
export class YoloxHead implements DetectorHead {
  readonly type = 'yolox';
  readonly recipe = { placement: 'top_left', channelOrder: 'bgr', scale: 1, padValue: 114 } as const;
  private grid: { size: Size; gx: Int32Array; gy: Int32Array; stride: Int32Array } | null = null;

  outputMismatch(shape: ModelShape, inputSize: Size): string | null {
    const [, rows, columns] = shape;
    if (shape.length !== 3 || (typeof columns === 'number' && columns <= 5)) return `yolox output must be [1, N, 5+C], got ${formatShape(shape)}`;
    const expected = gridCells(inputSize);
    if (typeof rows === 'number' && rows !== expected) return `yolox output has ${rows} rows but a ${inputSize.width}x${inputSize.height} input gives ${expected}`;
    return null;
  }

  classCount(shape: ModelShape): number | null {
    const columns = shape[2];
    return typeof columns === 'number' ? columns - 5 : null;
  }

  decode(output: Float32Array, dims: readonly number[], options: DecodeOptions): Candidate[] {
    const [, rows = 0, columns = 0] = dims;
    const classCount = columns - 5;
    if (dims.length !== 3 || classCount <= 0) {
      throw new Error(`yolox output must be [1, N, 5+C], got [${dims.join(', ')}]`);
    }
    const grid = this.gridFor(options.inputSize, rows);
    const out: Candidate[] = [];
    for (let r = 0; r < rows; r++) {
      const o = r * columns;
      const objectness = output[o + 4]!;
      // score = obj × cls ≤ obj, so most rows are rejected without a class scan.
      if (objectness < options.scoreThreshold) continue;
      const best = bestClass(output, o + 5, 1, classCount, options.allowedClasses);
      const score = objectness * best.score;
      if (best.classId < 0 || score < options.scoreThreshold) continue;
      const s = grid.stride[r]!;
      const cx = (output[o]! + grid.gx[r]!) * s;
      const cy = (output[o + 1]! + grid.gy[r]!) * s;
      const w = Math.exp(output[o + 2]!) * s;
      const h = Math.exp(output[o + 3]!) * s;
      out.push({ box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], score, classId: best.classId });
    }
    return out;
  }

  /** Grid cell and stride for every output row, computed once per input size. */
  private gridFor(size: Size, rows: number): NonNullable<YoloxHead['grid']> {
    if (this.grid && this.grid.size.width === size.width && this.grid.size.height === size.height) return this.grid;
    const expected = gridCells(size);
    if (expected !== rows) {
      throw new Error(`yolox output has ${rows} rows but a ${size.width}x${size.height} input gives ${expected}`);
    }
    const gx = new Int32Array(rows);
    const gy = new Int32Array(rows);
    const stride = new Int32Array(rows);
    let r = 0;
    for (const s of GRID_STRIDES) {
      const gw = size.width / s;
      const gh = size.height / s;
      for (let y = 0; y < gh; y++) {
        for (let x = 0; x < gw; x++, r++) {
          gx[r] = x;
          gy[r] = y;
          stride[r] = s;
        }
      }
    }
    this.grid = { size, gx, gy, stride };
    return this.grid;
  }
}
