import { z } from 'zod';

/** Building blocks shared by the config's sections. */

export const seconds = z.number().positive();

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
      initial_seconds: seconds.default(defaults.initial_seconds),
      max_seconds: seconds.default(defaults.max_seconds),
      jitter: z.number().min(0).max(1).default(defaults.jitter),
    })
    .strict()
    .prefault({});
}
