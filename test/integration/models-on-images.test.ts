import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOpenCvBinding, prepareOpenCvEnvironment, type CvBinding } from '../../agent/capture/opencv-binding.js';
import { DetectorTensorBuilder } from '../../agent/capture/tensor-builder.js';
import { loadTensorKernel } from '../../agent/util/tensor-kernel.js';
import { parseConfig } from '../../agent/config/load.js';
import { FrameAnalyzer } from '../../agent/inference/frame-analyzer.js';
import type { Box } from '../../agent/core/letterbox.js';
import { iou } from '../../agent/inference/nms.js';
import type { BgrImage } from '../../agent/inference/tensor-fill.js';
import { media, model } from '../helpers/testdata.js';

/**
 * The real models on the real images of ../shared/testdata. Reference boxes
 * were written by hand from the images (x1, y1, x2, y2 in source pixels);
 * a detection must overlap its reference with IoU ≥ 0.5.
 */
const EXPECTED: Record<string, { label: string; box: Box }[]> = {
  'vtest_f050.jpg': [
    { label: 'person', box: [670, 260, 715, 365] },
    { label: 'person', box: [370, 180, 400, 260] },
    { label: 'person', box: [508, 215, 543, 305] },
    { label: 'person', box: [550, 215, 587, 305] },
    { label: 'person', box: [430, 175, 460, 250] },
    { label: 'car', box: [732, 50, 768, 95] },
  ],
  'dog.jpg': [
    { label: 'dog', box: [135, 205, 325, 545] },
    { label: 'bicycle', box: [55, 135, 570, 425] },
    { label: 'car', box: [465, 75, 690, 170] },
  ],
  'messi5.jpg': [
    { label: 'person', box: [65, 60, 475, 340] },
    { label: 'sports ball', box: [340, 290, 385, 340] },
  ],
  'basketball1.png': [
    { label: 'person', box: [35, 85, 170, 480] },
    { label: 'person', box: [430, 20, 640, 480] },
  ],
};

let cv: CvBinding;
const read = (file: string): BgrImage => {
  const mat = cv.imread(media(file), cv.IMREAD_COLOR);
  return { data: new Uint8Array(mat.getData()), width: mat.cols, height: mat.rows };
};

/** Detector input built by the same code the capture thread uses (native/tensor-kernel). */
const analyze = (analyzer: FrameAnalyzer, file: string): ReturnType<FrameAnalyzer['analyze']> => {
  const mat = cv.imread(media(file), cv.IMREAD_COLOR);
  const image = { data: new Uint8Array(mat.getData()), width: mat.cols, height: mat.rows };
  return analyzer.analyze(image, new Float32Array(new DetectorTensorBuilder(cv, analyzer.info.detector.recipe, loadTensorKernel()).build(mat)));
};

const config = (classifier: boolean) =>
  parseConfig(
    [
      'inference: { providers: [cpu] }',
      `detector: { model: ${model('yolox_nano.onnx')}, labels: ${model('coco80_labels.txt')} }`,
      classifier ? `classifier: { model: ${model('mobilenetv2-12-int8.onnx')}, labels: ${model('classification_classes_ILSVRC2012.txt')}, crop_margin: 1 }` : '',
      'cameras: [{ name: c, url: x.avi }]',
    ].join('\n'),
    '/tmp/test.yaml',
  );

beforeAll(() => {
  prepareOpenCvEnvironment('');
  cv = loadOpenCvBinding();
});

describe('detector (YOLOX-Nano) on still images', () => {
  let analyzer: FrameAnalyzer;
  beforeAll(async () => {
    const c = config(false);
    analyzer = await FrameAnalyzer.load({ detector: c.detector, classifier: null, inference: c.inference });
  });

  for (const [file, expected] of Object.entries(EXPECTED)) {
    it(`finds ${expected.map((e) => e.label).join(', ')} in ${file}`, async () => {
      const { objects } = await analyze(analyzer, file);
      for (const want of expected) {
        const best = Math.max(0, ...objects.filter((o) => o.label === want.label).map((o) => iou(o.box, want.box)));
        expect(best, `${want.label} at [${want.box.join(', ')}]`).toBeGreaterThanOrEqual(0.5);
      }
    });
  }

  it('scores match the published reference within 0.1', async () => {
    const { objects } = await analyze(analyzer, 'messi5.jpg');
    const ball = objects.find((o) => o.label === 'sports ball');
    const person = objects.find((o) => o.label === 'person');
    expect(ball?.score).toBeCloseTo(0.89, 1);
    expect(person?.score).toBeCloseTo(0.85, 1);
  });

  it('keeps only allowed classes', async () => {
    const c = config(false);
    const onlyDogs = await FrameAnalyzer.load({ detector: { ...c.detector, classes: ['dog'] }, classifier: null, inference: c.inference });
    const { objects } = await analyze(onlyDogs, 'dog.jpg');
    expect(objects.map((o) => o.label)).toEqual(['dog']);
  });
});

