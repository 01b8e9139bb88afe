/**
 * The cheap check a backed-off camera gets between full opens (issue 17): an
 * RTSP request (OPTIONS) to an rtsp:// camera, a TCP connect to other
 * network sources, or a file's existence. All run on the main thread without
 * blocking it (net.connect, fs.promises); a full open stays on the capture
 * worker. The RTSP answer also gates every open of an rtsp:// source (issue
 * 16): the open is synchronous and blocks every camera on its shared worker,
 * and a frozen server still accepts TCP (the kernel does) but answers nothing.
 */
import { access } from 'node:fs/promises';
import { lookup } from 'node:dns/promises';
import { connect, isIP } from 'node:net';
import { sourceKind } from './ffmpeg-options.js';

export type ProbeTarget =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  /** `url`: what the OPTIONS request names, without credentials. */
  | { readonly kind: 'rtsp'; readonly host: string; readonly port: number; readonly url: string }
  | { readonly kind: 'file'; readonly path: string };

/** TCP-based schemes and their default ports; udp:// has nothing to connect to. */
const DEFAULT_PORTS: Readonly<Record<string, number>> = { rtsp: 554, rtsps: 322, rtmp: 1935, http: 80, https: 443 };

/**
 * What to probe for one capture source (a URL, a file, or a GStreamer
 * pipeline): null where nothing cheap tells (udp://, a pipeline without an
 * rtsp:// location).
 */
export function probeTarget(source: string): ProbeTarget | null {
  switch (sourceKind(source)) {
    case 'rtsp':
      return tcpTarget(source);
    case 'file':
      return { kind: 'file', path: source.startsWith('file://') ? decodeURIComponent(source.slice('file://'.length)) : source };
    case 'gstreamer': {
      const url = pipelineRtspUrl(source);
      return url ? tcpTarget(url) : null;
    }
  }
}

/** rtspsrc location="rtsp://…" (quoted as gstreamer-pipeline.ts writes it) or location=rtsp://… / uri=rtsp://… unquoted. */
function pipelineRtspUrl(pipeline: string): string | null {
  const match = /\b(?:location|uri)=(?:"((?:[^"\\]|\\.)*)"|(rtsps?:\/\/\S+))/i.exec(pipeline);
  const url = match?.[1]?.replace(/\\(.)/g, '$1') ?? match?.[2];
  return url && /^rtsps?:\/\//i.test(url) ? url : null;
}

/**
 * The plain rtsp:// URL a capture source opens (as written, or inside a
 * GStreamer pipeline), or null: such a source is opened only after its
 * server answered an RTSP request (capture-worker's `opening`).
 */
export function rtspProbeUrl(source: string): string | null {
  const kind = sourceKind(source);
  const url = kind === 'rtsp' ? source : kind === 'gstreamer' ? pipelineRtspUrl(source) : null;
  return url !== null && /^rtsp:\/\//i.test(url) ? url : null;
}

function tcpTarget(url: string): ProbeTarget | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const scheme = parsed.protocol.replace(/:$/, '').toLowerCase();
  const defaultPort = DEFAULT_PORTS[scheme];
  if (defaultPort === undefined || !parsed.hostname) return null;
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = parsed.port ? Number(parsed.port) : defaultPort;
  if (scheme !== 'rtsp') return { kind: 'tcp', host, port };
  parsed.username = parsed.password = '';
  return { kind: 'rtsp', host, port, url: parsed.href };
}

const RTSP_STATUS = /^RTSP\/1\.\d \d{3}/;

/** Host names being resolved: getaddrinfo runs on libuv's small thread pool and cannot be cancelled, so probes of one host share one lookup. */
const lookups = new Map<string, Promise<string>>();

/**
 * True when `target` answers within `timeoutMs`: an RTSP server sends any
 * `RTSP/1.0 <code>` status line to OPTIONS (401 included: it is alive), a
 * TCP connection is accepted (and closed at once, nothing sent), or the file
 * exists. Never rejects; an abort destroys the socket at once and answers false.
 */
export async function probeReachable(target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  if (target.kind === 'file') return access(target.path).then(() => true, () => false);
  const address = isIP(target.host) ? target.host : await resolveOnce(target.host);
  if (address === null || signal?.aborted) return false;
  return new Promise((resolve) => {
    const socket = connect({ host: address, port: target.port });
    const timer = setTimeout(() => done(false), timeoutMs);
    let settled = false;
    let answer = '';
    socket.once('connect', () => {
      if (target.kind === 'tcp') return done(true);
      socket.write(`OPTIONS ${target.url} RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: vigil\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      if (RTSP_STATUS.test(answer)) done(true);
      else if (answer.length >= 16 || answer.includes('\n')) done(false);
    });
    socket.on('end', () => done(false));
    socket.on('error', () => done(false));
    signal?.addEventListener('abort', onAbort, { once: true });
    function onAbort(): void {
      done(false);
    }
    function done(ok: boolean): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(ok);
    }
  });
}

/** The host's address, or null when it does not resolve. */
async function resolveOnce(host: string): Promise<string | null> {
  let pending = lookups.get(host);
  if (!pending) {
    pending = lookup(host)
      .then((result) => result.address)
      .finally(() => lookups.delete(host));
    lookups.set(host, pending);
  }
  try {
    return await pending;
  } catch {
    return null;
  }
}
