import { availableParallelism } from 'node:os';
import type { VigilConfig } from '../config/schema.js';
import type { CapturedFrame, Frame, InferenceOutcome } from '../core/frame.js';
import type { Box } from '../core/letterbox.js';
import type { ClassifyOutcome, DispatchMode, InferencePool } from '../core/pipeline-ports.js';
import { ErrorCode, VigilError } from '../errors.js';
import type { Logger } from '../log.js';
import type { VigilMetrics } from '../metrics/registry.js';
import { backoffDelaySeconds } from '../util/backoff.js';
import { delay, systemClock, type Clock } from '../util/clock.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import { InferenceWorkerHandle, type ModelsInfo } from './inference-worker-handle.js';
import type { LoadedModelInfo } from './protocol.js';
import { chooseWorker, type WorkerChoice } from './worker-choice.js';
import { planWorkers, type WorkerPlan } from './worker-plan.js';

/** Restarts allowed inside RESTART_WINDOW_MS before the agent gives up and lets systemd restart it. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 10 * 60_000;

export interface InferenceEngineDeps {
  readonly config: Pick<VigilConfig, 'detector' | 'classifier' | 'inference' | 'cache_dir'>;
  readonly logger: Logger;
  readonly metrics: VigilMetrics;
  readonly clock?: Clock;
}

/**
 * The pool of inference workers, seen from the main thread. Frames go to
 * the worker chooseWorker picks (worker-choice.ts). A run longer than
 * `stuck_timeout_seconds`, or a worker that dies, gets that worker replaced
 * with backoff; more than MAX_RESTARTS in RESTART_WINDOW_MS is fatal
 * (exit 1, systemd restarts the agent).
 */
export class InferenceEngine extends TypedEmitter<{ fatal: Error; restarted: { reason: string } }> implements InferencePool {
  /** One slot per planned worker; null while that worker is being replaced. */
  private slots: (InferenceWorkerHandle | null)[] = [];
  private plan: WorkerPlan = { threads: [0], leadWideThreads: 0 };
  private restartTimes: number[] = [];
  private stopped = false;
  private watchdog: { unref(): unknown } | null = null;
  private readonly clock: Clock;

  constructor(private readonly deps: InferenceEngineDeps) {
    super();
    this.clock = deps.clock ?? systemClock;
  }

  /** Whether a worker that `mode` uses can take another frame (fewer than its depth in it). */
  hasRoom(mode: DispatchMode): boolean {
    return this.choose(mode) !== undefined;
  }

  /**
   * Frames held by each worker: `pipeline_depth`, or with batching two
   * batches' worth, so the next batch gathers while one runs.
   */
  private get depth(): number {
    const { pipeline_depth, batch_size } = this.deps.config.inference;
    return batch_size > 1 ? Math.max(pipeline_depth, 2 * batch_size) : pipeline_depth;
  }

  /**
   * Loads the models in one worker, plans the pool from the provider it got
   * (see worker-plan.ts), then starts the rest. A bad model rejects with a
   * VigilError (exit code 2).
   */
  async start(): Promise<ModelsInfo> {
    const { inference } = this.deps.config;
    const first = await this.spawn(inference.intra_op_threads, 0);
    this.logModels(first.info);
    this.plan = planWorkers(inference.workers, inference.intra_op_threads, first.info.detector.provider, availableParallelism());
    const [leadThreads, ...otherThreads] = this.plan.threads;
    const { leadWideThreads } = this.plan;
    // The model-loading worker stays on as the lead when it is what the plan wants there.
    const keepFirst = leadThreads === inference.intra_op_threads && leadWideThreads === 0;
    if (!keepFirst) void first.retire('re-planned');
    this.slots = await Promise.all([keepFirst ? first : this.spawn(leadThreads!, leadWideThreads), ...otherThreads.map((threads) => this.spawn(threads, 0))]);
    this.deps.logger.info(
      { workers: this.plan.threads.length, intraOpThreads: this.plan.threads.map((t) => t || 'auto'), leadWideThreads },
      'inference workers started',
    );
    const check = Math.min(1000, (inference.stuck_timeout_seconds * 1000) / 4);
    this.watchdog = this.clock.setInterval(() => this.checkStuck(), check);
    this.watchdog.unref();
    return first.info;
  }

