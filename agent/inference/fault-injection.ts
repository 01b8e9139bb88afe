/**
 * Faults the tests inject into a real agent, from $VIGIL_FAULT_INJECTION
 * (unset in production: then nothing here does anything). A comma-separated
 * list; so far:
 *   inference_wedge_after=N   each inference worker blocks forever on its run N+1
 *   inference_crash_after=N   each inference worker dies of an uncaught exception on its run N+1
 */
export interface InferenceFaults {
  readonly wedgeAfterRuns: number | undefined;
  readonly crashAfterRuns: number | undefined;
}

export function inferenceFaults(spec: string | undefined): InferenceFaults {
  const count = (name: string): number | undefined => {
    const match = new RegExp(`(?:^|,)\\s*${name}=(\\d+)\\s*(?:,|$)`).exec(spec ?? '');
    return match ? Number(match[1]) : undefined;
  };
  return { wedgeAfterRuns: count('inference_wedge_after'), crashAfterRuns: count('inference_crash_after') };
}

/** Dies the way a bug in a native addon's callback would: an exception nobody catches. */
export function crashThisThread(): void {
  setImmediate(() => {
    throw new Error('injected inference worker crash (VIGIL_FAULT_INJECTION)');
  });
}

/** Blocks the calling thread for good, as a native library stuck in a driver call would. */
export function blockThisThreadForever(): never {
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}
