import { seededRandom } from '../helpers/seeded-random.js';

/**
 * The soak run's chaos, planned up front from a seed so a failing run can be
 * replayed exactly: which fault, when, and for how long.
 */

export const FAULT_KINDS = ['rtsp_kill', 'rtsp_freeze', 'broker_kill', 'broker_freeze', 'viewer_kill'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface PlannedFault {
  readonly kind: FaultKind;
  /** How long the fault lasts before the component is restarted, thawed or reconnected. */
  readonly durationMs: number;
  /** Quiet time after recovery, before the next fault. */
  readonly gapMs: number;
}

/**
 * Fault lengths. Freezes outlast what must notice them: the camera stall
 * timeout (3 s in the soak config) and 1.5 × the MQTT keepalive (5 s).
 */
const DURATION_MS: Record<FaultKind, readonly [number, number]> = {
  rtsp_kill: [3000, 6000],
  rtsp_freeze: [5000, 8000],
  broker_kill: [3000, 8000],
  broker_freeze: [9000, 12_000],
  viewer_kill: [2000, 5000],
};
const GAP_MS: readonly [number, number] = [4000, 9000];

/**
 * `count` faults; every kind appears once in each run of five (a seeded
 * shuffle per round), so even a short plan exercises all of them.
 */
export function planChaos(seed: number, count: number): PlannedFault[] {
  const random = seededRandom(seed);
  const between = ([low, high]: readonly [number, number]): number => Math.round(low + random() * (high - low));
  const plan: PlannedFault[] = [];
  while (plan.length < count) {
    const round = [...FAULT_KINDS];
    for (let i = round.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [round[i], round[j]] = [round[j]!, round[i]!];
    }
    for (const kind of round.slice(0, count - plan.length)) plan.push({ kind, durationMs: between(DURATION_MS[kind]), gapMs: between(GAP_MS) });
  }
  return plan;
}
