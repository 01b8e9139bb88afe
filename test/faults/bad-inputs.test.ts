import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { ConfigError, formatIssue, parseConfig } from '../../agent/config/load.js';
import { parseFrameMessage, type FrameHeader } from '../../agent/preview/frame-message.js';
import { AgentProcess, agentConfigYaml, type LogLine } from '../helpers/agent-process.js';
import { sampleValue } from '../helpers/metrics-text.js';
import { AGENT_MAIN, media, model, MODELS, REPO_ROOT } from '../helpers/testdata.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Bad inputs into the real agent: damaged and odd video (corrupt, truncated,
 * random bytes, a resolution change mid-stream, 4K, 1×1, grey), models that
 * are not what their key says, and a few hundred fuzzed configs. Each must
 * end in a clear error (a log line or message with a code and the file or
 * key) or a handled frame: never a crash, never a hang.
 */

const CAM = 'cam';
const EXAMPLE = join(REPO_ROOT, 'config/agent.example.yaml');
/** Markers of a native abort, a V8 crash or an unhandled JS error on the agent's stderr (FFmpeg's own decode warnings are expected there). */
const CRASH_MARKERS = /FATAL ERROR|Check failed|terminate called|Segmentation fault|core dumped|Uncaught|UnhandledPromiseRejection|node:internal/;

let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-bad-inputs-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------- inputs

function randomBytes(length: number, seed: number): Buffer {
  const random = seededRandom(seed);
  return Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
}

