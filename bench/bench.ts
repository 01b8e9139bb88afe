/**
 * `npm run bench`: on vtest.avi, in one run, (a) raw detector run()
 * throughput on a pre-made tensor (the limit), (b) the whole agent pipeline
 * (capture worker → queue → inference worker → metrics) with the classifier
 * off and on, for 1 camera and for 4, with the CPU time each frame costs,
 * (c) the ratio b/a, (d) frame_latency p50/p95/p99 at the file's live
 * 10 fps, (e) peak RSS, (f) (b) again while publishing every frame's
 * detections to a local Mosquitto, (g) (b) again with 5 preview viewers,
 * (h) 4 cameras with cross-camera batching at batch 1, 2 and 4, (t) the
 * tracker's cost a frame at 10 and 30 objects (bench/tracker-cost.ts),
 * (density) live cameras sustained per setting, the decode-only ceiling, RSS
 * per camera count and the accuracy price (bench/density.ts). With the
 * classifier on, (a') is the matching limit: detector plus classifier runs.
 * Same model and thread settings throughout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Agent } from '../agent/agent.js';
import { parseConfig } from '../agent/config/load.js';
import { createLogger } from '../agent/log.js';
import { makeDynamicBatchCopy } from '../agent/model-tools/dynamic-batch-file.js';
import { resultLatencyMs, type FrameResult } from '../agent/core/frame.js';
import { delay } from '../agent/util/clock.js';
import { median, percentile } from '../agent/util/numbers.js';
import { startLocalBroker } from './local-broker.js';
import { rawRunsPerSecond, type RawOptions } from './raw-runner.js';
import { densityFigures } from './density.js';
import { trackerFigures } from './tracker-cost.js';

const TESTDATA = resolve(process.env.VIGIL_TESTDATA ?? '../shared/testdata');
const SECONDS = Number(process.env.VIGIL_BENCH_SECONDS ?? 20);
const THREADS = Number(process.env.VIGIL_BENCH_THREADS ?? 0);
const SPINNING = process.env.VIGIL_BENCH_SPINNING === '1';
const WORKERS = process.env.VIGIL_BENCH_WORKERS ?? 'auto';

interface RunOptions {
  readonly classifier: boolean;
  readonly pace: 'on_demand' | 'realtime';
  readonly seconds: number;
  readonly cameras?: number;
  readonly mqttUrl?: string;
  readonly viewers?: number;
  /** Cross-camera batching: a detector copy with a dynamic batch, and the batch size. */
  readonly batch?: { readonly model: string; readonly size: number };
}

function config({ classifier, pace, cameras = 1, mqttUrl, batch }: RunOptions) {
  const camera = (i: number): string => `{ name: bench${i === 0 ? '' : i}, url: ${TESTDATA}/media/vtest.avi, file_pace: ${pace}, queue_capacity: 4 }`;
  return parseConfig(
    [
      'log: { level: warn }',
      'http: { port: 0 }',
      `inference: { providers: [cpu], workers: ${WORKERS}, intra_op_threads: ${THREADS}, allow_spinning: ${SPINNING}, batch_size: ${batch?.size ?? 1} }`,
      `detector: { model: ${batch?.model ?? `${TESTDATA}/models/yolox_nano.onnx`}, labels: ${TESTDATA}/models/coco80_labels.txt }`,
      classifier
        ? `classifier: { model: ${TESTDATA}/models/mobilenetv2-12-int8.onnx, labels: ${TESTDATA}/models/classification_classes_ILSVRC2012.txt, apply_to: [person] }`
        : '',
      mqttUrl ? `device: { id: bench }\nmqtt: { url: ${mqttUrl}, metrics_interval: 1 }` : '',
      `cameras: [${Array.from({ length: cameras }, (_, i) => camera(i)).join(', ')}]`,
    ].join('\n'),
    resolve('bench.yaml'),
  );
}

interface RawFigures {
  readonly oneSessionSpinning: number;
  readonly oneSessionNoSpinning: number;
  readonly parallelSessions: number;
  readonly best: number;
}

/**
 * The limit: the best of one session (spinning on or off) and one
 * single-thread session per core in parallel. With `cropsPerFrame`, each
 * frame also runs the classifier over that many crops (the classifier-on limit).
 */
