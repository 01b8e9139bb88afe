import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { rtspPipeline } from '../../agent/capture/gstreamer-pipeline.js';
import { probeReachable, probeTarget, type ProbeTarget } from '../../agent/capture/reachability.js';
import { ReopenScheduler, type OpenReason } from '../../agent/capture/reopen-scheduler.js';
import { StallLimit } from '../../agent/capture/stall-limit.js';
import type { Clock } from '../../agent/util/clock.js';

/** Fake timers drive the clock: nothing here waits in real time. */
const clock: Clock = {
  now: () => Date.now(),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

const CAMERA: ProbeTarget = { kind: 'tcp', host: '192.0.2.10', port: 554 };

/** A scheduler whose probe answers from `answers` (the last one repeats) after 10 ms, recording every call and the open. */
function harness(answers: boolean[], probeIntervalSeconds = 1) {
  const log: string[] = [];
  const opens: { reason: OpenReason; at: number }[] = [];
  let probes = 0;
  const start = Date.now();
  const scheduler = new ReopenScheduler({
    clock,
    probeIntervalSeconds,
    probe: (_target, _timeoutMs, signal) => {
      const answer = answers[Math.min(probes++, answers.length - 1)]!;
      log.push('probe');
      signal.addEventListener('abort', () => log.push('probe aborted'));
      return new Promise((resolve) => setTimeout(() => resolve(answer), 10));
    },
    open: (reason) => {
      log.push(`open ${reason}`);
      opens.push({ reason, at: Date.now() - start });
    },
  });
  return { scheduler, log, opens, probes: () => probes };
}

describe('ReopenScheduler', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('opens when the backoff wait ends if nothing can be probed', async () => {
    const h = harness([true]);
    h.scheduler.begin(2, null);
    await vi.advanceTimersByTimeAsync(1999);
    expect(h.opens).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.opens).toEqual([{ reason: 'backoff', at: 2000 }]);
    expect(h.probes()).toBe(0);
  });

  it('opens at once, with a fresh backoff, when a probe finds the camera back after one found it gone', async () => {
    const h = harness([false, false, false, true]);
    h.scheduler.begin(30, CAMERA);
    await vi.advanceTimersByTimeAsync(10_000);
    // Probes at 0, 1.01, 2.02 s fail; the one at 3.03 s answers at 3.04 s.
    expect(h.opens).toEqual([{ reason: 'probe', at: 3040 }]);
    expect(h.scheduler.waiting).toBe(false);
    expect(h.probes()).toBe(4);
  });

  it('cuts nothing short while the camera stays reachable and opens fail (a frozen server accepts TCP): the backoff paces', async () => {
    const h = harness([true]);
    h.scheduler.begin(4, CAMERA);
    await vi.advanceTimersByTimeAsync(4000);
    expect(h.opens).toEqual([{ reason: 'backoff', at: 4000 }]);
    // The open failed: the next wait, still reachable, again runs to its end.
    h.scheduler.begin(8, CAMERA);
    await vi.advanceTimersByTimeAsync(8000);
    expect(h.opens.map((o) => o.reason)).toEqual(['backoff', 'backoff']);
    // One probe per interval, no more: 4 in the first wait, 8 in the second (the one in flight at its end aborted).
    expect(h.probes()).toBeLessThanOrEqual(13);
  });

  it('aborts the probe in flight before it opens, and probes no more until the next wait', async () => {
    const h = harness([false]);
    h.scheduler.begin(1.005, CAMERA);
    await vi.advanceTimersByTimeAsync(5000);
    // The wait ended between two probes: nothing to abort.
    expect(h.log).toEqual(['probe', 'open backoff']);
    const h2 = harness([false]);
    h2.scheduler.begin(1.015, CAMERA);
    await vi.advanceTimersByTimeAsync(5000);
    // Second probe started at 1.01 s, still in flight at 1.015 s: aborted first, then the open.
    expect(h2.log).toEqual(['probe', 'probe', 'probe aborted', 'open backoff']);
  });

  it('remembers an unreachable camera across waits until frames flow again', async () => {
    const h = harness([false, true]);
    h.scheduler.begin(0.5, CAMERA);
    await vi.advanceTimersByTimeAsync(500);
    expect(h.opens.map((o) => o.reason)).toEqual(['backoff']);
    h.scheduler.begin(30, CAMERA);
    await vi.advanceTimersByTimeAsync(20);
    expect(h.opens.map((o) => o.reason)).toEqual(['backoff', 'probe']);
    // Connected: the next outage starts unknown, so a first reachable answer is no edge.
    h.scheduler.connected();
    h.scheduler.begin(3, CAMERA);
    await vi.advanceTimersByTimeAsync(2999);
    expect(h.opens).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.opens.map((o) => o.reason)).toEqual(['backoff', 'probe', 'backoff']);
  });

  it('a flapping camera gets at most one probe-triggered open per two probe intervals', async () => {
    const answers = Array.from({ length: 100 }, (_, i) => i % 2 === 1);
    const h = harness(answers);
    for (let i = 0; i < 20; i++) {
      h.scheduler.begin(30, CAMERA);
      await vi.advanceTimersByTimeAsync(2100);
    }
    const probeOpens = h.opens.filter((o) => o.reason === 'probe').map((o) => o.at);
    expect(probeOpens.length).toBeGreaterThan(5);
    for (let i = 1; i < probeOpens.length; i++) expect(probeOpens[i]! - probeOpens[i - 1]!).toBeGreaterThanOrEqual(1000);
  });

  it('probes nothing with reconnect_probe_seconds 0, and cancel() opens nothing', async () => {
    const h = harness([false, true], 0);
    h.scheduler.begin(2, CAMERA);
    await vi.advanceTimersByTimeAsync(2000);
    expect(h.probes()).toBe(0);
    expect(h.opens).toHaveLength(1);
    h.scheduler.begin(2, CAMERA);
    h.scheduler.cancel();
    await vi.advanceTimersByTimeAsync(5000);
    expect(h.opens).toHaveLength(1);
  });
});