describe('classifier (MobileNetV2 int8) on still images', () => {
  const CASES: [string, string, number][] = [
    ['squirrel_cls.jpg', 'fox squirrel', 0.9],
    // orange: 0.56 here. The published 94.5 % is not reproducible from the published recipe:
    // an independent plain loop (OpenCV resize of the short side to 256, centre crop 224,
    // RGB, ImageNet mean/std) gives 0.465 with this int8 model, while squirrel (0.99) and
    // baboon (0.84) match theirs. The label is what this test holds to.
    ['orange.jpg', 'orange', 0.5],
    ['baboon.jpg', 'baboon', 0.8],
  ];
  let analyzer: FrameAnalyzer;
  beforeAll(async () => {
    const c = config(true);
    // A detector is always loaded; these tests call the classifier through the analyzer's public path.
    analyzer = await FrameAnalyzer.load({ detector: c.detector, classifier: c.classifier!, inference: c.inference });
  });

  for (const [file, label, minScore] of CASES) {
    it(`classifies ${file} as ${label}`, async () => {
      const image = read(file);
      // The reference recipe: the centre 224/256 of the shorter side.
      const side = (Math.min(image.width, image.height) * 224) / 256;
      const x = (image.width - side) / 2;
      const y = (image.height - side) / 2;
      const [result] = await analyzer.classifyBoxes(image, [[x, y, x + side, y + side]]);
      expect(result?.label).toContain(label);
      expect(result?.score).toBeGreaterThanOrEqual(minScore);
    });
  }

  it('attaches a class to detected objects of the configured labels', async () => {
    const { objects, timings } = await analyze(analyzer, 'dog.jpg');
    const dog = objects.find((o) => o.label === 'dog');
    expect(dog?.class?.label).toBeTruthy();
    expect(dog!.class!.score).toBeGreaterThan(0.2);
    expect(timings.classifiedObjects).toBe(objects.length);
  });

  it('per track (issue 16): the detector alone, then the same boxes classified as a job give the classes inline classification gives', async () => {
    const image = read('vtest_f050.jpg');
    const tensor = (): Float32Array => new Float32Array(new DetectorTensorBuilder(cv, analyzer.info.detector.recipe, loadTensorKernel()).build(cv.imread(media('vtest_f050.jpg'), cv.IMREAD_COLOR)));
    const [inline] = await analyzer.analyzeBatch([{ image, tensor: tensor() }]);
    const [detectOnly] = await analyzer.analyzeBatch([{ image, tensor: tensor(), classify: false }]);
    if (!inline?.ok || !detectOnly?.ok) throw new Error('analysis failed');
    expect(inline.analysis.timings.classifiedObjects).toBeGreaterThanOrEqual(5);
    expect(detectOnly.analysis.timings).toMatchObject({ classifiedObjects: 0, classifySeconds: expect.closeTo(0, 2) as number });
    expect(detectOnly.analysis.objects.every((o) => o.class === null)).toBe(true);
    expect(detectOnly.analysis.objects.map((o) => o.box)).toEqual(inline.analysis.objects.map((o) => o.box));
    const classes = await analyzer.classifyBoxes(
      image,
      detectOnly.analysis.objects.map((o) => o.box),
    );
    expect(classes.map((c) => c.label)).toEqual(inline.analysis.objects.map((o) => o.class!.label));
    classes.forEach((c, i) => expect(c.score).toBeCloseTo(inline.analysis.objects[i]!.class!.score, 4));
  });
});

/**
 * A copy of the MobileNetV2 model with its batch fixed at 1, as
 * torch.onnx.export writes a model by default. The protobuf edit keeps every
 * length prefix: each `dim_param: "batch_size"` (12 bytes) becomes
 * `dim_value: 1` plus an 8-character `denotation` (2 + 10 bytes).
 */
function fixedBatchOneModel(dir: string): string {
  const original = readFileSync(model('mobilenetv2-12-int8.onnx'));
  const dynamic = Buffer.concat([Buffer.from([0x12, 10]), Buffer.from('batch_size')]);
  const fixed = Buffer.concat([Buffer.from([0x08, 1, 0x1a, 8]), Buffer.from('BATCH_01')]);
  const parts: Buffer[] = [];
  let from = 0;
  for (let at = original.indexOf(dynamic); at >= 0; at = original.indexOf(dynamic, from)) {
    parts.push(original.subarray(from, at), fixed);
    from = at + dynamic.length;
  }
  expect(parts.length, 'the model names its batch dimension batch_size').toBeGreaterThan(0);
  parts.push(original.subarray(from));
  const file = join(dir, 'mobilenetv2-batch1.onnx');
  writeFileSync(file, Buffer.concat(parts));
  return file;
}

describe('classifier exported with a fixed batch of 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-batch1-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('classifies every object of a frame, one run each, exactly as the dynamic-batch model does', async () => {
    const c = config(true);
    const dynamic = await FrameAnalyzer.load({ detector: c.detector, classifier: c.classifier!, inference: c.inference });
    const batchOne = await FrameAnalyzer.load({
      detector: c.detector,
      classifier: { ...c.classifier!, model: fixedBatchOneModel(dir) },
      inference: c.inference,
    });
    const expected = await analyze(dynamic, 'vtest_f050.jpg');
    const actual = await analyze(batchOne, 'vtest_f050.jpg');
    expect(expected.timings.classifiedObjects).toBeGreaterThanOrEqual(5);
    expect(actual.objects.map((o) => o.class?.label)).toEqual(expected.objects.map((o) => o.class?.label));
    actual.objects.forEach((o, i) => expect(o.class!.score).toBeCloseTo(expected.objects[i]!.class!.score, 4));
  });
});

