import type { Provider } from '../config/schema.js';

export interface WorkerPlan {
  readonly workers: number;
  /** ONNX Runtime intra-op threads per worker; 0 lets it pick. */
  readonly intraOpThreads: number;
}

/**
 * How many inference workers to run, and with how many threads each. On a
 * CPU, frames in parallel beat threads inside one run: measured on 2 cores,
 * two single-thread workers gave 91 runs/s where one two-thread worker gave
 * 77 (intra-op parallel sections synchronise often). On a GPU one worker
 * per device is right: runs serialise on the device anyway and each worker
 * would hold its own copy of the model (and TensorRT engine).
 */
export function planWorkers(configured: number | 'auto', intraOpThreads: number, provider: Provider, cores: number): WorkerPlan {
  if (configured !== 'auto') return { workers: configured, intraOpThreads };
  if (provider !== 'cpu' || cores <= 1) return { workers: 1, intraOpThreads };
  const workers = Math.min(cores, 8);
  return { workers, intraOpThreads: intraOpThreads || Math.max(1, Math.floor(cores / workers)) };
}
