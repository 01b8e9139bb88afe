import { Worker } from 'node:worker_threads';
import type { VigilConfig } from '../config/schema.js';
import { ErrorCode, VigilError } from '../errors.js';
import type { Logger } from '../log.js';
import type { VigilMetrics } from '../metrics/registry.js';
import type { CapturedFrame, DetectedObject, Frame, InferenceTimings } from '../pipeline/frame.js';
import { backoffDelaySeconds } from '../util/backoff.js';
import { delay, systemClock, type Clock } from '../util/clock.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import type { FromInferenceWorker, InferenceWorkerData, LoadedModelInfo, ToInferenceWorker } from './protocol.js';

export interface InferenceOutcome {
  readonly frame: Frame;
  readonly objects: DetectedObject[];
  readonly timings: InferenceTimings;
}

export type ModelsInfo = Extract<FromInferenceWorker, { type: 'ready' }>;

interface Pending {
  readonly frame: CapturedFrame;
  readonly sentAt: number;
  resolve(outcome: InferenceOutcome): void;
  reject(err: Error): void;
}

/** Restarts allowed inside RESTART_WINDOW_MS before the agent gives up and lets systemd restart it. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 10 * 60_000;

/**
 * Asks a worker to leave once its current run returns. Never terminate() it:
 * onnxruntime-node throws a C++ Napi::Error when its thread is torn down
 * mid-run, which aborts the whole process (measured). A wedged worker is
 * left behind; a new one takes over.
 */
function retire(worker: Worker): void {
  worker.on('error', () => undefined);
  worker.postMessage({ type: 'stop' } satisfies ToInferenceWorker);
}

export interface InferenceEngineDeps {
  readonly config: Pick<VigilConfig, 'detector' | 'classifier' | 'inference'>;
  readonly logger: Logger;
  readonly metrics: VigilMetrics;
  readonly clock?: Clock;
}

/**
 * Main-thread handle on the inference worker. Watches it: a run that takes
 * longer than `stuck_timeout_seconds`, or a worker that dies, gets the worker
 * replaced with backoff; too many replacements in a window is fatal (the
 * agent exits non-zero and systemd restarts it).
 */
export class InferenceEngine extends TypedEmitter<{ fatal: Error; restarted: { reason: string } }> {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private restartTimes: number[] = [];
  private restarting = false;
  private stopped = false;
  private watchdog: { unref(): unknown } | null = null;
  private readonly clock: Clock;
  info: ModelsInfo | null = null;