function ffmpeg(...args: string[]): void {
  execFileSync('/usr/bin/ffmpeg', ['-nostdin', '-y', '-loglevel', 'error', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** `seconds` of vtest.avi (768×576, 10 fps) from `start`, through `filters`, encoded with `codec` options, written to `name` in the temp folder. */
function clip(name: string, options: { start?: number; seconds: number; vf?: string; codec: string[] }): string {
  const file = join(dir, name);
  ffmpeg(
    ...(options.start ? ['-ss', String(options.start)] : []),
    '-i',
    media('vtest.avi'),
    '-t',
    String(options.seconds),
    ...(options.vf ? ['-vf', options.vf] : []),
    ...options.codec,
    '-an',
    file,
  );
  return file;
}

const H264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-pix_fmt', 'yuv420p'];

interface Probe {
  readonly width: number;
  readonly height: number;
  readonly pix_fmt: string;
  readonly codec_name: string;
  readonly nb_read_frames?: string;
}

function probe(file: string, countFrames = false): Probe {
  const out = execFileSync('ffprobe', [
    '-v',
    'error',
    ...(countFrames ? ['-count_frames'] : []),
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=width,height,pix_fmt,codec_name,nb_read_frames',
    '-of',
    'json',
    file,
  ]);
  return (JSON.parse(out.toString()) as { streams: Probe[] }).streams[0]!;
}

// ---------------------------------------------------------------- agent helpers

function camera(url: string | string[], extra: Record<string, string | number | boolean> = {}): string {
  const lines = [`  - name: ${CAM}`, `    url: ${JSON.stringify(url)}`, ...Object.entries(extra).map(([k, v]) => `    ${k}: ${v}`)];
  return `${lines.join('\n')}\n`;
}

const running = new Set<AgentProcess>();
const watchers = new Set<PreviewWatcher>();

async function startAgent(cameraYaml: string, options: { classifier?: boolean; extra?: string } = {}, env: NodeJS.ProcessEnv = {}): Promise<AgentProcess> {
  const agent = await AgentProcess.start(agentConfigYaml(cameraYaml, options), env);
  running.add(agent);
  return agent;
}

afterEach(async () => {
  for (const watcher of watchers) watcher.close();
  watchers.clear();
  for (const agent of running) await agent.stop();
  running.clear();
});

async function metric(agent: AgentProcess, name: string, labels: Record<string, string> = {}): Promise<number> {
  return sampleValue(await agent.metrics(), name, { camera: CAM, ...labels }) ?? 0;
}

interface Readiness {
  readonly ready: boolean;
  readonly cameras: readonly { camera: string; state: string; connected: boolean }[];
}

async function readyz(agent: AgentProcess): Promise<{ status: number; body: Readiness }> {
  const res = await fetch(`http://127.0.0.1:${agent.port}/readyz`);
  return { status: res.status, body: (await res.json()) as Readiness };
}

async function cameraState(agent: AgentProcess): Promise<string> {
  return (await readyz(agent)).body.cameras.find((c) => c.camera === CAM)?.state ?? 'missing';
}

async function expectServing(agent: AgentProcess): Promise<void> {
  const health = await fetch(`http://127.0.0.1:${agent.port}/healthz`);
  expect(health.status).toBe(200);
  const ready = await readyz(agent);
  expect([200, 503]).toContain(ready.status);
  expect(ready.body.cameras.map((c) => c.camera)).toContain(CAM);
}

/** Crashed workers, fatal lines or native aborts: none, whatever the input. */
function expectNoCrash(agent: AgentProcess): void {
  const crashes = agent.logs.filter((l) => l.level === 'fatal' || l.code === 'AGENT_ERR_WORKER_CRASHED');
  expect(crashes, JSON.stringify(crashes)).toEqual([]);
  expect(agent.stderr).not.toMatch(CRASH_MARKERS);
}

/** SIGTERM: a running agent stops cleanly with 0 (and so was still running). */
async function stopCleanly(agent: AgentProcess): Promise<number> {
  running.delete(agent);
  const started = Date.now();
  const code = await agent.stop(10_000);
  expect(code, `exit code; stderr tail: ${agent.stderr.slice(-2000)}`).toBe(0);
  expectNoCrash(agent);
  return Date.now() - started;
}

/** The capture component's log, one "level code msg" a line, for failure messages. */
function captureLog(agent: AgentProcess): string {
  return agent.logs
    .filter((l) => l.component === 'capture')
    .map((l) => `${l.level} ${typeof l.code === 'string' ? `${l.code} ` : ''}${l.msg}`)
    .join(' | ');
}

/** Log lines at warn or above that carry a stable AGENT_ERR_* code. */
function codedProblems(agent: AgentProcess): LogLine[] {
  return agent.logs.filter((l) => (l.level === 'warn' || l.level === 'error') && typeof l.code === 'string' && l.code.startsWith('AGENT_ERR_'));
}

/** A preview viewer on the agent's WebSocket: one header (source size, boxes) per frame it is sent. */
class PreviewWatcher {
  readonly frames: FrameHeader[] = [];

  private constructor(private readonly ws: WebSocket) {}

  static async watch(agent: AgentProcess): Promise<PreviewWatcher> {
    const ws = new WebSocket(`ws://127.0.0.1:${agent.port}/ws`);
    const watcher = new PreviewWatcher(ws);
    watchers.add(watcher);
    ws.on('message', (data, isBinary) => {
      if (isBinary) watcher.frames.push(parseFrameMessage(data as Buffer).header);
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'watch', cameras: [CAM] }));
    return watcher;
  }

  close(): void {
    this.ws.close();
  }
}

/** Every box of a frame lies inside that frame. */
function expectBoxesInside(frames: readonly FrameHeader[]): void {
  for (const f of frames) {
    for (const o of f.objects) {
      const [x1, y1, x2, y2] = o.box;
      expect(x1 >= 0 && y1 >= 0 && x2 <= f.width && y2 <= f.height && x1 <= x2 && y1 <= y2, `box ${JSON.stringify(o.box)} in a ${f.width}x${f.height} frame`).toBe(true);
    }
  }
}

// ---------------------------------------------------------------- 1. corrupt video

describe('corrupt video files', () => {
  let clean = '';
  beforeAll(() => {
    // moov at the front (faststart), keyframes every 10 frames: a damaged middle or a cut tail leaves decodable frames before it.
    clean = clip('clean.mp4', { seconds: 3, codec: [...H264, '-movflags', '+faststart'] });
  });

  /** Plays a damaged copy of the clip once: frames before the damage are analysed, the agent stays up, and the early end is reported with its code. */
  async function expectDamageReported(file: string): Promise<void> {
    const agent = await startAgent(camera(file, { loop: false }));
    await waitFor(async () => ['ended', 'disconnected'].includes(await cameraState(agent)), 'the camera ended or disconnected', 12_000);
    await waitFor(async () => (await metric(agent, 'frames_sent_total')) === (await metric(agent, 'classifier_frames_processed_total')), 'queued frames analysed', 5000);
    const processed = await metric(agent, 'classifier_frames_processed_total');
    expect(processed).toBeGreaterThan(0);
    expect(processed).toBeLessThan(30);
    await expectServing(agent);
    const problems = codedProblems(agent);
    await stopCleanly(agent);
    const damaged = problems.find((p) => p.code === 'AGENT_ERR_MEDIA_DAMAGED');
    expect(damaged, `processed ${processed} of 30 frames; capture log: ${captureLog(agent)}`).toBeDefined();
    expect(damaged!.msg).toMatch(/ended after \d+ of its 30 frames: the file is damaged or truncated/);
  }

  it('a clip with its middle overwritten: frames before the damage are processed, the camera ends or reconnects, the damage is reported with a code', async () => {
    const bytes = readFileSync(clean);
    randomBytes(Math.floor(bytes.length * 0.2), 7).copy(bytes, Math.floor(bytes.length * 0.4));
    const file = join(dir, 'corrupt-middle.mp4');
    writeFileSync(file, bytes);
    await expectDamageReported(file);
  }, 30_000);

  it('a clip cut to half its size: the frames in the first half are processed, the early end is reported with a code', async () => {
    const bytes = readFileSync(clean);
    const file = join(dir, 'truncated.mp4');
    writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expectDamageReported(file);
  }, 30_000);

  it('stops promptly (no stage timeout) after a damaged file camera has ended', async () => {
    const bytes = readFileSync(clean);
    const file = join(dir, 'truncated-stop.mp4');
    writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const agent = await startAgent(camera(file, { loop: false }));
    await waitFor(async () => (await cameraState(agent)) === 'ended', 'the camera ended', 12_000);
    const stopMs = await stopCleanly(agent);
    const stageTimeouts = agent.logs.filter((l) => l.msg === 'stage did not stop in time');
    expect.soft(stageTimeouts, `shutdown took ${stopMs} ms`).toEqual([]);
    expect.soft(stopMs).toBeLessThan(2000);
  }, 30_000);

  it('random bytes named .mp4: the camera is reported disconnected with AGENT_ERR_RTSP_OPEN naming the file, the agent stays up', async () => {
    const file = join(dir, 'random.mp4');
    writeFileSync(file, randomBytes(256 * 1024, 11));
    const agent = await startAgent(camera(file, { reconnect: '{ initial_seconds: 0.2, max_seconds: 0.5 }' }));
    const openError = await waitFor(() => agent.logs.find((l) => l.code === 'AGENT_ERR_RTSP_OPEN'), 'an AGENT_ERR_RTSP_OPEN log line', 10_000);
    expect(openError.level).toBe('warn');
    expect(openError.msg).toContain(file);
    expect(await cameraState(agent)).toBe('disconnected');
    expect(await metric(agent, 'detector_disconnected')).toBe(1);
    // It keeps retrying (with backoff) without flooding the log at warn.
    await waitFor(() => agent.logs.filter((l) => l.msg === 'opening').length >= 3, 'reopen attempts', 10_000);
    expect(agent.logs.filter((l) => l.code === 'AGENT_ERR_RTSP_OPEN' && l.level === 'warn')).toHaveLength(1);
    await expectServing(agent);
    expect(await metric(agent, 'classifier_frames_processed_total')).toBe(0);
    await stopCleanly(agent);
  }, 30_000);
});

// ---------------------------------------------------------------- 2-5. odd frames

describe('odd frame sizes and formats', () => {
  // OpenCV 4.6's FFmpeg backend keeps the first frame size: the 320x240 frames come out as
  // 640x480 Mats with the small picture smeared over the top (opencv/opencv#27116), and nothing
  // it reports (CAP_PROP_FRAME_WIDTH included) changes. GStreamer renegotiates, so vigil's
  // `decoder: software|nvv4l2` pipelines handle a camera that changes resolution; docs/limitations.md says so.
  it('a resolution change mid-stream (640x480 then 320x240 in one MPEG-TS, GStreamer decode as `decoder: software` builds it): frames of both sizes are analysed, boxes fit each size', async () => {
    const first = clip('a.ts', { seconds: 2, vf: 'scale=640:480', codec: [...H264, '-f', 'mpegts'] });
    const second = clip('b.ts', { start: 2, seconds: 2, vf: 'scale=320:240', codec: [...H264, '-f', 'mpegts'] });
    const file = join(dir, 'resolution-change.ts');
    writeFileSync(file, Buffer.concat([readFileSync(first), readFileSync(second)]));
    const firstFrames = Number(probe(first, true).nb_read_frames);
    const totalFrames = firstFrames + Number(probe(second, true).nb_read_frames);
    expect(firstFrames).toBeGreaterThan(0);
    // sync=true: the pipeline clock paces the file at its 10 fps, as a camera would deliver it.
    const pipeline = `filesrc location=${file} ! tsdemux ! h264parse ! avdec_h264 ! videoconvert ! video/x-raw,format=BGR ! appsink drop=false sync=true`;
    const inSecond = (f: FrameHeader): boolean => f.seq >= firstFrames && f.seq < totalFrames;

    const agent = await startAgent(camera(pipeline), { extra: 'preview:\n  fps: 30\n' });
    const viewer = await PreviewWatcher.watch(agent);
    await waitFor(() => viewer.frames.filter(inSecond).length >= 5, 'preview frames from the 320x240 segment', 15_000);
    expect(await metric(agent, 'classifier_frames_processed_total')).toBeGreaterThan(firstFrames);
    expect(await metric(agent, 'frames_dropped_total', { reason: 'inference_error' })).toBe(0);
    expect(await metric(agent, 'objects_detected_total', { label: 'person' })).toBeGreaterThan(0);
    expectBoxesInside(viewer.frames);
    await expectServing(agent);
    await stopCleanly(agent);
    const sizes = (frames: FrameHeader[]): string[] => [...new Set(frames.map((f) => `${f.width}x${f.height}`))];
    expect(sizes(viewer.frames.filter((f) => f.seq < firstFrames))).toEqual(['640x480']);
    expect(sizes(viewer.frames.filter(inSecond))).toEqual(['320x240']);
    // People are still found after the switch, with boxes in the small frame's pixels (checked above).
    expect(viewer.frames.some((f) => inSecond(f) && f.objects.length > 0)).toBe(true);
  }, 30_000);

  it('a 4K (3840x2160) stream: analysed, boxes in 4K pixels, resident memory below 2 GiB', async () => {
    const file = clip('4k.mp4', { seconds: 1, vf: 'scale=3840:2160', codec: H264 });
    const agent = await startAgent(camera(file, { queue_capacity: 8 }), { classifier: true, extra: 'preview:\n  fps: 30\n' });
    const viewer = await PreviewWatcher.watch(agent);
    let peakRss = 0;
    await waitFor(
      async () => {
        const samples = await agent.metrics();
        peakRss = Math.max(peakRss, sampleValue(samples, 'process_resident_memory_bytes') ?? 0);
        return (sampleValue(samples, 'classifier_frames_processed_total', { camera: CAM }) ?? 0) >= 15;
      },
      '15 4K frames analysed (the 10-frame file looped)',
      12_000,
      200,
    );
    expect(agent.logs.find((l) => l.msg === 'capture opened')).toMatchObject({ width: 3840, height: 2160 });
    expect(peakRss).toBeGreaterThan(0);
    expect(peakRss).toBeLessThan(2 * 1024 ** 3);
    expect(await metric(agent, 'objects_detected_total', { label: 'person' })).toBeGreaterThan(0);
    expect(await metric(agent, 'frames_dropped_total', { reason: 'inference_error' })).toBe(0);
    await waitFor(() => viewer.frames.length > 0, 'a preview frame', 5000);
    expect(viewer.frames[0]).toMatchObject({ width: 3840, height: 2160, jpeg_width: 640, jpeg_height: 360 });
    expectBoxesInside(viewer.frames);
    // Boxes come back in 4K pixels, not in the model's or vtest's own.
    expect(viewer.frames.some((f) => f.objects.some((o) => o.box[2] > 1000 || o.box[3] > 1000))).toBe(true);
    await expectServing(agent);
    await stopCleanly(agent);
  }, 30_000);

  it('1x1 frames (FFV1, raw BGR, PNG) and 2x2 H.264 in a playlist: every frame is handled, with no objects or a counted per-frame error', async () => {
    const playlist = [
      clip('one-ffv1.mkv', { seconds: 1, vf: 'scale=1:1', codec: ['-c:v', 'ffv1'] }),
      clip('one-raw.avi', { seconds: 1, vf: 'scale=1:1', codec: ['-c:v', 'rawvideo', '-pix_fmt', 'bgr24'] }),
      clip('one-png.mkv', { seconds: 1, vf: 'scale=1:1', codec: ['-c:v', 'png'] }),
      clip('two-h264.mp4', { seconds: 1, vf: 'scale=2:2', codec: H264 }),
    ];
    for (const f of playlist.slice(0, 3)) expect(probe(f)).toMatchObject({ width: 1, height: 1 });
    const agent = await startAgent(camera(playlist, { file_pace: 'on_demand' }), { classifier: true, extra: 'preview:\n  fps: 30\n' });
    const viewer = await PreviewWatcher.watch(agent);
    // Every item opened once and the playlist came round again.
    await waitFor(async () => (await metric(agent, 'video_index')) >= playlist.length, 'the playlist played through', 12_000);
    const opened = agent.logs.filter((l) => l.msg === 'capture opened').slice(0, playlist.length);
    expect(opened.map((l) => `${String(l.width)}x${String(l.height)}`)).toEqual(['1x1', '1x1', '1x1', '2x2']);
    const processed = await metric(agent, 'classifier_frames_processed_total');
    const failed = await metric(agent, 'frames_dropped_total', { reason: 'inference_error' });
    expect(processed + failed).toBeGreaterThanOrEqual(30);
    if (failed > 0) expect(agent.logs.some((l) => l.msg === 'frame not analysed')).toBe(true);
    // Nothing to see in one pixel.
    expect(sampleValue(await agent.metrics(), 'objects_detected_total') ?? 0).toBe(0);
    await waitFor(() => viewer.frames.length > 0, 'a preview frame', 5000);
    expect(viewer.frames.every((f) => f.width <= 2 && f.height <= 2 && f.objects.length === 0)).toBe(true);
    expect(codedProblems(agent)).toEqual([]);
    await expectServing(agent);
    await stopCleanly(agent);
  }, 30_000);

  it('a greyscale stream (FFV1 and PNG, pix_fmt gray): converted to BGR and people are detected', async () => {
    const playlist = [
      clip('gray-ffv1.mkv', { seconds: 2, codec: ['-c:v', 'ffv1', '-pix_fmt', 'gray'] }),
      clip('gray-png.mkv', { start: 2, seconds: 2, codec: ['-c:v', 'png', '-pix_fmt', 'gray'] }),
    ];
    for (const f of playlist) expect(probe(f).pix_fmt).toBe('gray');
    const agent = await startAgent(camera(playlist, { file_pace: 'on_demand', loop: false }), { classifier: true });
    await waitFor(async () => (await cameraState(agent)) === 'ended', 'the playlist ended', 15_000);
    await waitFor(async () => (await metric(agent, 'classifier_frames_processed_total')) === 40, 'all 40 grey frames analysed', 5000);
    expect(await metric(agent, 'objects_detected_total', { label: 'person' })).toBeGreaterThan(40);
    expect(await metric(agent, 'frames_dropped_total', { reason: 'inference_error' })).toBe(0);
    await expectServing(agent);
    await stopCleanly(agent);
  }, 30_000);
});

// ---------------------------------------------------------------- 6. wrong models

interface ExitResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The agent got as far as serving HTTP: it accepted the model. */
  readonly served: boolean;
  /** With `served`, the first per-frame error it then logged. */
  readonly frameError?: string;
  readonly ms: number;
}

/** Runs `vigil run` on a config that must fail at start; one that starts anyway is stopped after its first per-frame error (or 6 s). */
function runExpectingExit(yaml: string, deadlineMs: number): Promise<ExitResult> {
  const file = join(mkdtempSync(join(dir, 'cfg-')), 'agent.yaml');
  writeFileSync(file, yaml);
  const started = Date.now();
  const child = spawn(process.execPath, [AGENT_MAIN, 'run', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let served = false;
  let frameError: string | undefined;
  const kill = (): void => {
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  };
  const deadline = setTimeout(kill, deadlineMs);
  let grace: NodeJS.Timeout | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (!served && stdout.includes('"msg":"http server listening"')) {
      served = true;
      grace = setTimeout(kill, 6000);
    }
    if (served && frameError === undefined) {
      const line = stdout.split('\n').find((l) => l.includes('"msg":"frame not analysed"'));
      if (line) {
        frameError = (JSON.parse(line) as { err: string }).err;
        kill();
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      clearTimeout(deadline);
      if (grace) clearTimeout(grace);
      resolve({ code, stdout, stderr, served, frameError, ms: Date.now() - started });
    });
  });
}

function fatalLine(result: ExitResult): LogLine | undefined {
  return result.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine)
    .find((l) => l.level === 'fatal');
}

