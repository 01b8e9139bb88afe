import { beforeAll, describe, expect, it } from 'vitest';
import { loadOpenCvBinding, prepareOpenCvEnvironment, type CvBinding, type CvMat } from '../../agent/capture/opencv-binding.js';
import { DetectorTensorBuilder } from '../../agent/capture/tensor-builder.js';
import { loadTensorKernel, type TensorKernel } from '../../agent/util/tensor-kernel.js';
import { compactInputBytes, expandDetectorInput, tensorBytes } from '../../agent/util/detector-input.js';
import { DETECTOR_TYPES, type TensorRecipe } from '../../agent/core/detector-recipe.js';
import { createDetectorHead } from '../../agent/inference/decoders/index.js';
import { squareCrop } from '../../agent/inference/crop.js';
import { normalisationAffine, resizeIntoTensor, type BgrImage, type Normalisation } from '../../agent/inference/tensor-fill.js';
import { media } from '../helpers/testdata.js';
import { seededRandom } from '../helpers/seeded-random.js';

/**
 * native/tensor-kernel against what runs without it, value for value: for
 * the detector, OpenCV's copyMakeBorder + blobFromImage, for every detector
 * family's recipe; for classifier crops, tensor-fill.ts's JS resize. Real
 * images and awkward sizes.
 */
let cv: CvBinding;
let kernel: TensorKernel;

beforeAll(() => {
  prepareOpenCvEnvironment('');
  cv = loadOpenCvBinding();
  const loaded = loadTensorKernel();
  if (!loaded) throw new Error('native/tensor-kernel is not built: npm run build:native (native/setup.sh builds it)');
  kernel = loaded;
});

const recipeFor = (type: (typeof DETECTOR_TYPES)[number], width: number, height: number): TensorRecipe => ({ ...createDetectorHead(type).recipe, width, height });

