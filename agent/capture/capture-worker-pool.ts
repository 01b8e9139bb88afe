import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { CaptureWorkerData, FromCameraReader, FromCaptureWorker, ToCameraReader, ToCaptureWorker } from './protocol.js';

/**
 * `auto`: a worker per this many cameras (at most one per core). A worker's
 * own thread only converts, builds tensors and posts, ~1–3 ms a frame (the
 * decode runs on libuv's pool): 8 cameras at 10 fps keep it under a quarter
 * of a core, while each further thread costs ~45 MiB (docs/pipeline.md).
 */
const CAMERAS_PER_AUTO_WORKER = 8;
/** A worker whose heartbeat (every second) stopped this long ago is blocked in a native open: abandoned, its cameras moved. */
const WORKER_SILENCE_MS = 20_000;
/** Before its first heartbeat a worker loads OpenCV, which on a loaded device with many workers starting at once takes long. */
const WORKER_START_MS = 60_000;
/** A worker silent this long gets no new camera: it may be blocked. */
const WORKER_SUSPECT_MS = 3_000;

/** What a camera hears from the pool. */
export interface PooledCamera {
  onMessage(message: FromCameraReader): void;
  /** Its worker crashed, exited or was abandoned: the reader is gone, and the camera adds itself again (with backoff). */
  onLost(reason: string): void;
}

/** A camera's reader on a pooled worker. */
export interface CaptureChannel {
  post(message: ToCameraReader, transfer?: ArrayBuffer[]): void;
  /** Stops the reader; resolves once its read in flight returned (and its worker left, when it was the last camera there). */
  remove(): Promise<void>;
  /** Forgets a reader stuck in a native call without waiting for it: it stops when the call returns, and nothing it says arrives. */
  detach(): void;
}

export interface CaptureWorkerPoolDeps {
  /** `capture.workers`: `auto` is one per 8 cameras, at most one per CPU core. */
  readonly workers: 'auto' | number;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Starts a worker thread; injectable for tests. */
  readonly spawn?: () => Worker;
}

interface PoolWorker {
  readonly thread: Worker;
  readonly id: number;
  readonly cameras: Map<number, PooledCamera>;
  /** Readers told to stop, settled by `removed` or the worker's exit. */
  readonly removals: Map<number, () => void>;
  lastMessageAt: number;
  /** Said anything yet: loading OpenCV takes a while, and is not a block. */
  heard: boolean;
  retiring: boolean;
  exited: Promise<void>;
}

/**
 * The capture worker threads, shared by the cameras (issue 16): a camera
 * goes to the least-loaded worker, a new one is started while there are
 * fewer than the limit. A worker's cameras hear of its crash or exit
 * (`onLost`) and add themselves again; a worker whose event loop stays
 * blocked (no heartbeat: a native open that hangs) is abandoned the same
 * way, and told to stop, which it does when the native call returns. An
 * emptied worker is stopped. There is nothing to start or stop here: the
 * cameras' add and remove do it.
 */
export class CaptureWorkerPool {
  private readonly workers: PoolWorker[] = [];
  private readonly clock: Clock;
  private readonly log: Logger;
  private nextCamera = 1;
  private nextWorker = 1;
  private ticker: { unref(): unknown } | null = null;
  private threadPoolWarned = false;

  constructor(private readonly deps: CaptureWorkerPoolDeps) {
    this.clock = deps.clock ?? systemClock;
    this.log = deps.logger.child({ component: 'capture-pool' });
  }

  get workerCount(): number {
    return this.workers.length;
  }

  /** Cameras per worker, in start order. */
  get load(): number[] {
    return this.workers.map((w) => w.cameras.size);
  }

  add(data: CaptureWorkerData, camera: PooledCamera): CaptureChannel {
    this.checkThreadPool();
    const worker = this.place();
    const id = this.nextCamera++;
    worker.cameras.set(id, camera);
    this.send(worker, { type: 'add', camera: id, data });
    return {
      post: (message, transfer = []) => {
        if (worker.cameras.has(id)) this.send(worker, { ...message, camera: id }, transfer);
      },
      remove: () => this.remove(worker, id),
      detach: () => {
        if (!worker.cameras.delete(id)) return;
        this.send(worker, { type: 'remove', camera: id });
        this.retireIfEmpty(worker);
      },
    };
  }

  /**
   * Every camera's reads run on libuv's thread pool (readAsync), and a read
   * from a frozen camera holds its thread until FFmpeg's timeout: with fewer
   * threads than cameras + 2, a few frozen cameras stall the others. The
   * size is fixed before the agent's first line runs (systemd/vigil.service sets it).
   */
  private checkThreadPool(): void {
    const cameras = this.workers.reduce((n, w) => n + w.cameras.size, 0) + 1;
    const size = Number(process.env.UV_THREADPOOL_SIZE) || 4;
    if (this.threadPoolWarned || size >= cameras + 2) return;
    this.threadPoolWarned = true;
    this.log.warn(
      { threadPoolSize: size, cameras },
      `libuv's thread pool (UV_THREADPOOL_SIZE=${size}) is smaller than cameras + 2: a frozen camera's read holds a thread, so a few can stall the others; set UV_THREADPOOL_SIZE before node starts`,
    );
  }