describe('models that are not what their key says', () => {
  const labels = model('coco80_labels.txt');
  const classifierLabels = model('classification_classes_ILSVRC2012.txt');
  const cameraYaml = `cameras:\n${camera(media('vtest.avi'))}`;
  const detectorYaml = (path: string): string => `detector:\n  model: ${path}\n  labels: ${labels}\n`;
  const config = (body: string): string => `log:\n  level: debug\nhttp:\n  host: 127.0.0.1\n  port: 0\ninference:\n  providers: [cpu]\n${body}${cameraYaml}`;

  const files = {
    garbage: (): string => {
      const file = join(dir, 'garbage.onnx');
      writeFileSync(file, randomBytes(100_000, 3));
      return file;
    },
    empty: (): string => {
      const file = join(dir, 'empty.onnx');
      writeFileSync(file, '');
      return file;
    },
    truncated: (): string => {
      const bytes = readFileSync(model('yolox_nano.onnx'));
      const file = join(dir, 'yolox-truncated.onnx');
      writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
      return file;
    },
  };

  const cases: { name: string; yaml: () => string; file: () => string; code: string }[] = [
    {
      name: 'a classifier (mobilenetv2, output [N,1000]) as detector.model',
      yaml: () => config(detectorYaml(model('mobilenetv2-12-int8.onnx'))),
      file: () => model('mobilenetv2-12-int8.onnx'),
      code: 'AGENT_ERR_MODEL_SHAPE',
    },
    {
      name: 'the detector (yolox, input [1,3,416,416]) as classifier.model',
      yaml: () => config(`${detectorYaml(model('yolox_nano.onnx'))}classifier:\n  model: ${model('yolox_nano.onnx')}\n  labels: ${classifierLabels}\n`),
      file: () => model('yolox_nano.onnx'),
      code: 'AGENT_ERR_MODEL_SHAPE',
    },
    {
      name: 'classifier.input_size 160 for a model fixed at 224',
      yaml: () =>
        config(`${detectorYaml(model('yolox_nano.onnx'))}classifier:\n  model: ${model('mobilenetv2-12-int8.onnx')}\n  labels: ${classifierLabels}\n  input_size: 160\n`),
      file: () => model('mobilenetv2-12-int8.onnx'),
      code: 'AGENT_ERR_MODEL_SHAPE',
    },
    { name: 'random bytes as detector.model', yaml: () => config(detectorYaml(join(dir, 'garbage.onnx'))), file: files.garbage, code: 'AGENT_ERR_MODEL_LOAD' },
    { name: 'an empty file as detector.model', yaml: () => config(detectorYaml(join(dir, 'empty.onnx'))), file: files.empty, code: 'AGENT_ERR_MODEL_LOAD' },
    { name: 'half of yolox_nano.onnx as detector.model', yaml: () => config(detectorYaml(join(dir, 'yolox-truncated.onnx'))), file: files.truncated, code: 'AGENT_ERR_MODEL_LOAD' },
    {
      name: 'random bytes as classifier.model',
      yaml: () => config(`${detectorYaml(model('yolox_nano.onnx'))}classifier:\n  model: ${join(dir, 'garbage.onnx')}\n  labels: ${classifierLabels}\n`),
      file: files.garbage,
      code: 'AGENT_ERR_MODEL_LOAD',
    },
  ];

  it.each(cases)('$name: exits 2 at start with $code naming the file', async ({ yaml, file, code }) => {
    const path = file();
    const result = await runExpectingExit(yaml(), 20_000);
    const summary = result.served
      ? `started and served HTTP, then failed per frame: ${result.frameError ?? '(no per-frame error within 6 s)'}`
      : `exited ${String(result.code)} after ${result.ms} ms`;
    expect(result.served, summary).toBe(false);
    expect(result.code, summary).toBe(2);
    expect(result.ms).toBeLessThan(15_000);
    const fatal = fatalLine(result);
    expect(fatal, result.stdout + result.stderr).toBeDefined();
    expect(fatal!.code).toBe(code);
    expect(fatal!.msg).toContain(path);
    expect(result.stderr).not.toMatch(CRASH_MARKERS);
  }, 30_000);
});

