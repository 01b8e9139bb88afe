import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseMetrics, sampleValue, type Sample } from '../helpers/metrics-text.js';
import { freePort } from '../helpers/ports.js';
import { AGENT_MAIN, media, model } from '../helpers/testdata.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Issue 17, clean logs: the real agent with an unreachable RTSP camera
 * (connection refused: FFmpeg's tcp error on stderr) and a file camera, run
 * as under systemd (stdout and stderr pipes, no terminal). Every line it
 * writes on either must be JSON; FFmpeg's message is a record with component
 * ffmpeg, or held back by log.native_level. Also issue 17's providers: the
 * default (`auto`) on this CPU-only install tries cpu alone.
 */

interface Record_ {
  readonly level: string;
  readonly msg: string;
  readonly component?: string;
  readonly [key: string]: unknown;
}

interface Run {
  readonly stdout: string;
  readonly stderr: string;
  readonly records: Record_[];
  readonly metrics: Sample[];
  readonly exitCode: number | null;
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

/** Starts the agent, waits for `until` over its records (and the file camera's frames), reads /metrics, stops it. */
async function runAgent(logSection: string, inference: string, deadPort: number, until: (records: Record_[]) => boolean): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-clean-logs-'));
  const file = join(dir, 'agent.yaml');
  writeFileSync(
    file,
    [
      `log:\n  level: info\n${logSection}`,
      'http:\n  host: 127.0.0.1\n  port: 0',
      inference,
      `detector:\n  model: ${model('yolox_nano.onnx')}\n  labels: ${model('coco80_labels.txt')}`,
      'cameras:',
      // http, not rtsp: an rtsp:// camera is opened only after its server answers RTSP OPTIONS (issue 16), so FFmpeg would never try.
      `  - name: dead\n    url: http://127.0.0.1:${deadPort}/nothing`,
      `  - name: file\n    url: ${media('vtest.avi')}`,
    ].join('\n'),
  );
  // As under systemd: pipes, no terminal, and no log settings from the environment.
  const env = { ...process.env };
  for (const key of ['OPENCV_LOG_LEVEL', 'OPENCV_FFMPEG_LOGLEVEL', 'GST_DEBUG', 'GST_DEBUG_NO_COLOR']) delete env[key];
  const child = spawn(process.execPath, [AGENT_MAIN, 'run', '--config', file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const parsed = (): Record_[] => lines(stdout).flatMap((l) => {
    try {
      return [JSON.parse(l) as Record_];
    } catch {
      return [];
    }
  });
  try {
    const start = await waitFor(() => parsed().find((r) => r.msg.startsWith('ready:')), 'the start line', 60_000);
    let metrics: Sample[] = [];
    await waitFor(
      async () => {
        metrics = parseMetrics(await (await fetch(start.metrics as string)).text());
        return (sampleValue(metrics, 'frames_sent_total', { camera: 'file' }) ?? 0) > 0 && until(parsed());
      },
      'the file camera’s frames and the condition',
      30_000,
      250,
    );
    child.kill('SIGTERM');
    const exitCode = await exited;
    return { stdout, stderr, records: parsed(), metrics, exitCode };
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

const openFailures = (records: Record_[]): Record_[] => records.filter((r) => r.code === 'AGENT_ERR_RTSP_OPEN' && r.camera === 'dead');
const ffmpegRecords = (records: Record_[]): Record_[] => records.filter((r) => r.component === 'ffmpeg');

describe('clean logs: the default native_level (warn) and providers (auto)', () => {
  let run: Run;
  let deadPort: number;
  beforeAll(async () => {
    deadPort = await freePort();
    run = await runAgent('', '', deadPort, (records) => ffmpegRecords(records).length > 0 && openFailures(records).length > 0);
  }, 120_000);

  it('writes nothing but JSON lines, on stdout and on stderr', () => {
    expect(lines(run.stdout).length).toBeGreaterThan(5);
    for (const line of [...lines(run.stdout), ...lines(run.stderr)]) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
    expect(run.exitCode).toBe(0);
  });

  it("brings FFmpeg's connection error in as a record with component ffmpeg", () => {
    const [ffmpeg] = ffmpegRecords(run.records);
    expect(ffmpeg).toMatchObject({ level: 'error', source: 'tcp' });
    expect(ffmpeg!.msg).toBe(`Connection to tcp://127.0.0.1:${deadPort} failed: Connection refused`);
    expect(run.stdout).not.toMatch(/\[tcp @ 0x/);
  });

  it('says at start where to look: the preview and /metrics (which answers)', () => {
    const start = run.records.filter((r) => r.msg.startsWith('ready:'));
    expect(start).toHaveLength(1);
    expect(start[0]!.metrics).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(start[0]!.preview).toBe(String(start[0]!.metrics).replace(/metrics$/, ''));
    expect(start[0]!.msg).toContain(String(start[0]!.metrics));
    expect(start[0]).not.toHaveProperty('mqtt_topics');
    expect(run.metrics.length).toBeGreaterThan(0);
  });

  it('tries cpu alone with the default providers: no TensorRT or CUDA warning, vigil_info says cpu', () => {
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/tensorrt|cuda|Failed to load shared library/i);
    expect(run.records.filter((r) => r.code === 'AGENT_ERR_PROVIDER_UNAVAILABLE')).toEqual([]);
    const info = run.metrics.find((s) => s.name === 'vigil_info');
    expect(info?.labels.detector_provider).toBe('cpu');
  });
});

describe('clean logs: native_level silent, and an explicit provider list', () => {
  let run: Run;
  beforeAll(async () => {
    const deadPort = await freePort();
    // After a failed open FFmpeg has printed its error; the exit drains the pipe, so a record not held back would show.
    run = await runAgent('  native_level: silent', 'inference:\n  providers: [tensorrt, cuda, cpu]', deadPort, (records) => openFailures(records).length >= 1);
  }, 120_000);

  it('holds FFmpeg back, and still writes nothing but JSON', () => {
    expect(openFailures(run.records).length).toBeGreaterThanOrEqual(1);
    expect(ffmpegRecords(run.records)).toEqual([]);
    expect(run.records.filter((r) => ['ffmpeg', 'gstreamer', 'glib', 'opencv'].includes(r.component ?? ''))).toEqual([]);
    for (const line of [...lines(run.stdout), ...lines(run.stderr)]) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
  });

  it('warns once for each listed provider this install lacks (as before), then runs on cpu', () => {
    const unavailable = run.records.filter((r) => r.code === 'AGENT_ERR_PROVIDER_UNAVAILABLE');
    expect(unavailable.map((r) => r.msg.match(/falling back: (\w+)/)?.[1])).toEqual(['tensorrt', 'cuda']);
    expect(run.metrics.find((s) => s.name === 'vigil_info')?.labels.detector_provider).toBe('cpu');
  });
});

describe('clean logs: a crash stays visible', () => {
  // What a native crash leaves: text on fd 2 (still in the pipe, no JS runs any more), then abort().
  const script = `
    import { startNativeLogCapture } from ${JSON.stringify(new URL('../../dist/agent/util/stderr-capture.js', import.meta.url).href)};
    import { createLogger } from ${JSON.stringify(new URL('../../dist/agent/log.js', import.meta.url).href)};
    startNativeLogCapture('warn').attach(createLogger('info'));
    process.stderr.write('[tcp @ 0x1] Connection refused\\n');
    setTimeout(() => { process.stderr.write('terminate called after throwing an instance of std::bad_alloc\\n'); process.abort(); }, 200);
  `;

  it('writes the last words raw on the original stderr, after the JSON it had read', async () => {
    // In a temporary folder: where core dumps are on, abort() leaves one in the working directory.
    const cwd = mkdtempSync(join(tmpdir(), 'vigil-crash-'));
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, sig) => resolve(sig)));
    expect(signal).toBe('SIGABRT');
    expect(lines(stdout).map((l) => (JSON.parse(l) as Record_).component)).toEqual(['ffmpeg']);
    expect(stderr).toContain('terminate called after throwing an instance of std::bad_alloc');
    rmSync(cwd, { recursive: true, force: true });
  }, 20_000);
});
