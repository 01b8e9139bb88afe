import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait.js';

const PROMETHEUS = '/usr/bin/prometheus';
const READY_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5000;
/** The web server's line once bound (Prometheus 2.x logfmt): `msg="Listening on" address=127.0.0.1:PORT`. */
const LISTENING = /msg="Listening on" address=127\.0\.0\.1:(\d+)/;

/** The body of a Prometheus HTTP API reply (`/api/v1/…`). */
export interface ApiResponse<T> {
  status: 'success' | 'error';
  data: T;
  errorType?: string;
  error?: string;
  warnings?: string[];
}

/** One element of an instant vector: labels (`__name__` included) and [unix seconds, "value"]. */
export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface QueryResult {
  resultType: 'vector' | 'matrix' | 'scalar' | 'string';
  result: VectorSample[];
}

export interface RuleGroup {
  name: string;
  file: string;
  rules: { name: string; type: 'alerting' | 'recording'; health: string; lastError?: string; lastEvaluation: string; query: string }[];
}

export interface PrometheusOptions {
  /** Agent mode (`--enable-feature=agent`): scrape and remote_write only, its WAL in `<dir>/data-agent`; no queries, no rules. */
  agent?: boolean;
  /** More flags, e.g. `--web.enable-remote-write-receiver`. */
  args?: string[];
  /** This folder instead of a new temp one: a restart on the same storage (see `stop({ keepDir: true })`). */
  dir?: string;
  /** This port instead of one the kernel picks: a restart on the same address. */
  port?: number;
}

/**
 * A detached `sh` that SIGKILLs `pid` and removes `dir` once its stdin, a pipe
 * from this process, reaches EOF: when this process dies however it dies, so a
 * Prometheus a failed test left behind does not outlive the run (the same
 * guard as test/helpers/mosquitto.ts). Killed when Prometheus exits.
 */
function orphanGuard(pid: number, dir: string): ChildProcess {
  const guard = spawn('/bin/sh', ['-c', 'read -r _; kill -9 "$0" 2>/dev/null; rm -rf "$1"', String(pid), dir], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  guard.on('error', () => {});
  guard.stdin!.on('error', () => {});
  return guard;
}

/**
 * A real Prometheus server (Debian's /usr/bin/prometheus) with the given
 * config, its TSDB in a temp folder, listening on 127.0.0.1 on a port the
 * kernel gave it (it binds port 0 and logs the port; no other process can
 * take it between choosing and binding). Relative paths in the config
 * resolve against the temp folder, so pass absolute rule_files. Its log is
 * kept for failure messages.
 */
export class PrometheusServer {
  private output = '';
  private removed = false;
  /** Set once Prometheus logged where it listens. */
  private boundPort = 0;

  private constructor(
    readonly dir: string,
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
  ) {
    child.stdout!.on('data', (c: Buffer) => (this.output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (this.output += c.toString()));
  }

  /** Writes `configYaml`, starts Prometheus and resolves once `/-/ready` answers 200. */
  static async start(configYaml: string, options: PrometheusOptions = {}): Promise<PrometheusServer> {
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'vigil-prometheus-'));
    let server: PrometheusServer | undefined;
    try {
      const configFile = join(dir, 'prometheus.yml');
      writeFileSync(configFile, configYaml);
      // Agent mode refuses the server's storage flags, and the reverse.
      const storage = options.agent ? ['--enable-feature=agent', `--storage.agent.path=${join(dir, 'data-agent')}`] : [`--storage.tsdb.path=${join(dir, 'data')}`];
      const child = spawn(
        PROMETHEUS,
        [`--config.file=${configFile}`, ...storage, `--web.listen-address=127.0.0.1:${options.port ?? 0}`, '--log.level=info', ...(options.args ?? [])],
        { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
      );
      const exited = new Promise<void>((resolve) => {
        child.once('close', () => resolve());
        child.once('error', () => resolve());
      });
      const guard = child.pid !== undefined ? orphanGuard(child.pid, dir) : null;
      child.once('exit', () => guard?.kill('SIGKILL'));
      const s = new PrometheusServer(dir, child, exited);
      server = s;
      child.once('error', (err) => (s.output += `[spawn error: ${err.message}]\n`));
      const listening = await waitFor(() => !s.running || LISTENING.exec(s.output), 'prometheus to log its port', READY_TIMEOUT_MS, 50);
      if (listening !== true) s.boundPort = Number(listening[1]);
      await waitFor(async () => !s.running || (await fetch(`${s.url}/-/ready`)).ok, `prometheus ready on port ${s.port}`, READY_TIMEOUT_MS, 100);
      if (!s.running) throw new Error(`prometheus exited (code ${child.exitCode}) before it was ready`);
      return s;
    } catch (err) {
      const log = server?.log() ?? '';
      if (server) await server.stop();
      else rmSync(dir, { recursive: true, force: true });
      throw new Error(`${(err as Error).message}\n--- prometheus log ---\n${log}`, { cause: err });
    }
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** What Prometheus logged so far. */
  log(): string {
    return this.output;
  }

  /** GET `/api/v1/<path>` with query parameters; the reply as is, errors (HTTP 400 / 422 with status "error") included. */
  async api<T>(path: string, params: [string, string][] = []): Promise<ApiResponse<T>> {
    const query = new URLSearchParams(params).toString();
    const res = await fetch(`${this.url}/api/v1/${path}${query ? `?${query}` : ''}`);
    return (await res.json()) as ApiResponse<T>;
  }

  /** An instant query at the current time. */
  query(expr: string): Promise<ApiResponse<QueryResult>> {
    return this.api<QueryResult>('query', [['query', expr]]);
  }

  /** The instant vector of `expr`; throws with Prometheus' error otherwise. */
  async vector(expr: string): Promise<VectorSample[]> {
    const res = await this.query(expr);
    if (res.status !== 'success') throw new Error(`query ${expr}: ${res.errorType}: ${res.error}`);
    return res.data.result;
  }

  /** Values of `label` on the series matching the selectors (`/api/v1/label/<label>/values?match[]=…`). */
  async labelValues(label: string, ...match: string[]): Promise<string[]> {
    const res = await this.api<string[]>(`label/${encodeURIComponent(label)}/values`, match.map((m): [string, string] => ['match[]', m]));
    if (res.status !== 'success') throw new Error(`label values of ${label}: ${res.errorType}: ${res.error}`);
    return res.data;
  }

  async ruleGroups(): Promise<RuleGroup[]> {
    return (await this.api<{ groups: RuleGroup[] }>('rules')).data.groups;
  }

  /** SIGTERM (SIGKILL after 5 s), waits for the exit, removes the temp folder unless `keepDir` (to start again on it). */
  async stop(options: { keepDir?: boolean } = {}): Promise<void> {
    if (this.running) {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
      this.child.kill('SIGTERM');
      await this.exited;
      clearTimeout(timer);
    }
    if (!this.removed && !options.keepDir) {
      this.removed = true;
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
