/**
 * Faults the tests inject into a real agent, from $VIGIL_FAULT_INJECTION
 * (unset in production: then nothing here does anything). A comma-separated
 * list; so far:
 *   inference_wedge_after=N   each inference worker blocks forever on its run N+1
 */
export interface InferenceFaults {
  readonly wedgeAfterRuns: number | undefined;
}

export function inferenceFaults(spec: string | undefined): InferenceFaults {
  const wedge = /(?:^|,)\s*inference_wedge_after=(\d+)\s*(?:,|$)/.exec(spec ?? '');
  return { wedgeAfterRuns: wedge ? Number(wedge[1]) : undefined };
}

/** Blocks the calling thread for good, as a native library stuck in a driver call would. */
export function blockThisThreadForever(): never {
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}