  /** To the worker chooseWorker picks for `mode` (see worker-choice.ts, and the dispatcher for when). */
  infer(frame: CapturedFrame, mode: DispatchMode, options?: { readonly classify?: boolean }): Promise<InferenceOutcome> {
    const choice = this.choose(mode);
    if (!choice) return Promise.reject(new VigilError(ErrorCode.INFERENCE_FAILED, 'no inference worker has room (or every one is being replaced)'));
    return choice.worker.infer(frame, choice.wide, options?.classify ?? true);
  }

  /**
   * A classify job (classifier.mode per_track) to the least busy worker,
   * whatever its depth: the camera's results wait for it, and the worker
   * serves it before the frames it holds. Rejects when no classifier is
   * loaded or every worker is being replaced; the caller leaves its tracks
   * unclassified then.
   */
  classify(frame: Frame, boxes: readonly Box[]): Promise<ClassifyOutcome> {
    const choice = chooseWorker(this.slots, 'throughput', false, Number.POSITIVE_INFINITY);
    if (!choice) return Promise.reject(new VigilError(ErrorCode.INFERENCE_FAILED, 'no inference worker to classify on (every one is being replaced)'));
    if (!choice.worker.info.classifier) return Promise.reject(new VigilError(ErrorCode.INFERENCE_FAILED, 'no classifier is loaded'));
    return choice.worker.classify(frame, boxes);
  }

  private choose(mode: DispatchMode): WorkerChoice<InferenceWorkerHandle> | undefined {
    return chooseWorker(this.slots, mode, this.plan.leadWideThreads > 0, this.depth);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.watchdog) this.clock.clearInterval(this.watchdog);
    const handles = this.live();
    this.slots = [];
    await Promise.all(handles.map((h) => h.retire('agent stopping')));
  }

  /** Age of the oldest run still in progress on any worker, seconds (0 when idle). */
  get oldestRunSeconds(): number {
    return this.live().reduce((oldest, h) => Math.max(oldest, h.oldestAge), 0) / 1000;
  }

  private live(): InferenceWorkerHandle[] {
    return this.slots.filter((h): h is InferenceWorkerHandle => h !== null);
  }

  private spawn(intraOpThreads: number, wideIntraOpThreads: number): Promise<InferenceWorkerHandle> {
    const { detector, classifier, inference, cache_dir } = this.deps.config;
    return InferenceWorkerHandle.spawn(
      { detector, classifier: classifier ?? null, inference: { ...inference, intra_op_threads: intraOpThreads }, cacheDir: cache_dir, wideIntraOpThreads },
      () => this.clock.now(),
      (handle, reason) => this.replace(handle, reason),
    );
  }

  private checkStuck(): void {
    const limit = this.deps.config.inference.stuck_timeout_seconds * 1000;
    for (const handle of this.live()) {
      if (handle.oldestAge <= limit) continue;
      this.deps.logger.error({ code: ErrorCode.INFERENCE_STUCK, timeoutSeconds: limit / 1000 }, 'inference run exceeded the stuck timeout; replacing the worker');
      this.replace(handle, 'stuck');
    }
  }

  private replace(handle: InferenceWorkerHandle, reason: string): void {
    const index = this.slots.indexOf(handle);
    if (index < 0 || this.stopped) return;
    this.slots[index] = null;
    void handle.retire(`inference worker ${reason}`);
    this.deps.metrics.inferenceWorkerRestarts.inc();
    const now = this.clock.now();
    this.restartTimes = [...this.restartTimes.filter((t) => now - t < RESTART_WINDOW_MS), now];
    if (this.restartTimes.length > MAX_RESTARTS) {
      this.emit('fatal', new VigilError(ErrorCode.WORKER_CRASHED, `inference workers restarted ${MAX_RESTARTS} times in ${RESTART_WINDOW_MS / 60_000} min (last: ${reason})`));
      return;
    }
    const waitSeconds = backoffDelaySeconds(this.deps.config.inference.restart, this.restartTimes.length - 1);
    this.deps.logger.warn({ code: ErrorCode.WORKER_CRASHED, reason, retryInSeconds: Number(waitSeconds.toFixed(2)) }, 'inference worker lost; replacing it');
    void delay(waitSeconds * 1000).then(async () => {
      if (this.stopped) return;
      try {
        this.slots[index] = await this.spawn(this.plan.threads[index]!, index === 0 ? this.plan.leadWideThreads : 0);
        this.emit('restarted', { reason });
      } catch (err) {
        this.emit('fatal', err as Error);
      }
    });
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