async function rawLimit(cropsPerFrame?: readonly number[]): Promise<RawFigures> {
  const model = `${TESTDATA}/models/yolox_nano.onnx`;
  const classifier = cropsPerFrame ? classifierLoad(cropsPerFrame) : undefined;
  const seconds = Math.max(5, SECONDS / 2);
  const oneSessionSpinning = await rawRunsPerSecond({ model, intraOpThreads: THREADS, spinning: true, seconds, classifier });
  const oneSessionNoSpinning = await rawRunsPerSecond({ model, intraOpThreads: THREADS, spinning: false, seconds, classifier });
  const parallelSessions = await rawParallel(seconds, classifier);
  return { oneSessionSpinning, oneSessionNoSpinning, parallelSessions, best: Math.max(oneSessionSpinning, oneSessionNoSpinning, parallelSessions) };
}

/** The classifier's share of a raw run: the shipped MobileNetV2 over these crop counts, frame by frame. */
function classifierLoad(cropsPerFrame: readonly number[]): NonNullable<RawOptions['classifier']> {
  return { model: `${TESTDATA}/models/mobilenetv2-12-int8.onnx`, cropsPerFrame };
}

/** One single-thread session per core, in parallel: the configuration that is the limit on a CPU. */
async function rawParallel(seconds: number, classifier?: RawOptions['classifier']): Promise<number> {
  const model = `${TESTDATA}/models/yolox_nano.onnx`;
  const workers = Array.from({ length: availableParallelism() }, () => new Worker(new URL('./raw-runner.js', import.meta.url), {
    workerData: { rawRunner: true, options: { model, intraOpThreads: 1, spinning: false, seconds, classifier } },
  }));
  const perWorker = await Promise.all(workers.map((w) => new Promise<number>((resolve) => w.once('message', resolve))));
  return perWorker.reduce((a, b) => a + b, 0);
}

interface PipelineRun {
  readonly fps: number;
  readonly frames: number;
  /** Process CPU time (all threads, user + system) per analysed frame, ms. */
  readonly cpuMsPerFrame: number;
  /** Highest process RSS sampled while frames were counted, MiB. */
  readonly rssMiB: number;
  readonly latencies: number[];
  /** Each counted frame's detector run (detector_inference_seconds), ms. */
  readonly detectMs: number[];
  readonly objectsPerFrame: number;
  /** Objects the classifier ran on, per counted frame. */
  readonly crops: number[];
  /** Preview frames each viewer received (warm-up included). */
  readonly previewFrames: number[];
}

/** Preview viewers in a child process, so their decoding is not charged to the agent's main thread. */
function startViewers(port: number, count: number): { stop(): Promise<number[]> } {
  const child = spawn(process.execPath, [new URL('./preview-viewers.js', import.meta.url).pathname, String(port), String(count), 'bench'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve(JSON.parse(output || '[]') as number[]));
        child.kill('SIGTERM');
      }),
  };
}

async function pipeline(options: RunOptions): Promise<PipelineRun> {
  const { seconds, viewers = 0 } = options;
  const latencies: number[] = [];
  let frames = 0;
  let objects = 0;
  const crops: number[] = [];
  const detectMs: number[] = [];
  let counting = false;
  const sink = {
    name: 'bench',
    handle(result: FrameResult): void {
      if (!counting) return;
      frames++;
      objects += result.objects.length;
      crops.push(result.timings.classifiedObjects);
      detectMs.push(result.timings.detectSeconds * 1000);
      latencies.push(resultLatencyMs(result));
    },
  };
  const agent = new Agent(config(options), createLogger('warn'), [sink]);
  await agent.start();
  const viewerProcess = viewers > 0 ? startViewers(agent.httpPort, viewers) : undefined;
  await delay(3000); // warm-up: capture opened, ORT caches warm, viewers connected
  counting = true;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  let rss = process.memoryUsage().rss;
  const sampler = setInterval(() => (rss = Math.max(rss, process.memoryUsage().rss)), 250);
  await delay(seconds * 1000);
  clearInterval(sampler);
  counting = false;
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const previewFrames = viewerProcess ? await viewerProcess.stop() : [];
  await agent.stop();
  const cpuMsPerFrame = (cpu.user + cpu.system) / 1000 / Math.max(1, frames);
  return { fps: frames / elapsed, frames, cpuMsPerFrame, rssMiB: rss / 2 ** 20, latencies, detectMs, objectsPerFrame: objects / Math.max(1, frames), crops, previewFrames };
}

