import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as mqttConnect, type IClientOptions, type MqttClient } from 'mqtt';
import { freePort, PortTakenError, startOnFreePorts } from './ports.js';
import { waitFor } from './wait.js';

const MOSQUITTO = '/usr/sbin/mosquitto';
const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd';
const OPENSSL = '/usr/bin/openssl';
const READY_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 3000;

export interface MosquittoOptions {
  /** Require this user/password (password_file via `mosquitto_passwd -b -c`), allow_anonymous false on all listeners. */
  auth?: { username: string; password: string };
  /** Also open a TLS listener; certificates generated with openssl in the temp dir: a CA, and a server cert signed by it with subjectAltName DNS:localhost,IP:127.0.0.1. */
  tls?: boolean;
  /** With `tls`: the TLS listener requires a client certificate signed by the test CA (`Mosquitto.clientCert` has one). */
  clientCertificates?: boolean;
  /** Also open a websockets listener (`protocol websockets`). */
  websockets?: boolean;
  /** persistence true, persistence_location <dir>/, autosave_interval 1: persistent subscriber sessions survive a kill + restart. */
  persistence?: boolean;
}

/**
 * A detached `sh` that SIGKILLs `pid` and removes `dir` once its stdin, a pipe
 * from this process, reaches EOF: when this process dies, however it dies
 * (vitest ends its forks with SIGTERM, which skips 'exit' handlers), so a
 * broker a test forgot to stop does not outlive the test run. The guard itself
 * is killed when the broker exits.
 */