// ---------------------------------------------------------------- 7. config fuzz

type Key = string | number;
type Node = unknown;

interface Mutation {
  readonly op: string;
  readonly path: string;
  readonly value?: unknown;
}

interface FuzzCase {
  readonly label: string;
  readonly text: string;
  readonly mutations: readonly Mutation[];
  /** The mutated tree (tree mutations only). */
  readonly doc?: Record<string, unknown>;
}

interface FuzzOutcome extends FuzzCase {
  readonly valid: boolean;
  readonly ms: number;
  readonly problem?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function allPaths(node: Node, path: Key[] = [], out: Key[][] = []): Key[][] {
  const children: [Key, unknown][] = Array.isArray(node) ? node.map((v, i) => [i, v]) : isObject(node) ? Object.entries(node) : [];
  for (const [key, child] of children) {
    out.push([...path, key]);
    allPaths(child, [...path, key], out);
  }
  return out;
}

function objectPaths(node: Node, path: Key[] = [], out: Key[][] = []): Key[][] {
  if (isObject(node)) out.push(path);
  if (Array.isArray(node)) node.forEach((v, i) => objectPaths(v, [...path, i], out));
  else if (isObject(node)) for (const [k, v] of Object.entries(node)) objectPaths(v, [...path, k], out);
  return out;
}

function at(node: Node, path: readonly Key[]): Node {
  return path.reduce<Node>((n, k) => (n as Record<Key, unknown>)[k], node);
}

function setAt(root: Node, path: readonly Key[], value: unknown): void {
  (at(root, path.slice(0, -1)) as Record<Key, unknown>)[path[path.length - 1]!] = value;
}

function deleteAt(root: Node, path: readonly Key[]): void {
  const parent = at(root, path.slice(0, -1));
  const key = path[path.length - 1]!;
  if (Array.isArray(parent)) parent.splice(key as number, 1);
  else delete (parent as Record<string, unknown>)[key];
}

const WRONG_TYPES: readonly unknown[] = ['text', 42, 3.5, true, false, null, [], {}, ['a', 1], { nested: { x: 1 } }];
const NEGATIVE: readonly number[] = [-1, -0.001, -1e9, -65536];
const HUGE: readonly number[] = [1e308, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, 1e21, Infinity, 4294967296];
const BOUNDARY: readonly number[] = [0, 1, 0.001, 1e-9, 2, 8, 64, 256, 1000, 65535];
const STRINGS: readonly string[] = [
  '',
  ' ',
  'x'.repeat(100_000),
  '摄像头-😀-\u202e-ü-\u0301',
  '\u0000',
  '../../../etc/passwd',
  'rtsp://',
  'a ! b',
  'true',
  '007',
  '.inf',
  '-',
];
const ENV_REFS: readonly string[] = [
  '${UNSET_VAR}',
  'prefix-${UNSET_VAR}-suffix',
  '${UNSET_VAR:-}',
  '${UNSET_VAR:-7}',
  '${UNSET_VAR:-true}',
  '${credential:nope}',
  '${}',
  '${',
  '$${UNSET_VAR}',
  '${UNSET_VAR:-${UNSET_VAR}}',
  '${VIGIL_MODELS}',
];
const UNKNOWN_KEYS: readonly string[] = ['bogus', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '', ' ', '😀', 'a.b', '0', 'x'.repeat(5000)];
const SNIPPETS: readonly string[] = ['\t', ':', ': :', '{', '[', '"', "'", '&a ', '*a', '!!binary ', '!!js/function ', '<<: *nope\n', '? ', '- ', '#', '%YAML 1.1\n', '---\n', '...\n', '\u0000', '\ufeff', '|\n', '>-\n'];

function nested(depth: number, arrays: boolean): unknown {
  let value: unknown = 'deep';
  for (let i = 0; i < depth; i++) value = arrays ? [value] : { a: value };
  return value;
}

/** One tree mutation, chosen by `random`, applied in place. */
function mutateTree(doc: Record<string, unknown>, random: () => number): Mutation {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const clone = <T>(v: T): T => (v !== null && typeof v === 'object' ? structuredClone(v) : v);
  const paths = allPaths(doc);
  const path = pick(paths);
  const where = path.join('.');
  const set = (op: string, value: unknown): Mutation => {
    setAt(doc, path, value);
    return { op, path: where, value: typeof value === 'string' && value.length > 40 ? `${value.slice(0, 20)}…(${value.length})` : value };
  };
  const op = pick(['delete', 'wrong_type', 'negative', 'huge', 'boundary', 'string', 'env_ref', 'unknown_key', 'deep_nesting', 'shared_alias'] as const);
  switch (op) {
    case 'delete':
      deleteAt(doc, path);
      return { op, path: where };
    case 'wrong_type':
      return set(op, clone(pick(WRONG_TYPES)));
    case 'negative':
      return set(op, pick(NEGATIVE));
    case 'huge':
      return set(op, pick(HUGE));
    case 'boundary':
      return set(op, pick(BOUNDARY));
    case 'string':
      return set(op, pick(STRINGS));
    case 'env_ref':
      return set(op, pick(ENV_REFS));
    case 'unknown_key': {
      const target = pick(objectPaths(doc));
      const key = pick(UNKNOWN_KEYS);
      const value = clone(pick([...WRONG_TYPES, ...STRINGS.slice(0, 4)]));
      // defineProperty: a plain `obj["__proto__"] = v` would set the prototype, not add a key.
      Object.defineProperty(at(doc, target), key, { value, enumerable: true, writable: true, configurable: true });
      return { op, path: [...target, key.length > 40 ? `${key.slice(0, 10)}…` : key].join('.') };
    }
    case 'deep_nesting': {
      const depth = 10 + Math.floor(random() * 200);
      return { ...set(op, nested(depth, random() < 0.5)), value: `depth ${depth}` };
    }
    case 'shared_alias': {
      // Point this key at another subtree (YAML writes an anchor and an alias); never at its own ancestor, which would be circular.
      const source = pick(paths.filter((p) => !p.every((k, i) => path[i] === k)));
      if (!source) return { op: 'noop', path: where };
      setAt(doc, path, at(doc, source));
      return { op, path: where, value: `*${source.join('.')}` };
    }
  }
}

/** One text mutation of the example file's own text. */
function mutateText(text: string, random: () => number): { text: string; mutation: Mutation } {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const lines = text.split('\n');
  const line = Math.floor(random() * lines.length);
  const offset = Math.floor(random() * text.length);
  const op = pick(['truncate', 'insert', 'delete_line', 'duplicate_line', 'indent', 'replace_char'] as const);
  switch (op) {
    case 'truncate':
      return { text: text.slice(0, offset), mutation: { op, path: `offset ${offset}` } };
    case 'insert': {
      const snippet = pick(SNIPPETS);
      return { text: text.slice(0, offset) + snippet + text.slice(offset), mutation: { op, path: `offset ${offset}`, value: snippet } };
    }
    case 'delete_line':
      return { text: lines.filter((_, i) => i !== line).join('\n'), mutation: { op, path: `line ${line + 1}` } };
    case 'duplicate_line':
      return { text: [...lines.slice(0, line + 1), lines[line]!, ...lines.slice(line + 1)].join('\n'), mutation: { op, path: `line ${line + 1}` } };
    case 'indent':
      return { text: lines.map((l, i) => (i === line ? ` ${l}` : l)).join('\n'), mutation: { op, path: `line ${line + 1}` } };
    case 'replace_char': {
      const char = pick(['\t', ':', '"', '{', ']', '#', '\u0000', 'é']);
      return { text: text.slice(0, offset) + char + text.slice(offset + 1), mutation: { op, path: `offset ${offset}`, value: char } };
    }
  }
}

const FUZZ_ENV: NodeJS.ProcessEnv = { VIGIL_MODELS: MODELS };

/** The case added a key named "" at the top level: its issue has the path "" (see the dedicated test below). */
function emptyKeyAdded(c: FuzzCase): boolean {
  return c.mutations.some((m) => m.op === 'unknown_key' && m.path === '');
}

/** Runs parseConfig on one case: a config, or a ConfigError whose every issue has a path and a message; anything else (or > 1 s) is a problem. */
function checkParse(c: FuzzCase): FuzzOutcome {
  let rootIsObject = true;
  try {
    rootIsObject = isObject(parseYaml(c.text) ?? {});
  } catch {
    // Not YAML: the error's path is the line.
  }
  const started = performance.now();
  let valid = false;
  let problem: string | undefined;
  try {
    parseConfig(c.text, EXAMPLE, FUZZ_ENV);
    valid = true;
  } catch (err) {
    if (!(err instanceof ConfigError)) {
      problem = `threw ${err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err)} instead of a ConfigError`;
    } else if (err.issues.length === 0) {
      problem = 'ConfigError without issues';
    } else {
      // An empty path is printed as <root>: right for a document that is not a map at all.
      const bad = err.issues.filter(
        (i) => typeof i.path !== 'string' || (i.path === '' && rootIsObject && !emptyKeyAdded(c)) || typeof i.message !== 'string' || i.message.trim() === '',
      );
      if (bad.length > 0) problem = `issues without a path or message: ${JSON.stringify(bad).slice(0, 300)}`;
    }
  }
  const ms = performance.now() - started;
  if (ms > 1000) problem = `${problem ? `${problem}; ` : ''}took ${ms.toFixed(0)} ms`;
  return { ...c, valid, ms, ...(problem ? { problem } : {}) };
}

function fuzzCases(seed: number, treeCases: number, stressCases: number, textCases: number): FuzzCase[] {
  const random = seededRandom(seed);
  const exampleText = readFileSync(EXAMPLE, 'utf8');
  const example = parseYaml(exampleText) as Record<string, unknown>;
  const cases: FuzzCase[] = [];
  for (let i = 0; i < treeCases; i++) {
    const doc = structuredClone(example);
    const count = 1 + Math.floor(random() * 3);
    const mutations = Array.from({ length: count }, () => mutateTree(doc, random));
    cases.push({ label: `tree#${i}`, text: stringifyYaml(doc), mutations, doc });
  }
  // Aimed at the keys that load the pipeline, with extreme numbers: most parse, and the valid ones are run below.
  for (let i = 0; i < stressCases; i++) {
    const doc = structuredClone(example);
    const key = STRESS_KEYS[Math.floor(random() * STRESS_KEYS.length)]!;
    const values = [...BOUNDARY, ...HUGE, ...NEGATIVE, 0.01, 0.1, 0.5];
    const value = values[Math.floor(random() * values.length)]!;
    setAt(doc, key.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k)), value);
    cases.push({ label: `stress#${i}`, text: stringifyYaml(doc), mutations: [{ op: 'stress', path: key, value }], doc });
  }
  for (let i = 0; i < textCases; i++) {
    const { text, mutation } = mutateText(exampleText, random);
    cases.push({ label: `text#${i}`, text, mutations: [mutation] });
  }
  return cases;
}

