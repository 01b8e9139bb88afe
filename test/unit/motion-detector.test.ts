import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MotionDetector } from '../../agent/capture/motion-detector.js';
import { loadOpenCvBinding, prepareOpenCvEnvironment, type CvBinding, type CvMat } from '../../agent/capture/opencv-binding.js';
import { motionSchema, type MotionConfig } from '../../agent/config/density-schema.js';
import { media } from '../helpers/testdata.js';

/** The motion measure on real frames: vtest.avi (people walking on a plaza) and a still of it with a block drawn in. */
let cv: CvBinding;
let still: CvMat;
let walking: CvMat[];
const made: CvMat[] = [];

const config = (overrides: Partial<MotionConfig> = {}): MotionConfig => ({ ...motionSchema.parse({}), ...overrides });
const MIN_AREA = motionSchema.parse({}).min_area;

beforeAll(async () => {
  prepareOpenCvEnvironment('');
  cv = loadOpenCvBinding();
  still = cv.imread(media('vtest_f050.jpg'), cv.IMREAD_COLOR);
  const capture = new cv.VideoCapture(media('vtest.avi'));
  walking = [];
  for (let i = 0; i < 30; i++) {
    walking.push(await new Promise<CvMat>((resolve, reject) => capture.readAsync((err, mat) => (err ? reject(err) : resolve(mat)))));
  }
  capture.release();
  made.push(still, ...walking);
});

afterAll(() => {
  for (const mat of made) mat.release();
});

/** The still with a dark block (grey level 20) at x, y (pixels). */
function withBlock(x: number, y: number, width: number, height: number): CvMat {
  const bytes = Buffer.from(still.getData());
  const cols = still.cols;
  for (let row = y; row < y + height; row++) bytes.fill(20, (row * cols + x) * 3, (row * cols + x + width) * 3);
  const mat = new cv.Mat(bytes, still.rows, cols, cv.CV_8UC3);
  made.push(mat);
  return mat;
}

describe('MotionDetector', () => {
  it('measures 0 on a still frame repeated', () => {
    const detector = new MotionDetector(config(), cv);
    expect(Array.from({ length: 10 }, () => detector.measure(still))).toEqual(Array.from({ length: 10 }, () => 0));
    detector.release();
  });

  it('sees people walking in vtest.avi in every frame, above min_area', () => {
    const detector = new MotionDetector(config(), cv);
    const levels = walking.map((frame) => detector.measure(frame));
    expect(levels[0]).toBe(0); // the first frame only starts the background
    for (const level of levels.slice(1)) {
      expect(level).toBeGreaterThan(MIN_AREA);
      expect(level).toBeLessThan(0.2); // a few walkers, not the whole plaza
    }
    detector.release();
  });

  it('a block creeping 1 pixel a frame still shows against the running background', () => {
    // 1 source pixel a frame is 0.2 of a downscaled one: consecutive frames differ by a faint edge only.
    const frames = Array.from({ length: 41 }, (_, i) => withBlock(200 + i, 150, 60, 200));
    const detector = new MotionDetector(config(), cv);
    const levels = frames.map((frame) => detector.measure(frame));
    expect(Math.min(...levels.slice(10))).toBeGreaterThan(MIN_AREA);
    const consecutive = new MotionDetector(config(), cv);
    consecutive.measure(frames[39]!);
    expect(consecutive.measure(frames[40]!)).toBeLessThan(MIN_AREA);
    detector.release();
    consecutive.release();
  });

  it('ignores motion inside a mask polygon, and counts outside it over the unmasked area', () => {
    // the block jumps about inside the top-left quarter; the mask covers a bit more than the quarter
    const inside = [0, 1, 2, 3, 4, 5].map((i) => withBlock(20 + 40 * i, 20 + 20 * i, 80, 60));
    const mask = [
      [
        [0, 0],
        [0.6, 0],
        [0.6, 0.6],
        [0, 0.6],
      ],
    ] as [number, number][][];
    const masked = new MotionDetector(config({ mask }), cv);
    const open = new MotionDetector(config(), cv);
    const maskedLevels = inside.map((frame) => masked.measure(frame));
    const openLevels = inside.map((frame) => open.measure(frame));
    expect(maskedLevels).toEqual(inside.map(() => 0));
    for (const level of openLevels.slice(1)) expect(level).toBeGreaterThan(MIN_AREA);

    // the same jumps in the bottom-right quarter: counted, as a fraction of the 64 % of the frame the mask leaves
    const outside = [0, 1, 2, 3].map((i) => withBlock(480 + 40 * i, 380 + 20 * i, 80, 60));
    const maskedOut = new MotionDetector(config({ mask }), cv);
    const openOut = new MotionDetector(config(), cv);
    for (const [i, frame] of outside.entries()) {
      const [m, o] = [maskedOut.measure(frame), openOut.measure(frame)];
      if (i === 0) continue;
      expect(m).toBeGreaterThan(MIN_AREA);
      expect(m / o).toBeCloseTo(1 / 0.64, 1);
    }
    for (const detector of [masked, open, maskedOut, openOut]) detector.release();
  });

  it('measures 0 when the mask covers the whole frame', () => {
    const detector = new MotionDetector(config({ mask: [[[0, 0], [1, 0], [1, 1], [0, 1]]] }), cv);
    expect(walking.slice(0, 5).map((frame) => detector.measure(frame))).toEqual([0, 0, 0, 0, 0]);
    detector.release();
  });

  it('reset starts a new background: the next frame measures 0 however different', () => {
    const detector = new MotionDetector(config(), cv);
    detector.measure(still);
    expect(detector.measure(walking[0]!)).toBeGreaterThan(MIN_AREA); // vtest_f050 is 5 s later: people elsewhere
    detector.reset();
    detector.measure(still);
    expect(detector.measure(still)).toBe(0);
    detector.reset();
    expect(detector.measure(walking[0]!)).toBe(0);
    expect(detector.measure(walking[1]!)).toBeGreaterThan(MIN_AREA);
    detector.release();
  });

  it('a frame of another shape starts a new background (a new connection resets anyway)', () => {
    const detector = new MotionDetector(config(), cv);
    detector.measure(walking[0]!);
    const square = still.resize(384, 384, 0, 0, cv.INTER_AREA);
    made.push(square);
    expect(detector.measure(square)).toBe(0);
    expect(detector.measure(square)).toBe(0);
    detector.release();
  });

  it('threshold: a faint change counts only above it', () => {
    // the whole frame 10 grey levels brighter
    const brighter = new cv.Mat(Buffer.from(still.getData().map((v) => Math.min(255, v + 10))), still.rows, still.cols, cv.CV_8UC3);
    made.push(brighter);
    const low = new MotionDetector(config({ threshold: 5 }), cv);
    const high = new MotionDetector(config({ threshold: 25 }), cv);
    for (const detector of [low, high]) detector.measure(still);
    expect(low.measure(brighter)).toBeGreaterThan(0.9);
    expect(high.measure(brighter)).toBe(0);
    low.release();
    high.release();
  });
});
