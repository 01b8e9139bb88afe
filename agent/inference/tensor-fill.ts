import type { Rect } from './crop.js';

/** A BGR, 8-bit, row-major (HWC) frame as OpenCV hands it over. */
export interface BgrImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** Per-channel affine map from a 0..255 pixel to the model's input value: (v × scale − mean) / std. */
export interface Normalisation {
  readonly channelOrder: 'bgr' | 'rgb';
  readonly scale: number;
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

/** Plane p's value for a pixel v is v × affine[p] + affine[3 + p] (the same numbers in JS and native/tensor-kernel). */
export function normalisationAffine(norm: Normalisation): Float64Array {
  const affine = new Float64Array(6);
  for (let p = 0; p < 3; p++) {
    affine[p] = norm.scale / norm.std[p]!;
    affine[3 + p] = -norm.mean[p]! / norm.std[p]!;
  }
  return affine;
}

export interface Placement {
  /** Top-left corner and size of the resized region inside the tensor plane. */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** One axis of a bilinear resize: source index pairs and the weight of the second. */
interface AxisTable {
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly w1: Float32Array;
}

/**
 * Bilinear sampling positions with half-pixel centres, the convention of
 * OpenCV's INTER_LINEAR, so results match what the models were evaluated with.
 */
export function axisTable(srcStart: number, srcLength: number, srcLimit: number, dstLength: number): AxisTable {
  const i0 = new Int32Array(dstLength);
  const i1 = new Int32Array(dstLength);
  const w1 = new Float32Array(dstLength);
  const ratio = srcLength / dstLength;
  for (let d = 0; d < dstLength; d++) {
    const s = Math.min(Math.max((d + 0.5) * ratio - 0.5, 0), srcLength - 1);
    const lo = Math.floor(s);
    i0[d] = Math.min(srcStart + lo, srcLimit - 1);
    i1[d] = Math.min(srcStart + Math.min(lo + 1, srcLength - 1), srcLimit - 1);
    w1[d] = s - lo;
  }
  return { i0, i1, w1 };
}

/**
 * Resizes `region` of `image` into one NCHW plane set of `tensor` (starting at
 * `offset`, planes of `planeWidth`×`planeHeight`), converting layout and
 * normalising in the same pass: one read of the source, one write of the
 * destination, no intermediate images. Pixels outside `placement` are left
 * as they are (the caller pre-fills padding).
 */
export function resizeIntoTensor(
  image: BgrImage,
  region: Rect,
  tensor: Float32Array,
  offset: number,
  planeWidth: number,
  planeHeight: number,
  placement: Placement,
  norm: Normalisation,
  tables?: { x: AxisTable; y: AxisTable },
): void {
  const xt = tables?.x ?? axisTable(region.x, region.width, image.width, placement.width);
  const yt = tables?.y ?? axisTable(region.y, region.height, image.height, placement.height);
  const plane = planeWidth * planeHeight;
  // Output plane p takes source channel `source[p]` (BGR in memory).
  const source = norm.channelOrder === 'bgr' ? [0, 1, 2] : [2, 1, 0];
  const affine = normalisationAffine(norm);
  const src = image.data;
  const stride = image.width * 3;
  const c0 = source[0]!, c1 = source[1]!, c2 = source[2]!;
  const m0 = affine[0]!, m1 = affine[1]!, m2 = affine[2]!;
  const a0 = affine[3]!, a1 = affine[4]!, a2 = affine[5]!;
  for (let y = 0; y < placement.height; y++) {
    const row0 = yt.i0[y]! * stride;
    const row1 = yt.i1[y]! * stride;
    const wy = yt.w1[y]!;
    let out = offset + (placement.y + y) * planeWidth + placement.x;
    for (let x = 0; x < placement.width; x++, out++) {
      const xa = xt.i0[x]! * 3;
      const xb = xt.i1[x]! * 3;
      const wx = xt.w1[x]!;
      const w00 = (1 - wx) * (1 - wy), w01 = wx * (1 - wy), w10 = (1 - wx) * wy, w11 = wx * wy;
      const p00 = row0 + xa, p01 = row0 + xb, p10 = row1 + xa, p11 = row1 + xb;
      tensor[out] = (src[p00 + c0]! * w00 + src[p01 + c0]! * w01 + src[p10 + c0]! * w10 + src[p11 + c0]! * w11) * m0 + a0;
      tensor[out + plane] = (src[p00 + c1]! * w00 + src[p01 + c1]! * w01 + src[p10 + c1]! * w10 + src[p11 + c1]! * w11) * m1 + a1;
      tensor[out + 2 * plane] = (src[p00 + c2]! * w00 + src[p01 + c2]! * w01 + src[p10 + c2]! * w10 + src[p11 + c2]! * w11) * m2 + a2;
    }
  }
}