/** Keys whose valid-but-extreme values stress the running pipeline (the rest of a run config is overwritten for the test). */
const STRESS_KEYS = [
  'cameras.0.queue_capacity',
  'cameras.0.fps_cap',
  'cameras.0.stall_timeout_seconds',
  'cameras.0.file_pace',
  'inference.pipeline_depth',
  'inference.workers',
  'inference.intra_op_threads',
  'inference.inter_op_threads',
  'inference.stuck_timeout_seconds',
  'detector.score_threshold',
  'detector.nms_iou_threshold',
  'detector.max_detections',
  'classifier.max_objects_per_frame',
  'classifier.min_box_pixels',
  'classifier.crop_margin',
  'classifier.input_size',
  'health.inference_stall_seconds',
  'preview.fps',
  'cameras.0.reconnect.initial_seconds',
];

/**
 * Valid fuzzed configs that set one stress key to an extreme, at most one per
 * key: the tiniest values first (≤ 0.01, then ≤ 1), then huge ones, each
 * group in the fuzzer's order.
 */
function stressfulValid(outcomes: readonly FuzzOutcome[], count: number): FuzzOutcome[] {
  const rank = (v: unknown): number => (typeof v !== 'number' ? 4 : v <= 0.01 ? 0 : v <= 1 ? 1 : v >= 1e6 ? 2 : 3);
  const candidates = outcomes.filter((o) => {
    const m = o.mutations.filter((x) => x.op !== 'noop');
    return o.valid && o.doc && m.length === 1 && ['stress', 'boundary', 'huge', 'negative'].includes(m[0]!.op) && STRESS_KEYS.includes(m[0]!.path);
  });
  const sorted = [...candidates].sort((a, b) => rank(a.mutations[0]!.value) - rank(b.mutations[0]!.value));
  const chosen = new Map<string, FuzzOutcome>();
  for (const o of sorted) if (chosen.size < count && !chosen.has(o.mutations[0]!.path)) chosen.set(o.mutations[0]!.path, o);
  return [...chosen.values()];
}