function describeRaw(figures: RawFigures): string {
  return (
    `one session, spinning on ${figures.oneSessionSpinning.toFixed(1)}/s, off ${figures.oneSessionNoSpinning.toFixed(1)}/s; ` +
    `${availableParallelism()} single-thread sessions in parallel ${figures.parallelSessions.toFixed(1)}/s`
  );
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

async function main(): Promise<void> {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`vigil bench — ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, onnxruntime-node ${ort.env.versions.common}`);
  console.log(`model yolox_nano.onnx 416×416, pipeline: inference workers ${WORKERS}, intra-op threads ${THREADS || 'auto'}, spinning ${SPINNING ? 'on' : 'off'}, ${SECONDS} s per pipeline run\n`);
  const describe = (run: PipelineRun): string => `${run.fps.toFixed(1)} frames/s, ${run.cpuMsPerFrame.toFixed(1)} ms CPU/frame (${run.objectsPerFrame.toFixed(1)} objects/frame)`;
  if (wanted('a') || wanted('b')) {
    const rawFigures = await rawLimit();
    const raw = rawFigures.best;
    console.log(`(a) raw detector run() on a pre-made tensor, best of three: ${raw.toFixed(1)} runs/s\n      ${describeRaw(rawFigures)}`);
    const off = await pipeline({ classifier: false, pace: 'on_demand', seconds: SECONDS });
    console.log(`(b) pipeline, 1 camera, classifier off:         ${describe(off)}`);
    // This VM's speed drifts over minutes: the limit again, right after, shows how much.
    const rawAfter = await rawParallel(Math.max(5, SECONDS / 2));
    console.log(`(a) again right after (b), parallel sessions:   ${rawAfter.toFixed(1)} runs/s; (b)/(a) ${(off.fps / rawAfter).toFixed(2)} against it`);
    const on = await pipeline({ classifier: true, pace: 'on_demand', seconds: SECONDS });
    console.log(`(b) pipeline, 1 camera, classifier on (persons): ${describe(on)}, ${mean(on.crops).toFixed(1)} classified/frame`);
    const rawOn = await rawLimit(on.crops);
    console.log(
      `(a') raw detector + classifier run() per frame (the pipeline's crop counts, ${mean(on.crops).toFixed(1)}/frame), best of three: ${rawOn.best.toFixed(1)} frames/s\n` +
        `      ${describeRaw(rawOn)}`,
    );
    const offFour = await pipeline({ classifier: false, pace: 'on_demand', seconds: SECONDS, cameras: 4 });
    console.log(`(b) pipeline, 4 cameras, classifier off:        ${describe(offFour)} in all`);
    const onFour = await pipeline({ classifier: true, pace: 'on_demand', seconds: SECONDS, cameras: 4 });
    console.log(`(b) pipeline, 4 cameras, classifier on:         ${describe(onFour)} in all`);
    console.log(
      `(c) ratio pipeline/raw:                         ${(off.fps / raw).toFixed(2)} (classifier off); ` +
        `4 cameras ${(offFour.fps / raw).toFixed(2)} (off); classifier on against (a') ${(on.fps / rawOn.best).toFixed(2)}, 4 cameras ${(onFour.fps / rawOn.best).toFixed(2)}; ` +
        `against the best single session ${(off.fps / Math.max(rawFigures.oneSessionSpinning, rawFigures.oneSessionNoSpinning)).toFixed(2)}`,
    );
    console.log(
      `(e) RSS while running: ${off.rssMiB.toFixed(0)} MiB (classifier off), ${on.rssMiB.toFixed(0)} MiB (on), ${onFour.rssMiB.toFixed(0)} MiB (4 cameras, on); ` +
        `peak of the whole bench process so far ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
    );
  }
  if (wanted('p')) await pairedRatios();
  if (wanted('d')) {
    const live = await pipeline({ classifier: false, pace: 'realtime', seconds: Math.min(SECONDS, 15) });
    const latency = (p: number): string => `p${p} ${percentile(live.latencies, p).toFixed(1)} ms`;
    console.log(
      `(d) frame_latency at live 10 fps, classifier off: ${[50, 95, 99].map(latency).join(', ')} (${live.latencies.length} frames); ` +
        `its detector run (detector_inference_seconds) p50 ${median(live.detectMs).toFixed(1)} ms`,
    );
  }
  if (wanted('f')) await mqttFigures();
  if (wanted('g')) {
    const idle = await pipeline({ classifier: false, pace: 'on_demand', seconds: SECONDS });
    const watched = await pipeline({ classifier: false, pace: 'on_demand', seconds: SECONDS, viewers: 5 });
    console.log(
      `(g) pipeline, classifier off, 5 preview viewers: ${watched.fps.toFixed(1)} frames/s (0 viewers, just before: ${idle.fps.toFixed(1)}); ` +
        `preview frames per viewer: ${watched.previewFrames.join(', ')} in ${SECONDS + 3} s`,
    );
  }
  if (wanted('h')) await batchingFigures();
  if (wanted('t')) console.log(trackerFigures());
  if (wanted('density')) await densityFigures();
}

/** VIGIL_BENCH_ONLY=a,d,p runs only those parts ((c) and (e) come with (a)/(b)); VIGIL_BENCH_ONLY=density the density part. */
function wanted(part: string): boolean {
  const only = process.env.VIGIL_BENCH_ONLY;
  return !only || only.split(',').includes(part);
}

/** Pairs in (p): enough for a median that one slow VM minute does not move. */
const PAIRS = Number(process.env.VIGIL_BENCH_PAIRS ?? 3);

/**
 * (p) The ratios, robust to this VM's drift: the raw limit (parallel
 * sessions, the best configuration here) and the pipeline right one after
 * the other, PAIRS times, each pair's ratio and their median. Classifier
 * off, and on against (a') at the crop counts of the pipeline run just before.
 */
async function pairedRatios(): Promise<void> {
  const seconds = Math.max(5, SECONDS / 2);
  const off: string[] = [];
  const on: string[] = [];
  const offRatios: number[] = [];
  const onRatios: number[] = [];
  const row = (raw: number, run: PipelineRun): string =>
    `raw ${raw.toFixed(1)}/s, pipeline ${run.fps.toFixed(1)} frames/s (${run.cpuMsPerFrame.toFixed(1)} ms CPU/frame): ${(run.fps / raw).toFixed(2)}`;
  for (let i = 0; i < PAIRS; i++) {
    const raw = await rawParallel(seconds);
    const run = await pipeline({ classifier: false, pace: 'on_demand', seconds: SECONDS });
    offRatios.push(run.fps / raw);
    off.push(row(raw, run));
    const runOn = await pipeline({ classifier: true, pace: 'on_demand', seconds: SECONDS });
    const rawOn = await rawParallel(seconds, classifierLoad(runOn.crops));
    onRatios.push(runOn.fps / rawOn);
    on.push(`${row(rawOn, runOn)}, ${mean(runOn.crops).toFixed(1)} classified/frame`);
  }
  console.log(
    `(p) pipeline/raw, ${PAIRS} pairs run back to back:\n` +
      `      classifier off, median ${median(offRatios).toFixed(2)}:\n        ${off.join('\n        ')}\n` +
      `      classifier on against (a'), median ${median(onRatios).toFixed(2)}:\n        ${on.join('\n        ')}`,
  );
}

/** (h) 4 cameras through one detector run() per batch, on a batchable copy of the model (batch 1 on the same copy for reference). */
async function batchingFigures(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-batch-'));
  try {
    const model = join(dir, 'yolox_nano_dynamic.onnx');
    await makeDynamicBatchCopy(`${TESTDATA}/models/yolox_nano.onnx`, model);
    const rows: string[] = [];
    for (const size of [1, 2, 4]) {
      const batch = { model, size };
      const full = await pipeline({ classifier: false, pace: 'on_demand', seconds: SECONDS, cameras: 4, batch });
      const live = await pipeline({ classifier: false, pace: 'realtime', seconds: Math.min(SECONDS, 15), cameras: 4, batch });
      const p = (q: number): string => percentile(live.latencies, q).toFixed(1);
      rows.push(
        `batch ${size}: ${full.fps.toFixed(1)} frames/s, ${full.cpuMsPerFrame.toFixed(1)} ms CPU/frame; ` +
          `frame_latency at 4 × live 10 fps p50 ${p(50)} / p95 ${p(95)} / p99 ${p(99)} ms`,
      );
    }
    console.log(`(h) cross-camera batching, 4 cameras, classifier off, batchable copy of the model:\n      ${rows.join('\n      ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function mqttFigures(): Promise<void> {
  const broker = await startLocalBroker();
  if (!broker) return console.log('(f) MQTT: skipped, /usr/sbin/mosquitto not installed');
  try {
    const before = broker.received();
    const run = await pipeline({ classifier: false, pace: 'on_demand', seconds: SECONDS, mqttUrl: broker.url });
    const received = broker.received() - before;
    console.log(
      `(f) pipeline, classifier off, publishing every frame over MQTT: ${run.fps.toFixed(1)} frames/s; ` +
        `a subscriber received ${received} detections messages for the ${run.frames} frames counted (warm-up and shutdown frames included)`,
    );
  } finally {
    await broker.stop();
  }
}

void main().then(() => process.exit(0));
