import { describe, expect, it } from 'vitest';
import { axisTable, resizeIntoTensor, type BgrImage, type Normalisation } from '../../agent/inference/tensor-fill.js';

const RAW_BGR: Normalisation = { channelOrder: 'bgr', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] };
const RAW_RGB: Normalisation = { ...RAW_BGR, channelOrder: 'rgb' };

/**
 * 2x2 BGR image, HWC. Each channel is linear in (x, y), so a bilinear
 * upscale has a closed form: B = 10 + 30x + 60y, G = B + 10, R = B + 20.
 */
const IMG: BgrImage = {
  width: 2,
  height: 2,
  data: new Uint8Array([
    10, 20, 30, /* (0,0) */ 40, 50, 60, /* (1,0) */
    70, 80, 90, /* (0,1) */ 100, 110, 120, /* (1,1) */
  ]),
};

describe('axisTable', () => {
  it('identity: i0 = start + d, weights 0', () => {
    const t = axisTable(0, 5, 5, 5);
    expect(Array.from(t.i0)).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(t.i1)).toEqual([1, 2, 3, 4, 4]);
    expect(Array.from(t.w1)).toEqual([0, 0, 0, 0, 0]);
  });

  it('identity with an offset region', () => {
    const t = axisTable(3, 4, 10, 4);
    expect(Array.from(t.i0)).toEqual([3, 4, 5, 6]);
    expect(Array.from(t.w1)).toEqual([0, 0, 0, 0]);
  });

  it('2x upscale uses half-pixel centres (OpenCV INTER_LINEAR): weights 0, .25, .75, 0', () => {
    const t = axisTable(0, 2, 2, 4);
    expect(Array.from(t.i0)).toEqual([0, 0, 0, 1]);
    expect(Array.from(t.i1)).toEqual([1, 1, 1, 1]);
    expect(Array.from(t.w1)).toEqual([0, 0.25, 0.75, 0]);
  });

  it('2x downscale averages pixel pairs', () => {
    const t = axisTable(0, 4, 4, 2);
    expect(Array.from(t.i0)).toEqual([0, 2]);
    expect(Array.from(t.i1)).toEqual([1, 3]);
    expect(Array.from(t.w1)).toEqual([0.5, 0.5]);
  });

  it('never indexes past srcLimit - 1', () => {
    const t = axisTable(8, 4, 10, 4);
    expect(Array.from(t.i0)).toEqual([8, 9, 9, 9]);
    expect(Math.max(...t.i1)).toBe(9);
  });
});

