import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Lowers the calling thread's scheduling priority (raises its nice value).
 * On Linux nice is per thread, and threads started afterwards from this one
 * (ONNX Runtime's pools, FFmpeg's decoder threads) inherit it. Capture and
 * inference workers call this so the main thread, which serves /metrics and
 * the other outputs, wins the CPU whenever it has work: measured on 2 cores
 * at full load, /metrics took up to 39 ms without it. Best effort: returns
 * false where unsupported.
 */
export function lowerThisThreadPriority(niceness: number): boolean {
  try {
    // /proc/thread-self -> "<pid>/task/<tid>"
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, niceness);
    return true;
  } catch {
    return false;
  }
}

/** Nice value for worker threads: below the main thread, above other background work. */
export const WORKER_NICENESS = 10;