function orphanGuard(pid: number, dir: string): ChildProcess {
  const guard = spawn('/bin/sh', ['-c', 'read -r _; kill -9 "$0" 2>/dev/null; rm -rf "$1"', String(pid), dir], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  guard.on('error', () => {});
  guard.stdin!.on('error', () => {});
  return guard;
}

/** Whether something accepts TCP connections on 127.0.0.1:port (connects and hangs up at once). */
function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A CA, a server certificate signed by it for localhost / 127.0.0.1, and a client certificate (client.crt, client.key), in `dir`. */
function makeCertificates(dir: string): { caFile: string; certFile: string; keyFile: string } {
  const file = (name: string): string => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const run = (args: string[]): void => {
    execFileSync(OPENSSL, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  run(['req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '2', '-subj', '/CN=vigil test CA']);
  run(['req', '-new', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=localhost']);
  writeFileSync(file('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  run(['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial',
    '-out', file('server.crt'), '-days', '2', '-extfile', file('server.ext')]);
  run(['req', '-new', ...ec, '-keyout', file('client.key'), '-out', file('client.csr'), '-subj', '/CN=vigil-test-client']);
  writeFileSync(file('client.ext'), 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  run(['x509', '-req', '-in', file('client.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial',
    '-out', file('client.crt'), '-days', '2', '-extfile', file('client.ext')]);
  return { caFile: file('ca.crt'), certFile: file('server.crt'), keyFile: file('server.key') };
}

/**
 * A real Mosquitto 2 broker (Debian's /usr/sbin/mosquitto) in its own temp
 * folder with its own generated config, on free ports on 127.0.0.1. It can be
 * killed, restarted on the same ports (with persistence, sessions survive),
 * frozen (SIGSTOP) and thawed. Its log (`log_type all`) is kept for failure
 * messages.
 */
export class Mosquitto {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private frozen = false;
  private output = '';
  private removed = false;

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly tlsPort: number | undefined,
    readonly wsPort: number | undefined,
    readonly caFile: string | undefined,
    private readonly confFile: string,
  ) {}

  /** Starts a broker on free ports; on ports another process took meanwhile, again on fresh ones. */
  static start(options: MosquittoOptions = {}): Promise<Mosquitto> {
    return startOnFreePorts(() => Mosquitto.startOnce(options));
  }

  private static async startOnce(options: MosquittoOptions): Promise<Mosquitto> {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-mosquitto-'));
    try {
      const port = await freePort();
      const tlsPort = options.tls ? await freePort() : undefined;
      const wsPort = options.websockets ? await freePort() : undefined;
      const lines = [
        '# generated by test/helpers/mosquitto.ts',
        'user root',
        'per_listener_settings false',
        `allow_anonymous ${options.auth ? 'false' : 'true'}`,
        // stderr: unbuffered, so log() is current (log_dest stdout is block-buffered into a pipe).
        'log_dest stderr',
        'log_type all',
        'log_timestamp true',
        'log_timestamp_format %H:%M:%S',
        'connection_messages true',
      ];
      if (options.auth) {
        const passwordFile = join(dir, 'passwd');
        execFileSync(MOSQUITTO_PASSWD, ['-b', '-c', passwordFile, options.auth.username, options.auth.password], { stdio: ['ignore', 'ignore', 'pipe'] });
        lines.push(`password_file ${passwordFile}`);
      }
      if (options.persistence) lines.push('persistence true', `persistence_location ${dir}/`, 'autosave_interval 1');
      lines.push(`listener ${port} 127.0.0.1`);
      let caFile: string | undefined;
      if (tlsPort !== undefined) {
        const certs = makeCertificates(dir);
        caFile = certs.caFile;
        lines.push(`listener ${tlsPort} 127.0.0.1`, `cafile ${certs.caFile}`, `certfile ${certs.certFile}`, `keyfile ${certs.keyFile}`);
        if (options.clientCertificates) lines.push('require_certificate true');
      }
      if (wsPort !== undefined) lines.push(`listener ${wsPort} 127.0.0.1`, 'protocol websockets');
      const confFile = join(dir, 'mosquitto.conf');
      writeFileSync(confFile, lines.join('\n') + '\n');
      const broker = new Mosquitto(dir, port, tlsPort, wsPort, caFile, confFile);
      try {
        await broker.launch();
      } catch (err) {
        await broker.stop();
        throw err;
      }
      return broker;
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** A client certificate and key signed by the test CA (with `tls`). */
  get clientCert(): { cert: string; key: string } | undefined {
    return this.caFile ? { cert: join(this.dir, 'client.crt'), key: join(this.dir, 'client.key') } : undefined;
  }

  /** mqtt://127.0.0.1:PORT, mqtts://localhost:TLSPORT (the certificate's name), ws://127.0.0.1:WSPORT. */
  url(kind: 'mqtt' | 'mqtts' | 'ws' = 'mqtt'): string {
    switch (kind) {
      case 'mqtt':
        return `mqtt://127.0.0.1:${this.port}`;
      case 'mqtts':
        if (this.tlsPort === undefined) throw new Error('this broker has no TLS listener (start it with { tls: true })');
        return `mqtts://localhost:${this.tlsPort}`;
      case 'ws':
        if (this.wsPort === undefined) throw new Error('this broker has no websockets listener (start it with { websockets: true })');
        return `ws://127.0.0.1:${this.wsPort}`;
    }
  }

  /** What mosquitto wrote so far, across restarts. */
  log(): string {
    return this.output;
  }

  /**
   * With `persistence`: resolves once everything that happened before the call
   * is in the database on disk, so a SIGKILL keeps it. Mosquitto logs "Saving
   * in-memory database" *before* it writes (every ~2 s with autosave_interval
   * 1), so this waits for the second such line after the call: the first save
   * has then finished.
   */
  async persisted(timeoutMs = 10_000): Promise<void> {
    const from = this.output.length;
    const saves = (): number => this.output.slice(from).split('Saving in-memory database').length - 1;
    await waitFor(() => saves() >= 2 || !this.running, 'mosquitto to write its database', timeoutMs, 50);
    if (saves() < 2) throw new Error(`mosquitto exited before saving its database\n--- mosquitto log ---\n${this.output}`);
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private async launch(): Promise<void> {
    if (this.removed) throw new Error('this broker was stopped');
    const from = this.output.length;
    const child = spawn(MOSQUITTO, ['-c', this.confFile], { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    this.frozen = false;
    const guard = child.pid !== undefined ? orphanGuard(child.pid, this.dir) : null;
    this.exited = new Promise((resolve) => {
      child.once('close', () => resolve());
      child.once('error', (err) => {
        this.output += `[spawn error: ${err.message}]\n`;
        resolve();
      });
    });
    child.once('exit', () => guard?.kill('SIGKILL'));
    child.stdout!.on('data', (c: Buffer) => (this.output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (this.output += c.toString()));
    const ports = [this.port, this.tlsPort, this.wsPort].filter((p): p is number => p !== undefined);
    // "running" is logged once every listener is open: a port that answers before it may be another process's.
    const ready = async (): Promise<boolean> => / running\n/.test(this.output.slice(from)) && (await Promise.all(ports.map(portOpen))).every(Boolean);
    try {
      await waitFor(async () => !this.running || (await ready()), `mosquitto listening on ${ports.join(', ')}`, READY_TIMEOUT_MS, 50);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- mosquitto log ---\n${this.output}`);
    }
    if (!this.running) {
      await this.exited;
      const message = `mosquitto exited (code ${child.exitCode}, signal ${child.signalCode}) before listening\n--- mosquitto log ---\n${this.output}`;
      throw this.output.slice(from).includes('Address already in use') ? new PortTakenError(message) : new Error(message);
    }
  }

  /** Sends `signal` (SIGKILL by default; a frozen broker is thawed for any other) and resolves when the process has exited. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return this.exited;
    child.kill(signal);
    if (this.frozen && signal !== 'SIGKILL') child.kill('SIGCONT');
    this.frozen = false;
    await this.exited;
  }

  /** Starts mosquitto again on the same ports, folder and config (SIGKILLs it first if still running); resolves once it listens. */
  async restart(): Promise<void> {
    await this.kill();
    this.output += '--- restart (test helper) ---\n';
    await this.launch();
  }

  /** SIGSTOP: the sockets stay open, nothing is answered. */
  freeze(): void {
    if (!this.running) return;
    this.child!.kill('SIGSTOP');
    this.frozen = true;
  }

  /** SIGCONT. */
  thaw(): void {
    if (!this.running) return;
    this.child!.kill('SIGCONT');
    this.frozen = false;
  }

  /** Thaws, SIGTERM (SIGKILL after 3 s), waits for the exit, removes the temp folder. */
  async stop(): Promise<void> {
    if (this.running) {
      this.thaw();
      const timer = setTimeout(() => this.child?.kill('SIGKILL'), STOP_GRACE_MS);
      this.child!.kill('SIGTERM');
      await this.exited;
      clearTimeout(timer);
    }
    if (!this.removed) {
      this.removed = true;
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

export interface RecordedMessage {
  topic: string;
  payload: string;
  retain: boolean;
  qos: number;
  receivedAt: number;
}

export interface MqttRecorderOptions {
  clientId?: string;
  clean?: boolean;
  keepalive?: number;
  username?: string;
  password?: string;
  /** Path of a PEM CA file (e.g. `Mosquitto.caFile`). */
  ca?: string;
  /** Paths of a PEM client certificate and key (e.g. `Mosquitto.clientCert`). */
  cert?: string;
  key?: string;
  qos?: 0 | 1;
  /** mqtt.js reconnectPeriod in ms (default 500). */
  reconnectPeriod?: number;
}

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Records every message on a topic filter with mqtt.js. Reconnects by itself
 * (mqtt.js reconnectPeriod); with `clean: false` and a fixed clientId its
 * session is kept by the broker across disconnects.
 */
export class MqttRecorder {
  readonly messages: RecordedMessage[] = [];

  private constructor(
    /** The underlying mqtt.js client (for `connected`, events, or publishing). */
    readonly client: MqttClient,
  ) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, payload: payload.toString(), retain: packet.retain, qos: packet.qos, receivedAt: Date.now() });
    });
  }

  /** Connects, subscribes with `qos` (default 1) and resolves once the SUBACK is in. */
  static async start(url: string, filter: string | string[], options: MqttRecorderOptions = {}): Promise<MqttRecorder> {
    const clientOptions: IClientOptions = {
      clientId: options.clientId ?? `vigil-recorder-${process.pid}-${Math.random().toString(16).slice(2, 10)}`,
      clean: options.clean ?? true,
      keepalive: options.keepalive ?? 60,
      reconnectPeriod: options.reconnectPeriod ?? 500,
      connectTimeout: 5000,
    };
    if (options.username !== undefined) clientOptions.username = options.username;
    if (options.password !== undefined) clientOptions.password = options.password;
    if (options.ca !== undefined) clientOptions.ca = readFileSync(options.ca);
    if (options.cert !== undefined) clientOptions.cert = readFileSync(options.cert);
    if (options.key !== undefined) clientOptions.key = readFileSync(options.key);
    const client = mqttConnect(url, clientOptions);
    // Listening for messages before the CONNACK: a kept session may deliver queued ones at once.
    const recorder = new MqttRecorder(client);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`MqttRecorder: no CONNACK from ${url} within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
        const onConnect = (): void => finish();
        const onError = (err: Error): void => finish(new Error(`MqttRecorder: connecting to ${url}: ${err.message}`, { cause: err }));
        function finish(err?: Error): void {
          clearTimeout(timer);
          client.off('connect', onConnect);
          client.off('error', onError);
          if (err) reject(err);
          else resolve();
        }
        client.on('connect', onConnect);
        client.on('error', onError);
      });
      const granted = await client.subscribeAsync(filter, { qos: options.qos ?? 1 });
      const refused = granted.filter((g) => g.qos === 128);
      if (refused.length > 0) throw new Error(`MqttRecorder: subscription refused for ${refused.map((g) => g.topic).join(', ')}`);
    } catch (err) {
      await client.endAsync(true);
      throw err;
    }
    return recorder;
  }

  /** What a subscriber arriving now gets first on `topic` (the retained message), read by a short-lived client. */
  static async retained(url: string, topic: string, options: MqttRecorderOptions = {}): Promise<RecordedMessage> {
    const late = await MqttRecorder.start(url, topic, options);
    try {
      await late.waitFor((msgs) => msgs.length > 0, 5000, `the retained message on ${topic}`);
      return late.messages[0]!;
    } finally {
      await late.stop();
    }
  }

  /** The messages whose topic equals `topic`. */
  on(topic: string): RecordedMessage[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  /** Waits until `predicate(messages)` holds; on timeout throws with `what` and the messages so far. */
  async waitFor(predicate: (msgs: RecordedMessage[]) => boolean, timeoutMs: number, what: string): Promise<void> {
    try {
      await waitFor(() => predicate(this.messages), what, timeoutMs, 20);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${this.summary()}`);
    }
  }

  /** The messages so far, one per line (the last 30), for failure messages. */
  summary(): string {
    const last = this.messages.slice(-30);
    const lines = last.map((m) => {
      const payload = m.payload.length > 200 ? `${m.payload.slice(0, 200)}…` : m.payload;
      return `  ${m.topic} q${m.qos}${m.retain ? ' retained' : ''}: ${payload}`;
    });
    const skipped = this.messages.length - last.length;
    return `${this.messages.length} message(s) recorded${this.client.connected ? '' : ' (client not connected now)'}` +
      (skipped > 0 ? `, the last ${last.length}:` : lines.length ? ':' : '') + (lines.length ? `\n${lines.join('\n')}` : '');
  }

  /** Closes the connection (a clean:false session stays on the broker). */
  async stop(): Promise<void> {
    await this.client.endAsync(true);
  }
}
