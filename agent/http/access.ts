import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';

export const TOKEN_COOKIE = 'vigil_token';

/** The token a request carries: `Authorization: Bearer …`, `?token=…`, or the cookie the viewer page sets. */
export function presentedToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim();
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams.get('token');
  if (query) return query;
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === TOKEN_COOKIE) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/** Constant-time comparison (of digests, so lengths leak nothing either). */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * Without a token, a browser page from another site must not be able to
 * open the preview WebSocket (cross-site WebSocket hijacking): the Origin,
 * when a browser sends one, must name the host the request was sent to.
 * Clients that send no Origin (curl, scripts) are not browsers and pass.
 */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/**
 * The names this device answers to: loopback, its host name (and .local),
 * every address of its interfaces, the configured bind address, and the
 * operator's extra names. Computed per call: interfaces come and go.
 */
export function deviceHostNames(bindHost: string, extra: readonly string[]): Set<string> {
  const names = new Set(['localhost', '127.0.0.1', '::1', hostname(), `${hostname()}.local`, ...extra].map((n) => n.toLowerCase()));
  if (bindHost !== '0.0.0.0' && bindHost !== '::') names.add(bindHost.toLowerCase());
  for (const addresses of Object.values(networkInterfaces())) for (const a of addresses ?? []) names.add(a.address.toLowerCase());
  return names;
}

/**
 * Without a token, DNS rebinding could let a web page on another site talk
 * to the agent under a name the attacker controls (its Origin then matches
 * its Host). So the Host a request names must be one of the device's own.
 */
export function knownHost(req: IncomingMessage, names: ReadonlySet<string>): boolean {
  const host = req.headers.host;
  if (!host) return false;
  try {
    const { hostname: name } = new URL(`http://${host}`);
    return names.has(name.replace(/^\[|\]$/g, '').toLowerCase());
  } catch {
    return false;
  }
}

/** Whether the request comes from this machine (127.0.0.0/8, ::1, or IPv4 loopback mapped into IPv6). */
export function fromLoopback(req: IncomingMessage): boolean {
  const address = req.socket.remoteAddress ?? '';
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}