describe('probeTarget', () => {
  it.each([
    // The OPTIONS request names the stream without its credentials.
    ['rtsp://admin:p@ss@192.0.2.10/stream1', { kind: 'rtsp', host: '192.0.2.10', port: 554, url: 'rtsp://192.0.2.10/stream1' }],
    ['rtsp://cam.lan:8554/live', { kind: 'rtsp', host: 'cam.lan', port: 8554, url: 'rtsp://cam.lan:8554/live' }],
    ['rtsp://[::1]:8554/x', { kind: 'rtsp', host: '::1', port: 8554, url: 'rtsp://[::1]:8554/x' }],
    ['rtsps://cam.lan/x', { kind: 'tcp', host: 'cam.lan', port: 322 }],
    ['http://cam.lan/mjpeg', { kind: 'tcp', host: 'cam.lan', port: 80 }],
    ['rtspsrc location=rtsp://10.1.2.3:8554/a latency=0 ! rtph264depay ! avdec_h264 ! videoconvert ! appsink', { kind: 'rtsp', host: '10.1.2.3', port: 8554, url: 'rtsp://10.1.2.3:8554/a' }],
    ['/srv/videos/gate.mp4', { kind: 'file', path: '/srv/videos/gate.mp4' }],
    ['/dev/video0', { kind: 'file', path: '/dev/video0' }],
  ])('%s', (source, target) => {
    expect(probeTarget(source)).toEqual(target);
  });

  it('finds the camera inside the pipeline vigil builds for decoder: software, password quotes and all', () => {
    const pipeline = rtspPipeline('rtsp://u:p"a\\ss@10.9.8.7:1554/s', { decoder: 'software', codec: 'h264', transport: 'tcp', timeoutSeconds: 2 });
    expect(probeTarget(pipeline)).toEqual({ kind: 'rtsp', host: '10.9.8.7', port: 1554, url: 'rtsp://10.9.8.7:1554/s' });
  });

  it.each(['udp://239.0.0.1:5000', 'videotestsrc ! videoconvert ! appsink', 'filesrc location=/a.mp4 ! decodebin ! appsink'])('nothing cheap tells for %s', (source) => {
    expect(probeTarget(source)).toBeNull();
  });
});

