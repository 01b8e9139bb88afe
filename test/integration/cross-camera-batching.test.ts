import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Worker threads load compiled files, so an in-process agent comes from dist/ (built by `npm test`).
import { Agent } from '../../dist/agent/agent.js';
import { loadOpenCvBinding, prepareOpenCvEnvironment, type CvBinding } from '../../dist/agent/capture/opencv-binding.js';
import { DetectorTensorBuilder } from '../../dist/agent/capture/tensor-builder.js';
import { loadTensorKernel } from '../../dist/agent/util/tensor-kernel.js';
import { parseConfig } from '../../dist/agent/config/load.js';
import { FrameAnalyzer } from '../../dist/agent/inference/frame-analyzer.js';
import { createLogger } from '../../dist/agent/log.js';
import { batchMismatch } from '../../dist/agent/model-tools/batch-check.js';
import { withDynamicBatch } from '../../dist/agent/model-tools/dynamic-batch.js';
import type { FrameResult } from '../../dist/agent/core/frame.js';
import { parseMetrics } from '../helpers/metrics-text.js';
import { AGENT_MAIN, media, model } from '../helpers/testdata.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Cross-camera batching (inference.batch_size): the published YOLOX-Nano
 * fixes batch 1 inside its graph, so `vigil model dynamic-batch` makes a
 * copy that batches, and the agent refuses a model that would mix frames.
 */
const dir = mkdtempSync(join(tmpdir(), 'vigil-batching-'));
const batchable = join(dir, 'yolox_nano_dynamic.onnx');
let cv: CvBinding;

const vigil = (...args: string[]) => spawnSync(process.execPath, [AGENT_MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });

const detectorConfig = (detectorModel: string, batchSize: number) =>
  parseConfig(
    [
      `inference: { providers: [cpu], batch_size: ${batchSize} }`,
      `detector: { model: ${detectorModel}, labels: ${model('coco80_labels.txt')} }`,
      `cameras: [{ name: a, url: ${media('vtest.avi')} }]`,
    ].join('\n'),
    '/tmp/batching.yaml',
  );

const load = (detectorModel: string, batchSize: number) => {
  const c = detectorConfig(detectorModel, batchSize);
  return FrameAnalyzer.load({ detector: c.detector, classifier: null, inference: c.inference });
};

