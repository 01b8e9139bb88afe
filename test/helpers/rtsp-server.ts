import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { media, REPO_ROOT } from './testdata.js';
import { waitFor } from './wait.js';

/**
 * The first `seconds` of vtest.avi as H.264 MP4, made with ffmpeg and cached
 * in the temp folder across test files. Short, so the server's loop is
 * crossed within a test.
 */
export function h264TestFile(seconds = 4): string {
  const file = join(tmpdir(), `vigil-vtest-h264-${seconds}s.mp4`);
  if (!existsSync(file)) {
    const partial = `${file}.partial.mp4`;
    execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-i', media('vtest.avi'), '-t', String(seconds),
      '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-pix_fmt', 'yuv420p', '-an', partial]);
    execFileSync('mv', [partial, file]);
  }
  return file;
}

/** Debian's gst-rtsp-server through python3-gi (test/helpers/rtsp_server.py), on a port of the test's choosing. */
export class RtspServer {
  private child: ChildProcess | null = null;

  constructor(
    readonly port: number,
    private readonly file: string,
  ) {}

  get url(): string {
    return `rtsp://127.0.0.1:${this.port}/cam`;
  }

  async start(): Promise<void> {
    const child = spawn('/usr/bin/python3', [join(REPO_ROOT, 'test/helpers/rtsp_server.py'), '--port', String(this.port), '--file', this.file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    await waitFor(() => out.includes('READY') || child.exitCode !== null, 'rtsp server start', 15_000);
    if (!out.includes('READY')) throw new Error(`rtsp server failed: ${out}`);
  }

  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  }
}