  constructor(private readonly deps: InferenceEngineDeps) {
    super();
    this.clock = deps.clock ?? systemClock;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** True when the worker is up and nothing has been running longer than the stuck timeout. */
  get healthy(): boolean {
    return this.worker !== null && !this.restarting && this.oldestPendingAge() < this.deps.config.inference.stuck_timeout_seconds * 1000;
  }

  /** Loads the models; a bad model rejects with a VigilError (exit code 2). */
  async start(): Promise<ModelsInfo> {
    this.info = await this.spawn();
    const check = Math.min(1000, (this.deps.config.inference.stuck_timeout_seconds * 1000) / 4);
    this.watchdog = this.clock.setInterval(() => this.checkStuck(), check);
    this.watchdog.unref();
    return this.info;
  }

  /** The frame's pixels and tensor move to the worker; the pixels come back with the outcome. */
  infer(frame: CapturedFrame): Promise<InferenceOutcome> {
    const worker = this.worker;
    if (!worker || this.restarting) return Promise.reject(new VigilError(ErrorCode.INFERENCE_FAILED, 'inference worker is restarting'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { frame, sentAt: this.clock.now(), resolve, reject });
      const message: ToInferenceWorker = { type: 'infer', id, meta: frame.meta, data: frame.data, tensor: frame.tensor };
      worker.postMessage(message, [frame.data, frame.tensor]);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.watchdog) this.clock.clearInterval(this.watchdog);
    this.failPending('agent stopping');
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    retire(worker);
    await exited;
  }

  private spawn(): Promise<ModelsInfo> {
    const { detector, classifier, inference } = this.deps.config;
    const workerData: InferenceWorkerData = { detector, classifier: classifier ?? null, inference };
    const worker = new Worker(new URL('./inference-worker.js', import.meta.url), { workerData });
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on('message', (message: FromInferenceWorker) => {
        if (message.type === 'ready') {
          ready = true;
          this.worker = worker;
          this.logModels(message);
          resolve(message);
        } else if (message.type === 'failed') {
          retire(worker);
          reject(new VigilError(message.code as ErrorCode, message.message));
        } else {
          this.settle(message);
        }
      });
      worker.on('error', (err) => {
        if (!ready) reject(new VigilError(ErrorCode.WORKER_CRASHED, `inference worker failed to start: ${err.message}`, { cause: err }));
        else this.replace(worker, `crashed: ${err.message}`);
      });
      worker.on('exit', (code) => {
        if (!ready) reject(new VigilError(ErrorCode.WORKER_CRASHED, `inference worker exited with code ${code} while loading models`));
        else if (this.worker === worker && !this.stopped) this.replace(worker, `exited with code ${code}`);
      });
    });
  }

  private settle(message: Extract<FromInferenceWorker, { type: 'result' | 'error' }>): void {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    // The pixels went to the worker and came back: the same frame, owned here again.
    const frame: Frame = { meta: pending.frame.meta, data: message.data };
    if (message.type === 'result') pending.resolve({ frame, objects: message.objects, timings: message.timings });
    else pending.reject(new VigilError(ErrorCode.INFERENCE_FAILED, `inference failed on ${frame.meta.camera} frame ${frame.meta.seq}: ${message.message}`));
  }

  private oldestPendingAge(): number {
    let oldest = 0;
    const now = this.clock.now();
    for (const p of this.pending.values()) oldest = Math.max(oldest, now - p.sentAt);
    return oldest;
  }

  private checkStuck(): void {
    const limit = this.deps.config.inference.stuck_timeout_seconds * 1000;
    if (this.worker && !this.restarting && this.oldestPendingAge() > limit) {
      this.deps.logger.error({ code: ErrorCode.INFERENCE_STUCK, timeoutSeconds: limit / 1000 }, 'inference run exceeded the stuck timeout; restarting the worker');
      this.replace(this.worker, 'stuck');
    }
  }

  private replace(worker: Worker, reason: string): void {
    if (this.restarting || this.stopped) return;
    this.restarting = true;
    this.worker = null;
    worker.removeAllListeners('message');
    worker.removeAllListeners('exit');
    worker.removeAllListeners('error');
    retire(worker);
    this.failPending(`inference worker ${reason}`);
    this.deps.metrics.inferenceWorkerRestarts.inc();
    const now = this.clock.now();
    this.restartTimes = [...this.restartTimes.filter((t) => now - t < RESTART_WINDOW_MS), now];
    if (this.restartTimes.length > MAX_RESTARTS) {
      this.emit('fatal', new VigilError(ErrorCode.WORKER_CRASHED, `inference worker restarted ${MAX_RESTARTS} times in ${RESTART_WINDOW_MS / 60_000} min (last: ${reason})`));
      return;
    }
    const waitSeconds = backoffDelaySeconds(this.deps.config.inference.restart, this.restartTimes.length - 1);
    this.deps.logger.warn({ code: ErrorCode.WORKER_CRASHED, reason, retryInSeconds: Number(waitSeconds.toFixed(2)) }, 'inference worker lost; restarting');
    void delay(waitSeconds * 1000).then(async () => {
      if (this.stopped) return;
      try {
        this.info = await this.spawn();
        this.restarting = false;
        this.emit('restarted', { reason });
      } catch (err) {
        this.restarting = false;
        this.emit('fatal', err as Error);
      }
    });
  }

  private failPending(reason: string): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new VigilError(ErrorCode.INFERENCE_FAILED, reason));
    }
  }

  private logModels(info: ModelsInfo): void {
    const log = (name: string, model: LoadedModelInfo | null): void => {
      if (!model) return;
      for (const fallback of model.fallbacks) this.deps.logger.warn({ code: ErrorCode.PROVIDER_UNAVAILABLE, model: name }, `execution provider unavailable, falling back: ${fallback}`);
      this.deps.logger.info({ model: name, provider: model.provider }, `${name} running on ${model.provider}`);
    };
    log('detector', info.detector);
    log('classifier', info.classifier);
  }
}
