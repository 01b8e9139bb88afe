/**
 * The cheap check a backed-off camera gets between full opens (issue 17): a
 * TCP connect to the camera's host and port, or a file's existence. Both run
 * on the main thread without blocking it (net.connect, fs.promises); a full
 * open stays on the capture worker.
 */
import { access } from 'node:fs/promises';
import { lookup } from 'node:dns/promises';
import { connect, isIP } from 'node:net';
import { sourceKind } from './ffmpeg-options.js';

export type ProbeTarget = { readonly kind: 'tcp'; readonly host: string; readonly port: number } | { readonly kind: 'file'; readonly path: string };

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
      // rtspsrc location="rtsp://…" (quoted as gstreamer-pipeline.ts writes it) or location=rtsp://… / uri=rtsp://… unquoted.
      const match = /\b(?:location|uri)=(?:"((?:[^"\\]|\\.)*)"|(rtsps?:\/\/\S+))/i.exec(source);
      const url = match?.[1]?.replace(/\\(.)/g, '$1') ?? match?.[2];
      return url && /^rtsps?:\/\//i.test(url) ? tcpTarget(url) : null;
    }
  }
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
  return { kind: 'tcp', host, port: parsed.port ? Number(parsed.port) : defaultPort };
}

/** Host names being resolved: getaddrinfo runs on libuv's small thread pool and cannot be cancelled, so probes of one host share one lookup. */
const lookups = new Map<string, Promise<string>>();

/**
 * True when `target` answers within `timeoutMs`: a TCP connection is
 * accepted (and closed at once, nothing sent), or the file exists. Never
 * rejects; an abort destroys the socket at once and answers false.
 */
export async function probeReachable(target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  if (target.kind === 'file') return access(target.path).then(() => true, () => false);
  const address = isIP(target.host) ? target.host : await resolveOnce(target.host);
  if (address === null || signal?.aborted) return false;
  return new Promise((resolve) => {
    const socket = connect({ host: address, port: target.port });
    const timer = setTimeout(() => done(false), timeoutMs);
    let settled = false;
    socket.once('connect', () => done(true));
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
