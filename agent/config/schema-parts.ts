import { z } from 'zod';

/** Building blocks shared by the config's sections. */

declare module 'zod' {
  interface GlobalMeta {
    /**
     * A default computed at start-up (the host name), in words: the reference
     * shows these words, and the JSON Schema leaves out the value this machine
     * happened to compute.
     */
    defaultText?: string;
  }
}

/**
 * A duration with a floor: a fuzzed or mistyped `0.001` passes `positive()`
 * yet turns a watchdog into a restart loop, so the floor says why it exists.
 */
export function secondsAtLeast(min: number, why: string) {
  return z.number().min(min, `at least ${min} s: ${why}`);
}

/** Camera names and device ids end up in MQTT topics and metric labels: keep them to a safe alphabet. */
export const name = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only (1-64 chars)');

interface BackoffDefaults {
  readonly initial_seconds: number;
  readonly max_seconds: number;
  readonly jitter: number;
}

/** A reconnect/restart policy whose keys each default on their own, so `{ max_seconds: 120 }` keeps this section's other defaults. */
export function backoff(defaults: BackoffDefaults = { initial_seconds: 0.5, max_seconds: 30, jitter: 0.2 }) {
  return z
    .object({
      initial_seconds: secondsAtLeast(0.1, 'retrying faster only floods the peer')
        .default(defaults.initial_seconds)
        .describe('Wait before the first retry (s); each further failure doubles it.'),
      max_seconds: secondsAtLeast(0.1, 'retrying faster only floods the peer')
        .default(defaults.max_seconds)
        .describe('Longest wait between retries (s); at least initial_seconds.'),
      jitter: z
        .number()
        .min(0)
        .max(1)
        .default(defaults.jitter)
        .describe('Fraction of each wait randomised either way (0.2: ±20 %), so many cameras and devices do not retry in step.'),
    })
    .strict()
    .refine((b) => b.max_seconds >= b.initial_seconds, { message: 'max_seconds must be at least initial_seconds', path: ['max_seconds'] })
    .prefault({});
}
