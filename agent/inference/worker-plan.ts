import type { Provider } from '../config/schema.js';

export interface WorkerPlan {
  /** ONNX Runtime intra-op threads of each worker, lead worker first; 0 lets it pick. One entry per worker. */
  readonly threads: readonly number[];
  /** Threads of the lead's second, wide set of sessions for frames that run alone; 0: none. */
  readonly leadWideThreads: number;
}

/**
 * How many inference workers to run, and with how many threads each. On a
 * CPU, frames in parallel beat threads inside one run: measured on 2 cores,
 * two single-thread workers gave 91 runs/s where one two-thread worker gave
 * 77 (intra-op parallel sections synchronise often, and a two-thread run
 * costs more CPU than two one-thread runs). But a lone frame, the usual case
 * for cameras at 10-15 fps, finishes sooner with more threads. So every
 * worker runs its share of the cores, and the first (lead) worker also
 * loads the models a second time with twice the share. While the pool keeps
 * up, a frame goes to the lead, which runs it on the wide sessions, unless
 * the lead is busy and another worker idles (latency mode, see
 * worker-choice.ts); once frames keep waiting, frames go to
 * whichever worker is least busy and every run is single-share, as in the
 * raw limit (throughput mode; see InferenceDispatcher.chooseMode).
 * Measured on 2 cores: frame_latency at 10 fps p95 21 ms wide against 29.5
 * narrow; at full load a lead that ran every frame on 2 threads cost ~2 ms
 * of CPU per frame more than narrow workers (10-13 % fewer frames a second).
 * On a GPU one worker per device is right: runs serialise on the device
 * anyway and each worker would hold its own copy of the model (and TensorRT
 * engine). An explicit thread count or worker count is taken as given.
 */
export function planWorkers(configured: number | 'auto', intraOpThreads: number, provider: Provider, cores: number): WorkerPlan {
  const uniform = (workers: number, threads: number): WorkerPlan => ({ threads: Array.from({ length: workers }, () => threads), leadWideThreads: 0 });
  if (configured !== 'auto') return uniform(configured, intraOpThreads);
  if (provider !== 'cpu' || cores <= 1) return uniform(1, intraOpThreads);
  const workers = Math.min(cores, 8);
  if (intraOpThreads > 0) return uniform(workers, intraOpThreads);
  const share = Math.max(1, Math.floor(cores / workers));
  return { threads: Array.from({ length: workers }, () => share), leadWideThreads: Math.min(cores, 2 * share) };
}
