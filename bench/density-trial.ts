import { Agent } from '../agent/agent.js';
import type { FrameResult } from '../agent/core/frame.js';
import { createLogger } from '../agent/log.js';
import { bucketQuantile, histogramDelta, type HistogramState } from '../agent/metrics/bucket-histogram.js';
import type { CameraStats } from '../agent/metrics/camera-stats.js';
import { delay } from '../agent/util/clock.js';
import { densityConfig, type DensitySettings } from './density-config.js';
import { searchMost, type SearchResult } from './density-search.js';

/**
 * One density trial: the real agent in this process with N live cameras,
 * warmed up, then a measured window read from its stats model (the numbers
 * /metrics shows): frames sent, frames dropped from the queues, the
 * frame_latency histogram → p95 (as PromQL's histogram_quantile), plus the
 * process's CPU and RSS, and how many frames the detector ran on.
 */

export const WINDOW_SECONDS = Number(process.env.VIGIL_BENCH_DENSITY_SECONDS ?? 8);
const WARMUP_SECONDS = Number(process.env.VIGIL_BENCH_DENSITY_WARMUP ?? 4);
/** Live cameras deliver at this rate (vtest.avi and the static clip are both 10 fps). */
export const CAMERA_FPS = 10;

/** What "sustained" means: the two limits, plus every camera delivering its 10 fps (a capture that falls behind skips frames uncounted). */
export const LIMITS = { dropped: 0.01, p95Seconds: 0.25, delivered: 0.97 } as const;

export interface TrialFigures {
  readonly cameras: number;
  /** Frames handed to the queues per second, all cameras. */
  readonly sentPerSecond: number;
  /** Frames published (every output computed) per second, all cameras. */
  readonly publishedPerSecond: number;
  /** Share of published frames the detector ran on (1 at interval 1). */
  readonly detectedShare: number;
  /** frames_dropped_total{reason="queue_full"} / frames_sent_total in the window. */
  readonly droppedShare: number;
  readonly p95Seconds: number | null;
  /** Process CPU (all threads) in % of one core. */
  readonly cpuPercent: number;
  readonly rssMiB: number;
  /** The detector_interval gauge at the window's end, mean and highest over the cameras (`auto` moves it). */
  readonly interval: { readonly mean: number; readonly max: number };
  readonly sustained: boolean;
}

interface Reading {
  readonly sent: number;
  readonly dropped: number;
  readonly latency: HistogramState | undefined;
}

function read(cameras: readonly CameraStats[]): Reading {
  let latency: HistogramState | undefined;
  for (const c of cameras) {
    const state = c.frameLatency.state();
    latency = latency ? { bounds: state.bounds, counts: state.counts.map((n, i) => n + (latency!.counts[i] ?? 0)), sum: state.sum + latency.sum } : state;
  }
  return {
    sent: cameras.reduce((a, c) => a + c.framesSent, 0),
    dropped: cameras.reduce((a, c) => a + c.framesDropped.queue_full, 0),
    latency,
  };
}

/** Counts what the dispatcher publishes: every frame, detected or predicted from the tracks. */
class CountingSink {
  readonly name = 'density-bench';
  counting = false;
  published = 0;
  detected = 0;
  handle(result: FrameResult): void {
    if (!this.counting) return;
    this.published += 1;
    if (result.frame.meta.skip === undefined) this.detected += 1;
  }
}

export async function runTrial(settings: DensitySettings): Promise<TrialFigures> {
  const cameras = settings.groups.reduce((a, g) => a + g.count, 0);
  const sink = new CountingSink();
  const agent = new Agent(densityConfig(settings), createLogger(settings.logLevel ?? 'error'), [sink]);
  await agent.start();
  try {
    await delay(WARMUP_SECONDS * 1000);
    const before = read(agent.metrics.cameras);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    sink.counting = true;
    let rss = process.memoryUsage().rss;
    const sampler = setInterval(() => (rss = Math.max(rss, process.memoryUsage().rss)), 250);
    await delay(WINDOW_SECONDS * 1000);
    clearInterval(sampler);
    sink.counting = false;
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const after = read(agent.metrics.cameras);
    const sent = after.sent - before.sent;
    const dropped = after.dropped - before.dropped;
    const p95 = after.latency ? bucketQuantile(0.95, histogramDelta(after.latency, before.latency)) : null;
    const droppedShare = dropped / Math.max(1, sent);
    const sentPerSecond = sent / seconds;
    const sustained =
      droppedShare < LIMITS.dropped && p95 !== null && p95 < LIMITS.p95Seconds && sentPerSecond >= LIMITS.delivered * CAMERA_FPS * cameras;
    return {
      cameras,
      sentPerSecond,
      publishedPerSecond: sink.published / seconds,
      detectedShare: sink.detected / Math.max(1, sink.published),
      droppedShare,
      p95Seconds: p95,
      cpuPercent: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
      rssMiB: rss / 2 ** 20,
      interval: {
        mean: agent.metrics.cameras.reduce((a, c) => a + c.detectorInterval, 0) / Math.max(1, cameras),
        max: Math.max(...agent.metrics.cameras.map((c) => c.detectorInterval)),
      },
      sustained,
    };
  } finally {
    await agent.stop();
  }
}

/** The agent's density for one configuration, each trial logged as it ends. */
export function findDensity(settingsFor: (cameras: number) => DensitySettings, start: number, cap: number, log: (line: string) => void): Promise<SearchResult<TrialFigures>> {
  return searchMost(async (n) => {
    const figures = await runTrial(settingsFor(n));
    log(describeTrial(figures));
    return figures;
  }, start, cap);
}

export function describeTrial(t: TrialFigures): string {
  const p95 = t.p95Seconds === null ? 'n/a' : `${(t.p95Seconds * 1000).toFixed(0)} ms`;
  return (
    `${t.cameras} cameras: ${t.sustained ? 'sustained' : 'NOT sustained'} — sent ${t.sentPerSecond.toFixed(1)}/s of ${t.cameras * CAMERA_FPS}, ` +
    `dropped ${(t.droppedShare * 100).toFixed(1)} %, p95 ${p95}, detected ${(t.detectedShare * 100).toFixed(0)} % of ${t.publishedPerSecond.toFixed(1)} published/s, ` +
    `CPU ${t.cpuPercent.toFixed(0)} %, RSS ${t.rssMiB.toFixed(0)} MiB` +
    (t.interval.max > 1 ? `, detector_interval mean ${t.interval.mean.toFixed(1)} (max ${t.interval.max})` : '')
  );
}