  private place(): PoolWorker {
    const now = this.clock.now();
    const cameras = this.workers.reduce((n, w) => n + w.cameras.size, 0) + 1;
    const limit = this.deps.workers === 'auto' ? Math.min(availableParallelism(), Math.ceil(cameras / CAMERAS_PER_AUTO_WORKER)) : this.deps.workers;
    const running = this.workers.filter((w) => !w.retiring);
    const usable = running.filter((w) => !w.heard || now - w.lastMessageAt < WORKER_SUSPECT_MS);
    // Only when every worker may be blocked does a new one go above the limit, for as long as the blocked one is not yet abandoned.
    if (running.length < limit || usable.length === 0) return this.startWorker();
    return usable.reduce((best, w) => (w.cameras.size < best.cameras.size ? w : best));
  }

  private startWorker(): PoolWorker {
    const thread = this.deps.spawn?.() ?? new Worker(new URL('./capture-worker.js', import.meta.url));
    const worker: PoolWorker = {
      thread,
      id: this.nextWorker++,
      cameras: new Map(),
      removals: new Map(),
      lastMessageAt: this.clock.now(),
      heard: false,
      retiring: false,
      exited: new Promise((resolve) => thread.once('exit', () => resolve())),
    };
    this.workers.push(worker);
    thread.on('message', (message: FromCaptureWorker) => this.onMessage(worker, message));
    thread.on('error', (err) => this.log.error({ code: ErrorCode.WORKER_CRASHED, err, worker: worker.id }, 'capture worker crashed'));
    thread.on('exit', (code) => this.onExit(worker, code));
    if (!this.ticker) {
      this.ticker = this.clock.setInterval(() => this.watch(), 1000);
      this.ticker.unref();
    }
    this.log.debug({ worker: worker.id, workers: this.workers.length }, 'capture worker started');
    return worker;
  }

  private onMessage(worker: PoolWorker, message: FromCaptureWorker): void {
    worker.lastMessageAt = this.clock.now();
    worker.heard = true;
    if (message.type === 'alive') return;
    if (message.type === 'removed') {
      worker.removals.get(message.camera)?.();
      worker.removals.delete(message.camera);
      // A reader that left by itself (a file that ended) no longer counts.
      worker.cameras.delete(message.camera);
      this.retireIfEmpty(worker);
      return;
    }
    worker.cameras.get(message.camera)?.onMessage(message);
  }

  private onExit(worker: PoolWorker, code: number): void {
    this.forget(worker);
    for (const settle of worker.removals.values()) settle();
    worker.removals.clear();
    const lost = [...worker.cameras.values()];
    worker.cameras.clear();
    if (lost.length === 0) return;
    this.log.warn({ code: ErrorCode.WORKER_CRASHED, worker: worker.id, cameras: lost.length, exitCode: code }, 'capture worker exited');
    for (const camera of lost) camera.onLost(`capture worker exited with code ${code}`);
  }

  private async remove(worker: PoolWorker, id: number): Promise<void> {
    if (!worker.cameras.delete(id)) return;
    const removed = new Promise<void>((resolve) => worker.removals.set(id, resolve));
    this.send(worker, { type: 'remove', camera: id });
    await removed;
    if (this.retireIfEmpty(worker) || worker.retiring) await worker.exited;
  }

  /** A worker without cameras is stopped; true when this call stopped it. */
  private retireIfEmpty(worker: PoolWorker): boolean {
    if (worker.retiring || worker.cameras.size > 0) return false;
    worker.retiring = true;
    this.send(worker, { type: 'stop' });
    this.forget(worker);
    return true;
  }

  /**
   * Never terminate() a capture worker: with a read in flight that aborts the
   * whole process (uv_loop_close with open handles). Asked to stop, a blocked
   * worker exits on its own when its native call returns.
   */
  private watch(): void {
    const now = this.clock.now();
    for (const worker of [...this.workers]) {
      if (worker.retiring || now - worker.lastMessageAt < (worker.heard ? WORKER_SILENCE_MS : WORKER_START_MS)) continue;
      const lost = [...worker.cameras.values()];
      this.log.warn({ code: ErrorCode.CAPTURE_STALL, worker: worker.id, cameras: lost.length, silentSeconds: WORKER_SILENCE_MS / 1000 }, 'capture worker unresponsive; moving its cameras');
      worker.cameras.clear();
      worker.retiring = true;
      this.send(worker, { type: 'stop' });
      this.forget(worker);
      for (const camera of lost) camera.onLost('capture worker unresponsive');
    }
  }

  private forget(worker: PoolWorker): void {
    const index = this.workers.indexOf(worker);
    if (index >= 0) this.workers.splice(index, 1);
    if (this.workers.length === 0 && this.ticker) {
      this.clock.clearInterval(this.ticker);
      this.ticker = null;
    }
  }

  private send(worker: PoolWorker, message: ToCaptureWorker, transfer: ArrayBuffer[] = []): void {
    worker.thread.postMessage(message, transfer);
  }
}