describe('probeReachable', () => {
  it('answers true for a listening port, false once it is closed, and for files whether they exist', async () => {
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const target: ProbeTarget = { kind: 'tcp', host: '127.0.0.1', port };
    expect(await probeReachable(target, 1000)).toBe(true);
    await new Promise((resolve) => server.close(resolve));
    expect(await probeReachable(target, 1000)).toBe(false);
    expect(await probeReachable({ kind: 'tcp', host: 'localhost', port }, 1000)).toBe(false);

    const dir = mkdtempSync(join(tmpdir(), 'vigil-probe-'));
    const file = join(dir, 'cam.mp4');
    expect(await probeReachable({ kind: 'file', path: file }, 1000)).toBe(false);
    writeFileSync(file, '');
    expect(await probeReachable({ kind: 'file', path: file }, 1000)).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });

  it('rtsp: any RTSP status line to OPTIONS is alive (401 included); a listener that says nothing or something else is not', async () => {
    const requests: string[] = [];
    let reply: string | null = 'RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\n\r\n';
    const server = createServer((socket) => {
      socket.on('data', (chunk: Buffer) => {
        requests.push(chunk.toString());
        if (reply !== null) socket.end(reply);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const target = probeTarget(`rtsp://admin:secret@127.0.0.1:${port}/cam`)!;
    expect(await probeReachable(target, 1000)).toBe(true);
    expect(requests[0]).toBe(`OPTIONS rtsp://127.0.0.1:${port}/cam RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: vigil\r\n\r\n`);
    reply = 'HTTP/1.1 400 Bad Request\r\n\r\n';
    expect(await probeReachable(target, 1000)).toBe(false);
    // A frozen server: the kernel accepts the connection, nobody answers.
    reply = null;
    const started = performance.now();
    expect(await probeReachable(target, 300)).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(performance.now() - started).toBeLessThan(1000);
    server.close();
  });

  it('answers false at once when aborted', async () => {
    const abort = new AbortController();
    // 192.0.2.0/24 (TEST-NET-1) is never routed: the connect would hang until the timeout.
    const pending = probeReachable(CAMERA, 10_000, abort.signal);
    abort.abort();
    expect(await pending).toBe(false);
  });
});

describe('StallLimit', () => {
  it('uses a fixed stall_timeout_seconds as is', () => {
    const limit = new StallLimit(3, undefined);
    expect(limit.seconds(false)).toBe(3);
    limit.opened(10);
    expect(limit.seconds(true)).toBe(3);
  });

  it('auto: max(2 s, 20 reported frame intervals) once streaming, 5 s before the first frame', () => {
    const limit = new StallLimit('auto', undefined);
    expect(limit.seconds(false)).toBe(5);
    limit.opened(25);
    expect(limit.seconds(true)).toBe(2);
    limit.opened(5);
    expect(limit.seconds(true)).toBe(4);
    limit.opened(0.5);
    expect(limit.seconds(true)).toBe(40);
  });

  it('auto: an implausible reported rate falls back to fps_cap, else 25 fps', () => {
    const capped = new StallLimit('auto', 2);
    capped.opened(90_000);
    expect(capped.seconds(true)).toBe(10);
    const uncapped = new StallLimit('auto', undefined);
    uncapped.opened(0);
    expect(uncapped.seconds(true)).toBe(2);
  });

  it('auto: frames measured slower than the reported rate set the interval (median of the recent ones)', () => {
    const limit = new StallLimit('auto', undefined);
    limit.opened(25);
    // A camera reporting 25 fps that sends 2: every 500 ms, plus a burst.
    let t = 0;
    for (let i = 0; i < 12; i++) limit.frame((t += 500));
    limit.frame((t += 5));
    expect(limit.frameIntervalSeconds()).toBe(0.5);
    expect(limit.seconds(true)).toBe(10);
    // A new connection measures afresh.
    limit.opened(25);
    expect(limit.seconds(true)).toBe(2);
  });
});
