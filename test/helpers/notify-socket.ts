import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './testdata.js';
import { waitFor } from './wait.js';

export interface Notification {
  /** Epoch ms when it arrived. */
  readonly t: number;
  readonly msg: string;
}

/**
 * A fake systemd notify socket (a unix datagram socket bound by a small
 * Python helper, since Node cannot bind one): pass `env` to the agent and
 * read what it sent.
 */
export class NotifySocket {
  readonly received: Notification[] = [];
  private constructor(
    private readonly dir: string,
    readonly path: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(): Promise<NotifySocket> {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-notify-'));
    const path = join(dir, 'notify.sock');
    const child = spawn('/usr/bin/python3', [join(REPO_ROOT, 'test/helpers/notify_receiver.py'), path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const socket = new NotifySocket(dir, path, child);
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) socket.received.push(JSON.parse(line) as Notification);
    });
    await waitFor(() => socket.received.some((n) => n.msg === 'LISTENING'), 'the notify socket bound', 10_000);
    return socket;
  }

  /** Messages containing the assignment `key=...` (e.g. READY, WATCHDOG), with their value. */
  withKey(key: string): { t: number; value: string; msg: string }[] {
    return this.received.flatMap((n) =>
      n.msg
        .split('\n')
        .filter((line) => line.startsWith(`${key}=`))
        .map((line) => ({ t: n.t, value: line.slice(key.length + 1), msg: n.msg })),
    );
  }

  env(watchdogUsec?: number): NodeJS.ProcessEnv {
    return { NOTIFY_SOCKET: this.path, ...(watchdogUsec ? { WATCHDOG_USEC: String(watchdogUsec) } : {}) };
  }

  stop(): void {
    this.child.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
