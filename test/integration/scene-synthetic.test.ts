import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOpenCvBinding, prepareOpenCvEnvironment, type CvBinding, type CvMat } from '../../agent/capture/opencv-binding.js';
import { DetectorTensorBuilder } from '../../agent/capture/tensor-builder.js';
import { parseConfig } from '../../agent/config/load.js';
import { FrameAnalyzer } from '../../agent/inference/frame-analyzer.js';
import { iou } from '../../agent/inference/nms.js';
import { loadTensorKernel } from '../../agent/util/tensor-kernel.js';
import { boxAt, DARK_COAT, feetAt, firstFrame, HEIGHT, RED_JACKET, WIDTH, writeSyntheticVideo, type Actor, type VideoSpec } from '../helpers/synthetic-video.js';
import { model } from '../helpers/testdata.js';

const FPS = 10;

/**
 * The scene, in fractions of the 768×576 frame as the config takes them: a
 * vertical line `gate` at x = 0.3 (230.4 px) and a rectangular zone
 * `counter` x 0.5–0.75 (384–576 px), y 0.4–0.65 (230.4–374.4 px).
 */
const GATE_X = 0.3 * WIDTH;
const COUNTER = { x1: 0.5 * WIDTH, x2: 0.75 * WIDTH, y1: 0.4 * HEIGHT, y2: 0.65 * HEIGHT };

/**
 * Alice walks right at about 10 px a frame with her feet at y = 300: across
 * the gate between frames 16 (x 225) and 17 (x 235); into the counter zone
 * at frame 32 (x 389; 379 at 31), stands at x 429 from frame 36 to 46,
 * walks on and is out at frame 62 (x 581; 571 at 61): 30 frames inside,
 * 3.0 s. The feet pass every edge 5 px before and after it, more than a
 * detector box's usual error at this size.
 */
const ALICE: Actor = {
  name: 'alice',
  source: DARK_COAT,
  path: [
    { frame: 0, x: 65, y: 300 },
    { frame: 20, x: 265, y: 300 },
    { frame: 31, x: 379, y: 300 },
    { frame: 32, x: 389, y: 300 },
    { frame: 36, x: 429, y: 300 },
    { frame: 46, x: 429, y: 300 },
    { frame: 61, x: 571, y: 300 },
    { frame: 62, x: 581, y: 300 },
    { frame: 77, x: 731, y: 300 },
  ],
};
/** Bob walks left from frame 30 at 10 px a frame, feet at y = 420 (below the zone): across the gate between frames 79 (x 235) and 80 (x 225). */
const BOB: Actor = {
  name: 'bob',
  source: RED_JACKET,
  path: [
    { frame: 30, x: 725, y: 420 },
    { frame: 90, x: 125, y: 420 },
  ],
};
/** Two seconds of empty plaza at the end, so both tracks end before the file does. */
const SPEC: VideoSpec = { fps: FPS, frames: 110, actors: [ALICE, BOB] };

let dir: string;
let video: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-scene-'));
  video = join(dir, 'synthetic.mp4');
  await writeSyntheticVideo(video, SPEC);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the synthetic video', () => {
  let cv: CvBinding;
  let analyzer: FrameAnalyzer;
  beforeAll(async () => {
    prepareOpenCvEnvironment('');
    cv = loadOpenCvBinding();
    const c = parseConfig(
      [
        'inference: { providers: [cpu] }',
        `detector: { model: ${model('yolox_nano.onnx')}, labels: ${model('coco80_labels.txt')} }`,
        'cameras: [{ name: c, url: x.avi }]',
      ].join('\n'),
      '/tmp/test.yaml',
    );
    analyzer = await FrameAnalyzer.load({ detector: c.detector, classifier: null, inference: c.inference });
  });

  it('has the ground truth the scene is built on: gate crossings at frames 17 (right) and 80 (left), 30 frames (3.0 s) in the counter zone', () => {
    const inCounter = (p: { x: number; y: number }): boolean => p.x >= COUNTER.x1 && p.x <= COUNTER.x2 && p.y >= COUNTER.y1 && p.y <= COUNTER.y2;
    expect(firstFrame(ALICE, 0, (p) => p.x > GATE_X)).toBe(17);
    expect(firstFrame(BOB, 30, (p) => p.x < GATE_X)).toBe(80);
    const entered = firstFrame(ALICE, 0, inCounter);
    const left = firstFrame(ALICE, entered, (p) => !inCounter(p));
    expect([entered, left]).toEqual([32, 62]);
    expect(firstFrame(BOB, 0, inCounter)).toBe(-1);
    // Each side of every edge, the feet stay 5 px away from it.
    for (const f of [16, 17, 31, 32, 61, 62]) expect(Math.min(Math.abs(feetAt(ALICE, f)!.x - GATE_X), Math.abs(feetAt(ALICE, f)!.x - COUNTER.x1), Math.abs(feetAt(ALICE, f)!.x - COUNTER.x2))).toBeGreaterThanOrEqual(4.6);
  });

  it('shows each person where the ground truth says, found by YOLOX-Nano in every frame (IoU ≥ 0.5), and nobody else walking', async () => {
    const capture = new cv.VideoCapture(video, cv.CAP_FFMPEG);
    const builder = new DetectorTensorBuilder(cv, analyzer.info.detector.recipe, loadTensorKernel());
    const misses: string[] = [];
    const extra: string[] = [];
    let frames = 0;
    try {
      for (let f = 0; ; f++) {
        const mat = await new Promise<CvMat>((resolve, reject) => capture.readAsync((err, m) => (err ? reject(err) : resolve(m))));
        if (mat.empty) break;
        frames++;
        const image = { data: new Uint8Array(mat.getData()), width: mat.cols, height: mat.rows };
        const { objects } = await analyzer.analyze(image, new Float32Array(builder.build(mat)));
        const persons = objects.filter((o) => o.label === 'person');
        const truths = SPEC.actors.map((a) => boxAt(a, f)).filter((b) => b !== null);
        for (const [i, truth] of truths.entries()) {
          const best = Math.max(0, ...persons.map((p) => iou(p.box, truth)));
          if (best < 0.5) misses.push(`frame ${f} actor ${i}: best IoU ${best.toFixed(2)}`);
        }
        for (const p of persons) if (p.score >= 0.5 && !truths.some((t) => iou(p.box, t) >= 0.3)) extra.push(`frame ${f}: person ${p.score.toFixed(2)} at [${p.box.map(Math.round).join(', ')}]`);
      }
    } finally {
      capture.release();
    }
    expect(frames).toBe(SPEC.frames);
    expect(misses).toEqual([]);
    expect(extra).toEqual([]);
  });
});