describe('resizeIntoTensor', () => {
  it('identity copy into a placement: CHW layout, BGR planes, other pixels untouched', () => {
    // planes of 4x3, image placed at (1, 1)
    const plane = 12;
    const tensor = new Float32Array(3 * plane).fill(-7);
    resizeIntoTensor(IMG, { x: 0, y: 0, width: 2, height: 2 }, tensor, 0, 4, 3, { x: 1, y: 1, width: 2, height: 2 }, RAW_BGR);
    const at = (p: number, x: number, y: number): number => tensor[p * plane + y * 4 + x]!;
    expect([at(0, 1, 1), at(0, 2, 1), at(0, 1, 2), at(0, 2, 2)]).toEqual([10, 40, 70, 100]);
    expect([at(1, 1, 1), at(1, 2, 1), at(1, 1, 2), at(1, 2, 2)]).toEqual([20, 50, 80, 110]);
    expect([at(2, 1, 1), at(2, 2, 1), at(2, 1, 2), at(2, 2, 2)]).toEqual([30, 60, 90, 120]);
    const written = new Set([5, 6, 9, 10]);
    for (let p = 0; p < 3; p++) {
      for (let i = 0; i < plane; i++) if (!written.has(i)) expect(tensor[p * plane + i]).toBe(-7);
    }
  });

  it("'rgb' puts R in plane 0 and B in plane 2", () => {
    const tensor = new Float32Array(12);
    resizeIntoTensor(IMG, { x: 0, y: 0, width: 2, height: 2 }, tensor, 0, 2, 2, { x: 0, y: 0, width: 2, height: 2 }, RAW_RGB);
    expect(Array.from(tensor)).toEqual([30, 60, 90, 120, 20, 50, 80, 110, 10, 40, 70, 100]);
  });

  it('normalises (v × scale − mean) / std per output plane', () => {
    const norm: Normalisation = { channelOrder: 'rgb', scale: 1 / 255, mean: [0.5, 0.25, 0], std: [0.5, 0.25, 2] };
    const tensor = new Float32Array(12);
    resizeIntoTensor(IMG, { x: 0, y: 0, width: 2, height: 2 }, tensor, 0, 2, 2, { x: 0, y: 0, width: 2, height: 2 }, norm);
    // pixel (1,1): R 120 → (120/255 − 0.5) / 0.5 = −0.0588235; G 110 → (110/255 − 0.25) / 0.25 = 0.7254902; B 100 → 100/255 / 2 = 0.1960784
    expect(tensor[3]).toBeCloseTo(-0.0588235, 5);
    expect(tensor[4 + 3]).toBeCloseTo(0.7254902, 5);
    expect(tensor[8 + 3]).toBeCloseTo(0.1960784, 5);
    // pixel (0,0): R 30 → (30/255 − 0.5) / 0.5 = −0.7647059
    expect(tensor[0]).toBeCloseTo(-0.7647059, 5);
  });

  it('bilinear 2x upscale matches the linear closed form', () => {
    const tensor = new Float32Array(3 * 16);
    resizeIntoTensor(IMG, { x: 0, y: 0, width: 2, height: 2 }, tensor, 0, 4, 4, { x: 0, y: 0, width: 4, height: 4 }, RAW_BGR);
    const s = [0, 0.25, 0.75, 1]; // source position of each output column/row
    for (let p = 0; p < 3; p++) {
      for (let y = 0; y < 4; y++) {
        for (let x = 0; x < 4; x++) expect(tensor[p * 16 + y * 4 + x]).toBeCloseTo(10 + 10 * p + 30 * s[x]! + 60 * s[y]!, 4);
      }
    }
    // spot check by hand: B row 0 = 10, 17.5, 32.5, 40
    expect(Array.from(tensor.subarray(0, 4))).toEqual([10, 17.5, 32.5, 40]);
  });

  it('reads only the region of the source and writes at the batch offset', () => {
    // 3x2 image; region = right 2 columns
    const img: BgrImage = {
      width: 3,
      height: 2,
      data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, /* row 1 */ 11, 12, 13, 14, 15, 16, 17, 18, 19]),
    };
    const plane = 4;
    const tensor = new Float32Array(2 * 3 * plane).fill(-1); // batch of 2
    resizeIntoTensor(img, { x: 1, y: 0, width: 2, height: 2 }, tensor, 3 * plane, 2, 2, { x: 0, y: 0, width: 2, height: 2 }, RAW_BGR);
    expect(Array.from(tensor.subarray(0, 3 * plane))).toEqual(new Array(12).fill(-1)); // item 0 untouched
    expect(Array.from(tensor.subarray(3 * plane))).toEqual([4, 7, 14, 17, 5, 8, 15, 18, 6, 9, 16, 19]);
  });

  it('gives the same result with precomputed tables', () => {
    const a = new Float32Array(3 * 16);
    const b = new Float32Array(3 * 16);
    const place = { x: 0, y: 0, width: 4, height: 4 };
    resizeIntoTensor(IMG, { x: 0, y: 0, width: 2, height: 2 }, a, 0, 4, 4, place, RAW_BGR);
    resizeIntoTensor(IMG, { x: 0, y: 0, width: 2, height: 2 }, b, 0, 4, 4, place, RAW_BGR, { x: axisTable(0, 2, 2, 4), y: axisTable(0, 2, 2, 4) });
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});
