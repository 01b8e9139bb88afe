import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Ports for servers the tests start themselves and must keep (a broker or an
 * RTSP server restarted on the same port, a camera URL that must stay dead).
 *
 * They come from below the kernel's ephemeral range, never from listen(0):
 * an ephemeral port is what the next outgoing connection takes as its local
 * port, so while such a server is down (or not yet started) a client's
 * connection can hold it, and a client reconnecting to a dead ephemeral port
 * on 127.0.0.1 eventually connects to itself (TCP self-connect). Below the
 * range only a process that binds that port by number can take it. Each test
 * process walks its own stretch of the range, starting at a point drawn from
 * its pid, and hands out a port only after binding it succeeded; a server
 * that still finds its port taken is started again on the next one
 * (`startOnFreePorts`). Servers that are never restarted bind port 0
 * themselves and report the port (the agent, Prometheus).
 */
const LOWEST = 20_000;
const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
const highest = (Number.isInteger(ephemeralLow) && ephemeralLow > LOWEST + 1000 ? ephemeralLow : 32_768) - 1;
const span = highest - LOWEST + 1;
let next = LOWEST + ((process.pid * 7919) % span);

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port nobody listens on now, below the ephemeral range, not handed out before by this process. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < span; tries++) {
    const port = next;
    next = next === highest ? LOWEST : next + 1;
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port between ${LOWEST} and ${highest}`);
}

/** The error a server start throws when one of its ports was taken between `freePort()` and its bind. */
export class PortTakenError extends Error {}

/** Calls `start` with fresh ports until it does not throw `PortTakenError` (another process won the port meanwhile). */
export async function startOnFreePorts<T>(start: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt >= attempts) throw err;
    }
  }
}
