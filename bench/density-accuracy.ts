import { Agent } from '../agent/agent.js';
import type { DetectorInterval } from '../agent/config/density-schema.js';
import type { FrameResult } from '../agent/core/frame.js';
import { createLogger } from '../agent/log.js';
import type { CameraStats } from '../agent/metrics/camera-stats.js';
import { delay } from '../agent/util/clock.js';
import { densityConfig, PLAZA_LINE, VTEST, type CameraGroup, type DensitySettings } from './density-config.js';

/**
 * The accuracy price: what each camera counted over one whole pass of its
 * file (loop off): distinct person tracks (objects_tracked_total) and line
 * crossings (line_crossings_total, both directions), and how many of its
 * frames the detector ran on.
 */

export interface PassCounts {
  readonly camera: string;
  readonly frames: number;
  readonly detected: number;
  readonly tracks: number;
  readonly crossings: number;
}

const PASS_TIMEOUT_MS = 300_000;

function sum(map: ReadonlyMap<string, unknown> | undefined): number {
  let total = 0;
  for (const value of map?.values() ?? []) total += typeof value === 'number' ? value : sum(value as ReadonlyMap<string, unknown>);
  return total;
}

function counts(stats: CameraStats, frames: { published: number; detected: number } | undefined): PassCounts {
  return {
    camera: stats.camera,
    frames: frames?.published ?? 0,
    detected: frames?.detected ?? 0,
    tracks: sum(stats.scene?.objectsTracked),
    crossings: sum(stats.scene?.lineCrossings),
  };
}

/**
 * Runs `settings` (every camera with loop off) until every camera's file has
 * ended and its last frame is published, and returns each camera's counts.
 */
export async function onePass(settings: DensitySettings): Promise<PassCounts[]> {
  const frames = new Map<string, { published: number; detected: number }>();
  const sink = {
    name: 'density-accuracy',
    handle(result: FrameResult): void {
      const entry = frames.get(result.frame.meta.camera) ?? { published: 0, detected: 0 };
      entry.published += 1;
      if (result.frame.meta.skip === undefined) entry.detected += 1;
      frames.set(result.frame.meta.camera, entry);
    },
  };
  const agent = new Agent(densityConfig(settings), createLogger(settings.logLevel ?? 'error'), [sink]);
  await agent.start();
  try {
    const deadline = performance.now() + PASS_TIMEOUT_MS;
    let last = -1;
    let stableSince = performance.now();
    for (;;) {
      await delay(500);
      const published = [...frames.values()].reduce((a, f) => a + f.published, 0);
      if (published !== last) [last, stableSince] = [published, performance.now()];
      const ended = agent.readiness().cameras.every((c) => c.state === 'ended' && c.queue_size === 0);
      // Ended and nothing published for a second: the last frames are through the tracker.
      if (ended && performance.now() - stableSince > 1000) break;
      if (performance.now() > deadline) throw new Error(`one pass took over ${PASS_TIMEOUT_MS / 1000} s`);
    }
    return agent.metrics.cameras.map((s) => counts(s, frames.get(s.camera)));
  } finally {
    await agent.stop();
  }
}

/** vtest.avi once per interval, as fast as the agent goes (on_demand: nothing dropped, the same frames for all), side by side in one agent. */
export function intervalGroups(intervals: readonly DetectorInterval[]): CameraGroup[] {
  return intervals.map((interval) => ({ prefix: `vtest_i${interval}_`, count: 1, url: VTEST, interval, line: PLAZA_LINE, pace: 'on_demand', loop: false }));
}

/**
 * The static clip once with gating off, once on, and once on with interval
 * `auto` (which on_demand's full queue drives to its maximum: the worst case
 * for the bursts), same settings otherwise.
 */
export function gatingGroups(clip: string, line: string): CameraGroup[] {
  return [
    { prefix: 'static_off_', count: 1, url: clip, line, pace: 'on_demand', loop: false },
    { prefix: 'static_gated_', count: 1, url: clip, line, motion: true, pace: 'on_demand', loop: false },
    { prefix: 'static_gatedauto_', count: 1, url: clip, line, motion: true, interval: 'auto', pace: 'on_demand', loop: false },
  ];
}
