import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CameraSource, type CameraStatus } from '../../agent/capture/camera-source.js';
import { CaptureWorkerPool, type PooledCamera } from '../../agent/capture/capture-worker-pool.js';
import type { CaptureWorkerData, FromCaptureWorker, ToCaptureWorker } from '../../agent/capture/protocol.js';
import type { ProbeTarget } from '../../agent/capture/reachability.js';
import { parseConfig } from '../../agent/config/load.js';
import type { TensorRecipe } from '../../agent/core/detector-recipe.js';
import { createLogger } from '../../agent/log.js';
import type { Clock } from '../../agent/util/clock.js';

/** Fake timers drive the clock: nothing here waits in real time. */
const clock: Clock = {
  now: () => Date.now(),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};
const logger = createLogger('silent');

/** A capture worker thread stand-in: records what it is told, says what the test makes it say. */
class FakeWorker extends EventEmitter {
  readonly received: ToCaptureWorker[] = [];
  readonly transfers: ArrayBuffer[][] = [];
  exited = false;

  postMessage(message: ToCaptureWorker, transfer: ArrayBuffer[] = []): void {
    this.received.push(message);
    this.transfers.push(transfer);
    // A worker asked to stop with no camera reading leaves at once.
    if (message.type === 'stop') queueMicrotask(() => this.exit(0));
  }

  say(message: FromCaptureWorker): void {
    this.emit('message', message);
  }

  exit(code: number): void {
    if (this.exited) return;
    this.exited = true;
    this.emit('exit', code);
  }

  /** The ids of the cameras added here. */
  get added(): number[] {
    return this.received.flatMap((m) => (m.type === 'add' ? [m.camera] : []));
  }
}

function harness(workers: 'auto' | number) {
  const threads: FakeWorker[] = [];
  const pool = new CaptureWorkerPool({
    workers,
    logger,
    clock,
    spawn: () => {
      const worker = new FakeWorker();
      threads.push(worker);
      return worker as unknown as Worker;
    },
  });
  return { pool, threads };
}

function camera(): PooledCamera & { messages: unknown[]; lost: string[] } {
  const messages: unknown[] = [];
  const lost: string[] = [];
  return { messages, lost, onMessage: (m) => messages.push(m), onLost: (reason) => lost.push(reason) };
}

