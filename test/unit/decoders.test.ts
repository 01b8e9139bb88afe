import { describe, expect, it } from 'vitest';
import { DETECTOR_TYPES } from '../../agent/core/detector-recipe.js';
import { createDetectorHead } from '../../agent/inference/decoders/index.js';
import { bestClass, gridCells, type DecodeOptions } from '../../agent/inference/decoders/head.js';
import { YoloxHead } from '../../agent/inference/decoders/yolox.js';
import { Yolov8Head } from '../../agent/inference/decoders/yolov8.js';

function expectBox(actual: readonly number[], expected: readonly number[], digits = 4): void {
  expect(actual).toHaveLength(4);
  expected.forEach((v, i) => expect(actual[i]).toBeCloseTo(v, digits));
}

describe('YoloxHead', () => {
  const COLS = 85; // tx, ty, tw, th, obj, cls0..79
  const ROWS = 52 * 52 + 26 * 26 + 13 * 13; // 3549 for a 416x416 input
  const opts = (over: Partial<DecodeOptions> = {}): DecodeOptions => ({
    inputSize: { width: 416, height: 416 },
    scoreThreshold: 0.3,
    allowedClasses: null,
    ...over,
  });

  function setRow(out: Float32Array, row: number, values: { tx?: number; ty?: number; tw?: number; th?: number; obj: number; cls: Record<number, number> }): void {
    const o = row * COLS;
    out[o] = values.tx ?? 0;
    out[o + 1] = values.ty ?? 0;
    out[o + 2] = values.tw ?? 0;
    out[o + 3] = values.th ?? 0;
    out[o + 4] = values.obj;
    for (const [c, s] of Object.entries(values.cls)) out[o + 5 + Number(c)] = s;
  }

  it('has the YOLOX recipe: top-left letterbox, BGR, 0..255, pad 114', () => {
    const head = new YoloxHead();
    expect(head.type).toBe('yolox');
    expect(head.recipe).toEqual({ placement: 'top_left', channelOrder: 'bgr', scale: 1, padValue: 114 });
  });

  it('decodes a stride-8 row: cell (10, 5), tw = 0, th = ln 2, obj 0.9 × cls3 0.8', () => {
    expect(ROWS).toBe(3549);
    const out = new Float32Array(ROWS * COLS);
    setRow(out, 5 * 52 + 10, { tx: 0.5, ty: 0.5, tw: 0, th: Math.log(2), obj: 0.9, cls: { 3: 0.8 } });
    const found = new YoloxHead().decode(out, [1, ROWS, COLS], opts());
    expect(found).toHaveLength(1);
    expect(found[0]!.classId).toBe(3);
    expect(found[0]!.score).toBeCloseTo(0.72, 5);
    // cx = (0.5 + 10) * 8 = 84, cy = (0.5 + 5) * 8 = 44, w = 1 * 8, h = 2 * 8
    expectBox(found[0]!.box, [80, 36, 88, 52]);
  });

  it('decodes rows in the stride-16 and stride-32 grids', () => {
    const out = new Float32Array(ROWS * COLS);
    // stride 16, last cell (25, 25): row 2704 + 25 * 26 + 25 = 3379
    setRow(out, 52 * 52 + 25 * 26 + 25, { tx: 0.25, ty: 0.75, obj: 0.6, cls: { 79: 0.9 } });
    // stride 32, cell (3, 7): row 2704 + 676 + 7 * 13 + 3 = 3474
    setRow(out, 52 * 52 + 26 * 26 + 7 * 13 + 3, { tw: Math.log(2), obj: 1, cls: { 0: 0.5 } });
    const found = new YoloxHead().decode(out, [1, ROWS, COLS], opts());
    expect(found).toHaveLength(2);
    const [s16, s32] = found;
    expect(s16!.classId).toBe(79);
    expect(s16!.score).toBeCloseTo(0.54, 5);
    // cx = 25.25 * 16 = 404, cy = 25.75 * 16 = 412, w = h = 16
    expectBox(s16!.box, [396, 404, 412, 420]);
    expect(s32!.classId).toBe(0);
    expect(s32!.score).toBeCloseTo(0.5, 6);
    // cx = 3 * 32 = 96, cy = 7 * 32 = 224, w = 2 * 32 = 64, h = 32
    expectBox(s32!.box, [64, 208, 128, 240]);
  });

  it('lays out a non-square grid row by row (64x32 input: 8x4 + 4x2 + 2x1 = 42 rows)', () => {
    const cols = 7; // 2 classes
    const out = new Float32Array(42 * cols);
    // stride 8 grid is 8 wide: cell (5, 2) is row 2 * 8 + 5 = 21
    out.set([0.5, 0.5, 0, 0, 0.9, 0.1, 0.9], 21 * cols);
    // stride 32 grid is 2x1: its second cell (1, 0) is the last row, 41
    out.set([0, 0, 0, 0, 0.8, 1, 0], 41 * cols);
    const found = new YoloxHead().decode(out, [1, 42, cols], { inputSize: { width: 64, height: 32 }, scoreThreshold: 0.3, allowedClasses: null });
    expect(found.map((f) => f.classId)).toEqual([1, 0]);
    expect(found[0]!.score).toBeCloseTo(0.81, 5);
    expectBox(found[0]!.box, [40, 16, 48, 24]); // cx 44, cy 20, 8x8
    expectBox(found[1]!.box, [16, -16, 48, 16]); // cx 32, cy 0, 32x32
  });

  it('ignores rows whose objectness, or obj × cls, is below the threshold', () => {
    const out = new Float32Array(ROWS * COLS);
    setRow(out, 0, { obj: 0.29, cls: { 0: 1 } }); // obj below 0.3
    setRow(out, 1, { obj: 0.5, cls: { 0: 0.5 } }); // 0.25 < 0.3
    setRow(out, 2, { obj: 0.5, cls: { 0: 0.7 } }); // 0.35 kept
    const found = new YoloxHead().decode(out, [1, ROWS, COLS], opts());
    expect(found).toHaveLength(1);
    expect(found[0]!.score).toBeCloseTo(0.35, 5);
    // row 2 is stride-8 cell (2, 0): cx = 16, cy = 0, 8x8
    expectBox(found[0]!.box, [12, -4, 20, 4]);
  });

  it('allowedClasses: picks the best allowed class and drops rows with none above the threshold', () => {
    const out = new Float32Array(ROWS * COLS);
    setRow(out, 100, { obj: 1, cls: { 3: 0.8, 5: 0.6 } });
    setRow(out, 200, { obj: 1, cls: { 3: 0.9 } });
    const found = new YoloxHead().decode(out, [1, ROWS, COLS], opts({ allowedClasses: new Set([5]) }));
    expect(found).toHaveLength(1);
    expect(found[0]!.classId).toBe(5);
    expect(found[0]!.score).toBeCloseTo(0.6, 6);
    // Without the filter both rows come back with class 3.
    const all = new YoloxHead().decode(out, [1, ROWS, COLS], opts());
    expect(all.map((f) => f.classId)).toEqual([3, 3]);
  });

  it('throws when the row count does not match the input size', () => {
    expect(() => new YoloxHead().decode(new Float32Array(3548 * COLS), [1, 3548, COLS], opts())).toThrow(/3548 rows.*3549/);
    // 640x640 gives 8400 rows, not 3549
    expect(() => new YoloxHead().decode(new Float32Array(ROWS * COLS), [1, ROWS, COLS], opts({ inputSize: { width: 640, height: 640 } }))).toThrow(
      /3549 rows but a 640x640 input gives 8400/,
    );
  });

  it('throws on malformed dims', () => {
    expect(() => new YoloxHead().decode(new Float32Array(ROWS * 5), [1, ROWS, 5], opts())).toThrow(/\[1, N, 5\+C\]/);
    expect(() => new YoloxHead().decode(new Float32Array(ROWS * COLS), [ROWS, COLS], opts())).toThrow(/5\+C/);
  });
});