/** The fuzzed tree made runnable here: loopback port 0, CPU, no MQTT, the first camera on vtest.avi; the mutated key kept. */
function runnableYaml(doc: Record<string, unknown>): string {
  const d = structuredClone(doc);
  d.log = { level: 'debug' };
  d.http = { host: '127.0.0.1', port: 0 };
  delete d.mqtt;
  d.inference = { ...(d.inference as Record<string, unknown>), providers: ['cpu'] };
  const cameras = d.cameras as Record<string, unknown>[];
  cameras[0] = { ...cameras[0], name: CAM, url: media('vtest.avi') };
  return stringifyYaml(d);
}

describe('config fuzz (parseConfig, seeded)', () => {
  let outcomes: FuzzOutcome[] = [];

  it('500 seeded mutations of the example config: each one valid, or a ConfigError naming a path; never another exception, never > 1 s', () => {
    expect(parseConfig(readFileSync(EXAMPLE, 'utf8'), EXAMPLE, FUZZ_ENV).cameras).toHaveLength(1);
    outcomes = fuzzCases(42, 300, 100, 100).map(checkParse);
    const valid = outcomes.filter((o) => o.valid).length;
    const slowest = outcomes.reduce((a, b) => (b.ms > a.ms ? b : a));
    console.log(
      `config fuzz (seed 42): ${outcomes.length} mutated configs, ${valid} valid, ${outcomes.length - valid} rejected with a ConfigError or a problem; ` +
        `slowest ${slowest.ms.toFixed(1)} ms (${slowest.label})`,
    );
    const problems = outcomes.filter((o) => o.problem).map((o) => `${o.label} ${JSON.stringify(o.mutations)}: ${o.problem}`);
    expect(problems).toEqual([]);
    // Both outcomes occur, or the fuzzer tests nothing.
    expect(valid).toBeGreaterThan(10);
    expect(outcomes.length - valid).toBeGreaterThan(100);
  });

  it.each([
    ['a self-referencing anchor (a: &x [*x])', 'loop: &x [*x]\n'],
    ['a self-referencing map (a: &m {b: *m})', 'loop: &m {b: *m}\n'],
    ['an alias bomb', 'a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n'],
    ['5000 nested flow sequences', `deep: ${'['.repeat(5000)}${']'.repeat(5000)}\n`],
    ['a second document', '---\nb: 2\n'],
    ['a merge key to a missing anchor', 'x:\n  <<: *nope\n'],
  ])('a hostile YAML document, %s, appended to the example: a ConfigError, not a crash', (name, tail) => {
    const text = `${readFileSync(EXAMPLE, 'utf8')}\n${tail}`;
    const outcome = checkParse({ label: name, text, mutations: [] });
    expect(outcome.problem).toBeUndefined();
    expect(outcome.valid).toBe(false);
  });

  it('a self-referencing YAML anchor: `vigil --validate-config` exits 2 naming the key (not 1 with a bare stack overflow)', async () => {
    const file = join(dir, 'self-alias.yaml');
    writeFileSync(file, `${readFileSync(EXAMPLE, 'utf8')}\nloop: &x [*x]\n`);
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [AGENT_MAIN, '--validate-config', file], { env: { ...process.env, ...FUZZ_ENV }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.once('exit', (code) => resolve({ code, stderr }));
    });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('loop');
  }, 30_000);

  it('an unknown key named "" is reported by its name, not as an issue of the whole document (<root>)', () => {
    const text = `${readFileSync(EXAMPLE, 'utf8')}\n"": 1\n`;
    let issues: readonly { path: string; message: string }[] = [];
    try {
      parseConfig(text, EXAMPLE, FUZZ_ENV);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      issues = (err as ConfigError).issues;
    }
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toBe('unknown key');
    expect.soft(formatIssue(issues[0]!), 'an empty key printed as "<root>: unknown key" reads as if the whole file were wrong').not.toMatch(/^<root>/);
  });

  it('inference.stuck_timeout_seconds: 0.001 is rejected by validation, or the agent survives it (does not exit 1 within 15 s)', async () => {
    const doc = parseYaml(readFileSync(EXAMPLE, 'utf8')) as Record<string, unknown>;
    setAt(doc, ['inference', 'stuck_timeout_seconds'], 0.001);
    const outcome = checkParse({ label: 'stuck_timeout_seconds 0.001', text: stringifyYaml(doc), mutations: [] });
    expect(outcome.problem).toBeUndefined();
    if (!outcome.valid) return;
    const agent = await AgentProcess.start(runnableYaml(doc), FUZZ_ENV);
    running.add(agent);
    const until = Date.now() + 15_000;
    await waitFor(() => agent.logs.some((l) => l.level === 'fatal') || Date.now() > until, 'a fatal line or 15 s', 20_000, 250);
    const fatal = agent.logs.find((l) => l.level === 'fatal');
    const lost = agent.logs.filter((l) => l.msg === 'inference worker lost; replacing it').length;
    // Finding if this fails: the schema accepts any positive value, every run then counts as stuck,
    // the workers are replaced 5 times and the agent exits 1 (systemd restarts it, again and again).
    expect(fatal, `--validate-config says valid, then ${lost} workers replaced as stuck and: ${fatal?.msg ?? ''}`).toBeUndefined();
  }, 30_000);

  it('the real agent starts and stays healthy on 5 stressful configs the fuzzer found valid', async () => {
    if (outcomes.length === 0) outcomes = fuzzCases(42, 300, 100, 100).map(checkParse);
    const chosen = stressfulValid(outcomes, 5);
    console.log(`stress configs: ${chosen.map((o) => `${o.label} ${JSON.stringify(o.mutations)}`).join('; ')}`);
    expect(chosen.length).toBeGreaterThanOrEqual(3);
    const failures: string[] = [];
    for (const o of chosen) {
      const what = `${o.label} ${JSON.stringify(o.mutations)}`;
      let agent: AgentProcess | undefined;
      try {
        agent = await AgentProcess.start(runnableYaml(o.doc!), FUZZ_ENV);
        running.add(agent);
        const a = agent;
        await waitFor(async () => (await metric(a, 'frames_sent_total')) + (await metric(a, 'frames_dropped_total', { reason: 'fps_cap' })) > 0, 'frames captured', 10_000);
        // Stays up and answers for 3 s (polled, not slept through).
        const until = Date.now() + 3000;
        await waitFor(
          async () => {
            const res = await fetch(`http://127.0.0.1:${a.port}/healthz`);
            if (res.status !== 200) throw new Error(`/healthz ${res.status}`);
            return Date.now() > until;
          },
          'healthy for 3 s',
          6000,
          250,
        );
        const processed = await metric(a, 'classifier_frames_processed_total');
        const inferenceErrors = await metric(a, 'frames_dropped_total', { reason: 'inference_error' });
        console.log(`${what}: ${processed} frames analysed, ${inferenceErrors} inference errors`);
        running.delete(a);
        const code = await a.stop();
        if (code !== 0) failures.push(`${what}: exit ${String(code)}`);
        const crashes = a.logs.filter((l) => l.level === 'fatal' || l.code === 'AGENT_ERR_WORKER_CRASHED');
        if (crashes.length > 0 || CRASH_MARKERS.test(a.stderr)) failures.push(`${what}: ${JSON.stringify(crashes)} ${a.stderr.slice(-500)}`);
      } catch (err) {
        const fatal = agent?.logs.find((l) => l.level === 'fatal');
        failures.push(`${what}: ${err instanceof Error ? err.message : String(err)}${fatal ? ` (fatal: ${fatal.msg})` : ''}`);
      }
    }
    expect(failures).toEqual([]);
  }, 100_000);
});