const DATA = {} as CaptureWorkerData;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('CaptureWorkerPool', () => {
  it('auto: one worker per 8 cameras, at most one per core; each camera on the least-loaded one', () => {
    const { pool, threads } = harness(2);
    for (let i = 0; i < 5; i++) pool.add(DATA, camera());
    expect(threads).toHaveLength(2);
    expect(pool.load).toEqual([3, 2]);
    const auto = harness('auto');
    for (let i = 0; i < 8; i++) auto.pool.add(DATA, camera());
    expect(auto.threads).toHaveLength(1);
    auto.pool.add(DATA, camera());
    expect(auto.threads).toHaveLength(Math.min(availableParallelism(), 2));
    for (let i = 0; i < 40; i++) auto.pool.add(DATA, camera());
    // 49 cameras: 7 workers, or one per core where there are fewer.
    expect(auto.threads).toHaveLength(Math.min(availableParallelism(), 7));
  });

  it('routes messages by camera and tags what a camera posts with its id', () => {
    const { pool, threads } = harness(1);
    const a = camera();
    const b = camera();
    const channelA = pool.add(DATA, a);
    pool.add(DATA, b);
    const [idA, idB] = threads[0]!.added;
    threads[0]!.say({ type: 'skipped', reason: 'fps_cap', camera: idB! });
    threads[0]!.say({ type: 'problem', code: 'X', message: 'for a', camera: idA! });
    expect(a.messages).toEqual([{ type: 'problem', code: 'X', message: 'for a', camera: idA }]);
    expect(b.messages).toEqual([{ type: 'skipped', reason: 'fps_cap', camera: idB }]);
    channelA.post({ type: 'credit', frames: 2 });
    expect(threads[0]!.received.at(-1)).toEqual({ type: 'credit', frames: 2, camera: idA });
  });

  it('remove waits for the reader to finish; the last camera out stops the worker', async () => {
    const { pool, threads } = harness(1);
    const first = pool.add(DATA, camera());
    const second = pool.add(DATA, camera());
    const worker = threads[0]!;
    const [idFirst, idSecond] = worker.added;
    let firstDone = false;
    const removing = first.remove().then(() => (firstDone = true));
    expect(worker.received.at(-1)).toEqual({ type: 'remove', camera: idFirst });
    await vi.advanceTimersByTimeAsync(10);
    expect(firstDone).toBe(false);
    worker.say({ type: 'removed', camera: idFirst! });
    await removing;
    expect(worker.received.some((m) => m.type === 'stop')).toBe(false);
    const removingLast = second.remove();
    worker.say({ type: 'removed', camera: idSecond! });
    await removingLast;
    expect(worker.received.at(-1)).toEqual({ type: 'stop' });
    expect(worker.exited).toBe(true);
    expect(pool.workerCount).toBe(0);
  });

  it("a crashed worker's cameras hear of it, and go to a fresh worker when they add themselves again", () => {
    const { pool, threads } = harness(1);
    const a = camera();
    const b = camera();
    pool.add(DATA, a);
    pool.add(DATA, b);
    threads[0]!.exit(1);
    expect(a.lost).toEqual(['capture worker exited with code 1']);
    expect(b.lost).toEqual(['capture worker exited with code 1']);
    pool.add(DATA, a);
    expect(threads).toHaveLength(2);
    expect(pool.load).toEqual([1]);
  });

  it('a worker without a heartbeat for 20 s is abandoned: told to stop, its cameras moved; a worker that beats is not', async () => {
    const { pool, threads } = harness(2);
    const blocked = camera();
    const fine = camera();
    pool.add(DATA, blocked);
    pool.add(DATA, fine);
    const [stuck, beating] = threads;
    const beat = setInterval(() => beating!.say({ type: 'alive' }), 1000);
    stuck!.say({ type: 'alive' });
    await vi.advanceTimersByTimeAsync(19_000);
    expect(blocked.lost).toEqual([]);
    // Silent for 3 s: it may be blocked, so a new camera goes elsewhere.
    pool.add(DATA, camera());
    expect(pool.load).toEqual([1, 2]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(blocked.lost).toEqual(['capture worker unresponsive']);
    expect(stuck!.received.at(-1)).toEqual({ type: 'stop' });
    expect(fine.lost).toEqual([]);
    expect(pool.workerCount).toBe(1);
    clearInterval(beat);
  });

  it('a worker still loading OpenCV (no message yet) gets 60 s before it counts as blocked', async () => {
    const { pool } = harness(1);
    const slow = camera();
    pool.add(DATA, slow);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(slow.lost).toEqual([]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(slow.lost).toEqual(['capture worker unresponsive']);
  });

  it('detach forgets a stuck reader at once: what it says later goes nowhere', () => {
    const { pool, threads } = harness(1);
    const stuck = camera();
    const channel = pool.add(DATA, stuck);
    pool.add(DATA, camera());
    const [id] = threads[0]!.added;
    channel.detach();
    expect(threads[0]!.received.at(-1)).toEqual({ type: 'remove', camera: id });
    threads[0]!.say({ type: 'skipped', reason: 'fps_cap', camera: id! });
    expect(stuck.messages).toEqual([]);
    channel.post({ type: 'credit', frames: 1 });
    expect(threads[0]!.received.at(-1)).toEqual({ type: 'remove', camera: id });
  });
});

const M = '/work/shared/testdata/models';
const RECIPE = { width: 416, height: 416 } as TensorRecipe;

function cameraSource(url: string, probe: (target: ProbeTarget) => Promise<boolean>) {
  const config = parseConfig(`detector:\n  model: ${M}/yolox_nano.onnx\n  labels: ${M}/coco80_labels.txt\ncameras:\n  - name: door\n    url: ${url}\n`, '/etc/vigil/agent.yaml', {});
  const { pool, threads } = harness(1);
  const probed: ProbeTarget[] = [];
  const stats = { disconnected: 0 as 0 | 1, disconnectedSeconds: 0, videoIndex: -1 };
  const source = new CameraSource({
    camera: config.cameras[0]!,
    capture: config.capture,
    logger,
    stats,
    clock,
    pool,
    probe: (target) => {
      probed.push(target);
      return probe(target);
    },
  });
  const statuses: CameraStatus[] = [];
  source.on('status', (s) => statuses.push(s));
  source.start(RECIPE, false);
  const worker = threads[0]!;
  const id = worker.added[0]!;
  return { source, worker, id, probed, statuses, stats, threads };
}

describe('CameraSource on a pooled worker', () => {
  it('lets an RTSP source open only after its server answered, and refuses the open otherwise', async () => {
    let alive = false;
    const h = cameraSource('rtsp://u:secret@10.0.0.5:8554/live', () => Promise.resolve(alive));
    h.worker.say({ type: 'opening', url: 'rtsp://u:***@10.0.0.5:8554/live', attempt: 0, source: 0, gated: true, camera: h.id });
    await vi.advanceTimersByTimeAsync(0);
    expect(h.probed).toEqual([{ kind: 'rtsp', host: '10.0.0.5', port: 8554, url: 'rtsp://10.0.0.5:8554/live' }]);
    const refused = h.worker.received.at(-1);
    expect(refused?.type).toBe('refuse');
    expect(refused).toMatchObject({ camera: h.id });
    expect((refused as { message: string }).message).not.toContain('secret');

    alive = true;
    h.worker.say({ type: 'opening', url: 'rtsp://u:***@10.0.0.5:8554/live', attempt: 1, source: 0, gated: true, camera: h.id });
    await vi.advanceTimersByTimeAsync(0);
    expect(h.worker.received.at(-1)).toEqual({ type: 'open', reason: 'backoff', camera: h.id });
    await stop(h);
  });

  it('a file opens without asking', async () => {
    const h = cameraSource('/srv/videos/gate.mp4', () => Promise.resolve(true));
    h.worker.say({ type: 'opening', url: '/srv/videos/gate.mp4', attempt: 0, source: 0, gated: false, camera: h.id });
    await vi.advanceTimersByTimeAsync(0);
    expect(h.probed).toEqual([]);
    expect(h.worker.received.map((m) => m.type)).toEqual(['add']);
    await stop(h);
  });

  it('a lost worker: disconnected, then the camera is added again to a fresh worker after its backoff', async () => {
    const h = cameraSource('/srv/videos/gate.mp4', () => Promise.resolve(true));
    h.source.setGate(3, true);
    h.worker.exit(1);
    expect(h.statuses.at(-1)).toEqual({ camera: 'door', state: 'disconnected', reason: 'capture worker exited with code 1' });
    expect(h.stats.disconnected).toBe(1);
    expect(h.threads).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(h.threads).toHaveLength(2);
    const fresh = h.threads[1]!;
    const [id] = fresh.added;
    // The fresh reader continues the camera and gets the gate plan of the old one.
    expect(fresh.received.map((m) => m.type)).toEqual(['add', 'gate']);
    expect(fresh.received[1]).toMatchObject({ type: 'gate', interval: 3, movingTracks: true, camera: id });
    expect(id).not.toBe(h.id);
    const stopping = h.source.stop();
    fresh.say({ type: 'removed', camera: id! });
    await stopping;
  });
});

async function stop(h: ReturnType<typeof cameraSource>): Promise<void> {
  const stopping = h.source.stop();
  h.worker.say({ type: 'removed', camera: h.id });
  await stopping;
}
