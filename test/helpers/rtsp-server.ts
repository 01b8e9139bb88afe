import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { media, REPO_ROOT } from './testdata.js';
import { freePort, PortTakenError, startOnFreePorts } from './ports.js';
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

/**
 * Debian's gst-rtsp-server through python3-gi (test/helpers/rtsp_server.py).
 * The first start takes a free port (test/helpers/ports.ts; another one if it
 * was taken meanwhile); each later start, after a kill, the same port, so the
 * agent's camera URL stays valid.
 */
export class RtspServer {
  private child: ChildProcess | null = null;
  private boundPort: number | undefined;
  /** Date.now() when the last start's server said READY (listening), taken as its output arrived: recovery times count from here. */
  readyAt = 0;

  constructor(private readonly file: string) {}

  get port(): number {
    if (this.boundPort === undefined) throw new Error('the rtsp server has no port before its first start()');
    return this.boundPort;
  }

  get url(): string {
    return `rtsp://127.0.0.1:${this.port}/cam`;
  }

  async start(): Promise<void> {
    if (this.boundPort !== undefined) return this.launch(this.boundPort);
    await startOnFreePorts(async () => {
      const port = await freePort();
      await this.launch(port);
      this.boundPort = port;
    });
  }

  private async launch(port: number): Promise<void> {
    const child = spawn('/usr/bin/python3', [join(REPO_ROOT, 'test/helpers/rtsp_server.py'), '--port', String(port), '--file', this.file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const startedAt = Date.now();
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('READY') && this.child === child && this.readyAt < startedAt) this.readyAt = Date.now();
    });
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    await waitFor(() => out.includes('READY') || child.exitCode !== null, 'rtsp server start', 15_000);
    if (out.includes('READY')) return;
    const message = `rtsp server failed on port ${port}: ${out}`;
    throw out.includes('cannot listen') ? new PortTakenError(message) : new Error(message);
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