beforeAll(() => {
  prepareOpenCvEnvironment('');
  cv = loadOpenCvBinding();
  const made = vigil('model', 'dynamic-batch', model('yolox_nano.onnx'), batchable);
  expect(made.status, made.stderr).toBe(0);
  expect(made.stdout).toMatch(/checked: frames in a batch of 2 get the outputs they get alone/);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vigil model dynamic-batch', () => {
  it('makes a copy whose batched detections equal each frame analysed alone by the published model, across frame sizes', async () => {
    const files = ['vtest_f050.jpg', 'dog.jpg', 'messi5.jpg', 'basketball1.png'];
    const original = await load(model('yolox_nano.onnx'), 1);
    const batched = await load(batchable, 4);
    const frames = files.map((file) => {
      const mat = cv.imread(media(file), cv.IMREAD_COLOR);
      return { image: { data: new Uint8Array(mat.getData()), width: mat.cols, height: mat.rows }, tensor: new Float32Array(new DetectorTensorBuilder(cv, original.info.detector.recipe, loadTensorKernel()).build(mat)) };
    });
    const outcomes = await batched.analyzeBatch(frames);
    const together = outcomes.map((o) => (o.ok ? o.analysis : null));
    expect(together).toHaveLength(files.length);
    for (const [k, frame] of frames.entries()) {
      const alone = await original.analyze(frame.image, frame.tensor);
      expect(alone.objects.length, files[k]).toBeGreaterThan(0);
      expect(together[k]!.objects.map((o) => o.label), files[k]).toEqual(alone.objects.map((o) => o.label));
      together[k]!.objects.forEach((o, i) => {
        expect(o.score).toBeCloseTo(alone.objects[i]!.score, 3);
        o.box.forEach((v, j) => expect(Math.abs(v - alone.objects[i]!.box[j]!)).toBeLessThan(0.5));
      });
      expect(together[k]!.timings.batchFrames).toBe(4);
    }
  });

  it('is needed: the published model is refused for batch_size 2, and so is a copy with only its input made dynamic', async () => {
    await expect(load(model('yolox_nano.onnx'), 2)).rejects.toMatchObject({ code: 'AGENT_ERR_MODEL_SHAPE', message: expect.stringMatching(/fixes the batch.*vigil model dynamic-batch/) });
    const inputOnly = join(dir, 'input-only.onnx');
    writeFileSync(inputOnly, withDynamicBatch(readFileSync(model('yolox_nano.onnx')), { reshapes: false }).model);
    const session = await ort.InferenceSession.create(inputOnly, { executionProviders: ['cpu'] });
    expect(await batchMismatch(session, [3, 416, 416])).toMatch(/graph fixes batch 1 inside|mixes frames|fails/);
    await session.release();
    await expect(load(inputOnly, 2)).rejects.toMatchObject({ code: 'AGENT_ERR_MODEL_SHAPE' });
  });

  it('refuses what it cannot make batchable, leaving no file behind and a file already at OUT untouched', () => {
    const already = join(dir, 'mobilenet-copy.onnx');
    const dynamic = vigil('model', 'dynamic-batch', model('mobilenetv2-12-int8.onnx'), already);
    expect(dynamic.status).toBe(2);
    expect(dynamic.stderr).toMatch(/already dynamic/);
    expect(existsSync(already)).toBe(false);
    const same = vigil('model', 'dynamic-batch', batchable, batchable);
    expect(same.status).toBe(2);
    expect(same.stderr).toMatch(/OUT must differ from IN/);
    expect(existsSync(batchable)).toBe(true);
    const junk = join(dir, 'junk.onnx');
    writeFileSync(junk, Buffer.from('this is not a model at all, just text'));
    const kept = join(dir, 'kept.onnx');
    writeFileSync(kept, 'an earlier copy');
    const bad = vigil('model', 'dynamic-batch', junk, kept);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(junk);
    expect(readFileSync(kept, 'utf8')).toBe('an earlier copy');
    expect(existsSync(`${kept}.partial`)).toBe(false);
  });
});

describe('agent with inference.batch_size 4', () => {
  it('runs 4 cameras through batched detector runs, every camera complete and in capture order', async () => {
    const config = parseConfig(
      [
        'log: { level: warn }',
        'http: { port: 0 }',
        // One worker, so the four cameras' frames meet in it.
        'inference: { providers: [cpu], workers: 1, batch_size: 4 }',
        `detector: { model: ${batchable}, labels: ${model('coco80_labels.txt')} }`,
        'cameras:',
        ...['a', 'b', 'c', 'd'].map((name) => `  - { name: ${name}, url: ${media('vtest.avi')}, file_pace: on_demand, queue_capacity: 4 }`),
      ].join('\n'),
      '/tmp/batching-agent.yaml',
    );
    const seen: Record<string, number[]> = { a: [], b: [], c: [], d: [] };
    let persons = 0;
    const sink = {
      name: 'batching',
      handle: (r: FrameResult) => {
        seen[r.frame.meta.camera]!.push(r.frame.meta.seq);
        persons += r.objects.filter((o) => o.label === 'person').length;
      },
    };
    const agent = new Agent(config, createLogger('warn'), [sink]);
    await agent.start();
    let metrics;
    try {
      await waitFor(() => Object.values(seen).every((s) => s.length >= 40), '40 results per camera', 90_000);
      metrics = parseMetrics(await (await fetch(`http://127.0.0.1:${agent.httpPort}/metrics`)).text());
    } finally {
      await agent.stop();
    }
    for (const seqs of Object.values(seen)) expect(seqs.slice(0, 40)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(persons).toBeGreaterThan(40 * 4);
    // Frames really shared runs: the mean batch a frame ran in is well above 1.
    const sum = (name: string) => metrics.filter((s) => s.name === name).reduce((n, s) => n + s.value, 0);
    const meanBatch = sum('detector_batch_frames_sum') / sum('detector_batch_frames_count');
    expect(meanBatch).toBeGreaterThan(2);
    expect(meanBatch).toBeLessThanOrEqual(4);
  });
});
