/**
 * RSS of the real agent per camera count with shared capture workers
 * (`capture.workers: auto`) against one worker per camera (issue 16 item 4):
 * `npm run build && node dist/bench/capture-rss.js [counts…]`. Each point is
 * a fresh agent with N live vtest.avi cameras (realtime), its VmRSS the
 * median over 3 s once every camera has sent 30 frames and 5 s more passed. Prints a table and the least-squares MiB
 * per additional camera of each mode. RSS_PART=capture measures capture
 * alone instead (CameraSource on the pool, frames counted and let go,
 * no inference: what the capture design costs, without the queues and
 * inference batches that grow with the cameras of an overloaded agent).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CameraSource } from '../agent/capture/camera-source.js';
import { CaptureWorkerPool } from '../agent/capture/capture-worker-pool.js';
import { ffmpegCaptureOptions } from '../agent/capture/ffmpeg-options.js';
import { prepareOpenCvEnvironment } from '../agent/capture/opencv-binding.js';
import type { TensorRecipe } from '../agent/core/detector-recipe.js';
import { createLogger } from '../agent/log.js';
import { delay } from '../agent/util/clock.js';
import { densityConfig, densityConfigYaml, VTEST } from './density-config.js';

const MAIN = new URL('../agent/main.js', import.meta.url).pathname;
/** After every camera streams: the queues fill, the tensors in circulation reach their number. */
const SETTLE_MS = 5000;
const START_TIMEOUT_MS = 120_000;
const SAMPLES = 12;

type Workers = 'auto' | 'per-camera' | number;

const YOLOX_RECIPE: TensorRecipe = { placement: 'top_left', channelOrder: 'bgr', scale: 1, padValue: 114, width: 416, height: 416 };

/** In a child process: capture alone for `cameras`, then its median RSS on stdout. */
async function captureOnlyChild(cameras: number, workers: number | 'auto'): Promise<void> {
  const config = densityConfig({ groups: [{ prefix: 'cam', count: cameras, url: VTEST }] });
  const { capture } = config;
  prepareOpenCvEnvironment(ffmpegCaptureOptions({ rtspTransport: capture.rtsp_transport, timeoutSeconds: capture.rtsp_timeout_seconds, analyzeDurationMicros: capture.analyze_duration_micros }));
  const logger = createLogger('error');
  const pool = new CaptureWorkerPool({ workers, logger });
  const frames = new Map<string, number>();
  const sources = config.cameras.map((camera) => {
    const source = new CameraSource({ camera, capture, logger, stats: { disconnected: 0, disconnectedSeconds: 0, videoIndex: 0 }, pool });
    source.on('frame', () => {
      frames.set(camera.name, (frames.get(camera.name) ?? 0) + 1);
    });
    return source;
  });
  for (const source of sources) source.start(YOLOX_RECIPE, false);
  const started = performance.now();
  while (frames.size < cameras || [...frames.values()].some((n) => n < 30)) {
    if (performance.now() - started > START_TIMEOUT_MS) throw new Error(`${cameras} cameras not all streaming`);
    await delay(500);
  }
  await delay(SETTLE_MS);
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    samples.push(process.memoryUsage().rss / 2 ** 20);
    await delay(250);
  }
  console.log(JSON.stringify({ rssMiB: samples.sort((a, b) => a - b)[SAMPLES >> 1] }));
  await Promise.all(sources.map((s) => s.stop()));
}

async function captureOnlyRssMiB(cameras: number, workers: Workers): Promise<number> {
  const child = spawn(process.execPath, [new URL(import.meta.url).pathname, '--child', String(cameras), String(workers === 'per-camera' ? cameras : workers)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  return (JSON.parse(out.trim().split('\n').at(-1)!) as { rssMiB: number }).rssMiB;
}

async function rssMiB(cameras: number, workers: Workers): Promise<number> {
  if (process.env.RSS_PART === 'capture') return captureOnlyRssMiB(cameras, workers);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-capture-rss-'));
  const file = join(dir, 'agent.yaml');
  const capture = `capture: { workers: ${workers === 'per-camera' ? cameras : workers} }`;
  const yaml = densityConfigYaml({ groups: [{ prefix: 'cam', count: cameras, url: VTEST }], logLevel: 'info' });
  // RSS_QUEUE: another queue_capacity (each queued frame holds its 2 MB detector tensor).
  writeFileSync(file, `${process.env.RSS_QUEUE ? yaml.replaceAll('queue_capacity: 4', `queue_capacity: ${process.env.RSS_QUEUE}`) : yaml}\n${capture}\n`);
  const child = spawn(process.execPath, [MAIN, 'run', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let port = 0;
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  child.stdout.on('data', (chunk: Buffer) => {
    port ||= Number(/"msg":"http server listening"/.test(chunk.toString()) ? /"port":(\d+)/.exec(chunk.toString())?.[1] : 0) || 0;
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve)).then((code) => (exitCode = code));
  try {
    const started = performance.now();
    while (!(await allStreaming(port, cameras))) {
      if (exitCode !== undefined) throw new Error(`the agent exited ${exitCode} with ${cameras} cameras: ${stderr}`);
      if (performance.now() - started > START_TIMEOUT_MS) throw new Error(`${cameras} cameras not all streaming after ${START_TIMEOUT_MS / 1000} s`);
      await delay(500);
    }
    await delay(SETTLE_MS);
    const samples: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const kib = Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
      samples.push(kib / 1024);
      await delay(250);
    }
    return samples.sort((a, b) => a - b)[SAMPLES >> 1]!;
  } finally {
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every camera has sent at least 30 frames. */
async function allStreaming(port: number, cameras: number): Promise<boolean> {
  if (!port) return false;
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const sent = [...text.matchAll(/^frames_sent_total\{[^}]*camera="cam\d+"[^}]*\} (\S+)$/gm)].map((m) => Number(m[1]));
    return sent.length === cameras && sent.every((n) => n >= 30);
  } catch {
    return false;
  }
}

function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxy / sxx;
}

if (process.argv[2] === '--child') {
  const workers = process.argv[4] === 'auto' ? 'auto' : Number(process.argv[4]);
  await captureOnlyChild(Number(process.argv[3]), workers);
  process.exit(0);
}
const counts = process.argv.slice(2).map(Number);
const cameraCounts = counts.length > 0 ? counts : [1, 4, 8, 16, 32];
const modes: Workers[] = (process.env.RSS_MODES ?? 'auto,per-camera').split(',').map((m) => (/^\d+$/.test(m) ? Number(m) : (m as Workers)));
const rows: Record<string, [number, number][]> = {};
for (const mode of modes) {
  rows[mode] = [];
  for (const cameras of cameraCounts) {
    const mib = await rssMiB(cameras, mode);
    rows[mode].push([cameras, mib]);
    console.log(`${String(mode).padEnd(10)} ${String(cameras).padStart(3)} cameras  ${mib.toFixed(0).padStart(5)} MiB`);
  }
}
console.log(`\ncores ${availableParallelism()}, UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? 'unset'}`);
for (const mode of modes) console.log(`${mode}: ${slope(rows[mode]!).toFixed(1)} MiB per additional camera`);