describe('Yolov8Head', () => {
  // [1, 4 + C, N] channel-major: value (channel k, anchor a) at k * N + a
  const C = 3;
  const N = 5;
  const opts = (over: Partial<DecodeOptions> = {}): DecodeOptions => ({
    inputSize: { width: 640, height: 640 },
    scoreThreshold: 0.25,
    allowedClasses: null,
    ...over,
  });
  function tensor(anchors: Record<number, { cx: number; cy: number; w: number; h: number; cls: Record<number, number> }>): Float32Array {
    const out = new Float32Array((4 + C) * N);
    for (const [key, v] of Object.entries(anchors)) {
      const a = Number(key);
      out[a] = v.cx;
      out[N + a] = v.cy;
      out[2 * N + a] = v.w;
      out[3 * N + a] = v.h;
      for (const [c, s] of Object.entries(v.cls)) out[(4 + Number(c)) * N + a] = s;
    }
    return out;
  }

  it('has the Ultralytics recipe: centred letterbox, RGB, 1/255, pad 114', () => {
    const head = new Yolov8Head();
    expect(head.type).toBe('yolov8');
    expect(head.recipe).toEqual({ placement: 'center', channelOrder: 'rgb', scale: 1 / 255, padValue: 114 });
  });

  it('decodes one anchor: cx, cy, w, h in input pixels, score = class score', () => {
    const out = tensor({ 2: { cx: 100, cy: 50, w: 20, h: 10, cls: { 1: 0.8 } } });
    const found = new Yolov8Head().decode(out, [1, 4 + C, N], opts());
    expect(found).toHaveLength(1);
    expect(found[0]!.classId).toBe(1);
    expect(found[0]!.score).toBeCloseTo(0.8, 6);
    expect(found[0]!.box).toEqual([90, 45, 110, 55]);
  });

  it('applies the score threshold and the class filter', () => {
    const out = tensor({
      0: { cx: 10, cy: 10, w: 4, h: 4, cls: { 0: 0.24 } }, // below 0.25
      3: { cx: 300, cy: 200, w: 60, h: 40, cls: { 0: 0.3, 2: 0.9 } },
    });
    const found = new Yolov8Head().decode(out, [1, 4 + C, N], opts());
    expect(found).toHaveLength(1);
    expect(found[0]!.classId).toBe(2);
    expect(found[0]!.box).toEqual([270, 180, 330, 220]);
    // Only class 0 allowed: anchor 3 falls back to its class-0 score 0.3
    const only0 = new Yolov8Head().decode(out, [1, 4 + C, N], opts({ allowedClasses: new Set([0]) }));
    expect(only0).toHaveLength(1);
    expect(only0[0]!.classId).toBe(0);
    expect(only0[0]!.score).toBeCloseTo(0.3, 6);
    // Class 1 allowed: every score is 0
    expect(new Yolov8Head().decode(out, [1, 4 + C, N], opts({ allowedClasses: new Set([1]) }))).toEqual([]);
    // Threshold 0.95: nothing
    expect(new Yolov8Head().decode(out, [1, 4 + C, N], opts({ scoreThreshold: 0.95 }))).toEqual([]);
  });

  it('throws on wrong dims', () => {
    expect(() => new Yolov8Head().decode(new Float32Array(4 * N), [1, 4, N], opts())).toThrow(/\[1, 4\+C, N\], got \[1, 4, 5\]/);
    expect(() => new Yolov8Head().decode(new Float32Array(84 * 8400), [84, 8400], opts())).toThrow(/4\+C/);
    expect(() => new Yolov8Head().decode(new Float32Array(84 * 8400), [1, 84, 8400, 1], opts())).toThrow(/4\+C/);
  });
});