/** A BGR image of random pixels (seeded): every value and channel position is exercised. */
function noise(width: number, height: number, seed: number): CvMat {
  const random = seededRandom(seed);
  const bytes = Buffer.alloc(width * height * 3);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
  return new cv.Mat(bytes, height, width, cv.CV_8UC3);
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe('compact detector input (issue 16): capture sends the resized 8-bit frame, the inference worker expands it', () => {
  for (const type of DETECTOR_TYPES) {
    it(`${type}: expanded with the kernel = the tensor built whole on the capture thread; the JS fallback within float rounding`, () => {
      const recipe = recipeFor(type, 416, 416);
      const builder = new DetectorTensorBuilder(cv, recipe, kernel);
      for (const mat of [cv.imread(media('vtest_f050.jpg'), cv.IMREAD_COLOR), noise(1001, 7, 3)]) {
        const source = { width: mat.cols, height: mat.rows };
        const compact = new Uint8Array(builder.buildCompact(mat));
        expect(compact.byteLength).toBe(compactInputBytes(source, recipe));
        // A fifth of the float tensor, or less.
        expect(compact.byteLength * 5).toBeLessThanOrEqual(tensorBytes(recipe) + 5);
        const whole = new Float32Array(builder.build(mat));
        const native = new ArrayBuffer(tensorBytes(recipe));
        const js = new ArrayBuffer(tensorBytes(recipe));
        expandDetectorInput(kernel, compact, source, recipe, native);
        expandDetectorInput(undefined, compact, source, recipe, js);
        expect(new Float32Array(native)).toEqual(whole);
        expect(maxDifference(new Float32Array(js), whole)).toBeLessThan(1e-6);
        mat.release();
      }
    });
  }

  it('refuses an input too small for the frame it claims', () => {
    const recipe = recipeFor('yolox', 416, 416);
    expect(() => expandDetectorInput(kernel, new Uint8Array(10), { width: 768, height: 576 }, recipe, new ArrayBuffer(tensorBytes(recipe)))).toThrow(RangeError);
  });
});

describe('detector tensor: native kernel = OpenCV blobFromImage', () => {
  const frames: [string, () => CvMat][] = [
    ...['vtest_f050.jpg', 'dog.jpg', 'messi5.jpg', 'basketball1.png'].map((file): [string, () => CvMat] => [file, () => cv.imread(media(file), cv.IMREAD_COLOR)]),
    ['noise 1×1', () => noise(1, 1, 1)],
    ['noise 3×417 (tall)', () => noise(3, 417, 2)],
    ['noise 1001×7 (wide)', () => noise(1001, 7, 3)],
    ['noise 3840×2160 (4K)', () => noise(3840, 2160, 4)],
  ];
  const inputs: [number, number][] = [
    [416, 416],
    [640, 384],
  ];
  for (const type of DETECTOR_TYPES) {
    for (const [width, height] of inputs) {
      it(`${type} recipe at ${width}×${height}`, () => {
        const recipe = recipeFor(type, width, height);
        const native = new DetectorTensorBuilder(cv, recipe, kernel);
        const opencv = new DetectorTensorBuilder(cv, recipe, undefined);
        for (const [name, read] of frames) {
          const mat = read();
          const a = new Float32Array(native.build(mat));
          const b = new Float32Array(opencv.build(mat));
          expect(a.length, name).toBe(3 * width * height);
          // Same float product; the tolerance only covers OpenCV rounding 1/255 in double.
          expect(maxDifference(a, b), name).toBeLessThanOrEqual(1e-6);
          mat.release();
        }
      });
    }
  }

  it('the padding holds the recipe pad value and the image its pixels, in the recipe channel order', () => {
    // A 2×1 image into a 4×4 tensor: YOLOv8 centres it (RGB, /255), YOLOX puts it top-left (BGR, raw).
    const mat = new cv.Mat(Buffer.from([10, 20, 30, 40, 50, 60]), 1, 2, cv.CV_8UC3);
    const yolox = new Float32Array(new DetectorTensorBuilder(cv, recipeFor('yolox', 4, 4), kernel).build(mat));
    // Resized 2×1 → 4×2 at the top: blue plane row 0 starts with B of pixel 0.
    expect(yolox[0]).toBe(10);
    expect(yolox[16]).toBe(20);
    expect(yolox[32]).toBe(30);
    expect(yolox.slice(8, 16)).toEqual(new Float32Array(8).fill(114));
    const yolov8 = new Float32Array(new DetectorTensorBuilder(cv, recipeFor('yolov8', 4, 4), kernel).build(mat));
    expect(yolov8.slice(0, 4)).toEqual(new Float32Array(4).fill(Math.fround(114 / 255)));
    // Row 1 of the red plane (plane 0 for RGB) starts with R of pixel 0.
    expect(yolov8[4]).toBeCloseTo(30 / 255, 6);
    mat.release();
  });
});

describe('tensor kernel refuses calls that would write outside the tensor', () => {
  const src = new Uint8Array(4 * 4 * 3);
  const args = (overrides: Partial<Record<'src' | 'sw' | 'sh' | 'dst' | 'dw' | 'dh' | 'ox' | 'oy', unknown>>) => {
    const a = { src, sw: 4, sh: 4, dst: new ArrayBuffer(3 * 8 * 8 * 4), dw: 8, dh: 8, ox: 0, oy: 0, ...overrides };
    return [a.src, a.sw, a.sh, a.dst, a.dw, a.dh, a.ox, a.oy, 1, 114, false] as Parameters<TensorKernel['letterboxPlanar']>;
  };
  const detached = new ArrayBuffer(3 * 8 * 8 * 4);
  structuredClone(detached, { transfer: [detached] });

  it.each([
    ['image wider than the tensor at its offset', { ox: 5 }, /inside the tensor/],
    ['image lower than the tensor at its offset', { oy: 5 }, /inside the tensor/],
    ['negative offset', { ox: -1 }, /inside the tensor/],
    ['src smaller than its size says', { sw: 4, sh: 4, src: new Uint8Array(47) }, /src is smaller/],
    ['dst too small', { dst: new ArrayBuffer(3 * 8 * 8 * 4 - 1) }, /dst is smaller/],
    ['detached dst (transferred away)', { dst: detached }, /dst is smaller/],
    ['src not bytes', { src: new Float32Array(48) }, /src must be a Uint8Array/],
    ['dst not an ArrayBuffer', { dst: new Float32Array(192) }, /dst must be an ArrayBuffer/],
    ['sizes not numbers', { sw: '4' }, /must be integers/],
  ])('%s', (_name, overrides, message) => {
    expect(() => kernel.letterboxPlanar(...args(overrides))).toThrow(message);
  });

  it('a valid call fills all of the tensor', () => {
    const dst = new ArrayBuffer(3 * 8 * 8 * 4);
    new Float32Array(dst).fill(Number.NaN);
    kernel.letterboxPlanar(...args({ dst, ox: 4, oy: 4 }));
    expect(new Float32Array(dst).some(Number.isNaN)).toBe(false);
  });
});

describe('classifier crops: native kernel = tensor-fill.ts (JS)', () => {
  const imagenet: Normalisation = { channelOrder: 'rgb', scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
  const raw: Normalisation = { channelOrder: 'bgr', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] };
  const image = (file: string): BgrImage => {
    const mat = cv.imread(media(file), cv.IMREAD_COLOR);
    const bgr = { data: new Uint8Array(mat.getData()), width: mat.cols, height: mat.rows };
    mat.release();
    return bgr;
  };

  it.each([
    ['imagenet (RGB, mean/std)', imagenet],
    ['raw BGR', raw],
  ])('%s: every crop of real images, down- and upscaled, into a batch at its offset', (_name, norm) => {
    const affine = normalisationAffine(norm);
    const side = 224;
    const plane = side * side;
    for (const file of ['vtest_f050.jpg', 'dog.jpg', 'basketball1.png']) {
      const img = image(file);
      const boxes: [number, number, number, number][] = [
        [0, 0, img.width, img.height], // the whole frame, shrunk to a square
        [10, 20, 60, 140], // a person-sized box (downscale)
        [img.width - 30, img.height - 12, img.width, img.height], // at the corner (upscale, clamped)
        [5, 5, 6, 6], // 1 pixel
      ];
      const native = new Float32Array(boxes.length * 3 * plane).fill(Number.NaN);
      const js = new Float32Array(boxes.length * 3 * plane).fill(Number.NaN);
      boxes.forEach((box, i) => {
        const r = squareCrop(box, img.width, img.height, 1.2);
        kernel.cropToPlanes(img.data, img.width, img.height, r.x, r.y, r.width, r.height, native, i * 3 * plane, side, side, affine, norm.channelOrder === 'rgb');
        resizeIntoTensor(img, r, js, i * 3 * plane, side, side, { x: 0, y: 0, width: side, height: side }, norm);
      });
      expect(native.some(Number.isNaN), `${file}: every value written`).toBe(false);
      expect(maxDifference(native, js), file).toBe(0);
    }
  });

  it.each([
    ['region outside the image', { rx: 1 }, /inside the image/],
    ['negative region', { ry: -1 }, /inside the image/],
    ['planes larger than the stack tables', { dw: 4097 }, /1\.\.2048/],
    ['no room at the offset', { offset: 1 }, /no room/],
    ['negative offset', { offset: -1 }, /no room/],
    ['src smaller than its size', { src: new Uint8Array(10) }, /src is smaller/],
    ['affine of the wrong length', { affine: new Float64Array(3) }, /affine must be/],
    ['dst not a Float32Array', { dst: new ArrayBuffer(48) }, /dst must be a Float32Array/],
  ])('refuses %s', (_name, overrides, message) => {
    const a = { src: new Uint8Array(4 * 4 * 3), rx: 0, ry: 0, dst: new Float32Array(3 * 2 * 2), offset: 0, dw: 2, affine: new Float64Array(6), ...overrides };
    const args = [a.src, 4, 4, a.rx, a.ry, 4, 4, a.dst, a.offset, a.dw, 2, a.affine, false] as Parameters<TensorKernel['cropToPlanes']>;
    expect(() => kernel.cropToPlanes(...args)).toThrow(message);
  });
});