describe('bestClass and createDetectorHead', () => {
  it('bestClass reads scores with a stride and honours the allowed set', () => {
    // scores at 1, 3, 5 (stride 2): 0.2, 0.7, 0.5
    const data = new Float32Array([9, 0.2, 9, 0.7, 9, 0.5]);
    const all = bestClass(data, 1, 2, 3, null);
    expect(all.classId).toBe(1);
    expect(all.score).toBeCloseTo(0.7, 6);
    const some = bestClass(data, 1, 2, 3, new Set([0, 2]));
    expect(some.classId).toBe(2);
    expect(some.score).toBeCloseTo(0.5, 6);
    expect(bestClass(data, 1, 2, 3, new Set([7]))).toEqual({ classId: -1, score: -Infinity });
  });

  it('creates a head per type', () => {
    expect(DETECTOR_TYPES).toEqual(['yolox', 'yolov8']);
    expect(createDetectorHead('yolox')).toBeInstanceOf(YoloxHead);
    expect(createDetectorHead('yolov8')).toBeInstanceOf(Yolov8Head);
  });
});

describe('output shape checks at model load', () => {
  const size416 = { width: 416, height: 416 };
  const size640 = { width: 640, height: 640 };

  it('gridCells counts the stride-8/16/32 cells: 3549 at 416, 8400 at 640', () => {
    expect(gridCells(size416)).toBe(3549);
    expect(gridCells(size640)).toBe(8400);
  });

  it('YOLOX accepts [1, cells, 5+C] and dynamic dimensions; names what is wrong otherwise', () => {
    const head = new YoloxHead();
    expect(head.outputMismatch([1, 3549, 85], size416)).toBeNull();
    expect(head.outputMismatch(['batch', 'rows', 85], size416)).toBeNull();
    expect(head.classCount([1, 3549, 85])).toBe(80);
    expect(head.classCount([1, 3549, 'classes'])).toBeNull();
    expect(head.outputMismatch(['batch_size', 1000], size416)).toMatch(/\[1, N, 5\+C\], got \[batch_size,1000\]/);
    expect(head.outputMismatch([1, 3549, 5], size416)).toMatch(/5\+C/);
    expect(head.outputMismatch([1, 8400, 85], size416)).toMatch(/8400 rows but a 416x416 input gives 3549/);
    // A YOLOv8 output is [1, 84, 8400]: 84 rows is no YOLOX grid.
    expect(head.outputMismatch([1, 84, 8400], size640)).toMatch(/84 rows/);
  });

  it('YOLOv8 accepts [1, 4+C, cells]; rejects a YOLOX output and a classifier output', () => {
    const head = new Yolov8Head();
    expect(head.outputMismatch([1, 84, 8400], size640)).toBeNull();
    expect(head.classCount([1, 84, 8400])).toBe(80);
    expect(head.outputMismatch([1, 3549, 85], size416)).toMatch(/85 anchors but a 416x416 input gives 3549/);
    expect(head.outputMismatch([1, 1000], size640)).toMatch(/\[1, 4\+C, N\]/);
    expect(head.outputMismatch([1, 4, 8400], size640)).toMatch(/4\+C/);
  });
});
