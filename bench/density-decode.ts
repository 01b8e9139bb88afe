import { CameraSource } from '../agent/capture/camera-source.js';
import { CaptureWorkerPool } from '../agent/capture/capture-worker-pool.js';
import { ffmpegCaptureOptions } from '../agent/capture/ffmpeg-options.js';
import { prepareOpenCvEnvironment } from '../agent/capture/opencv-binding.js';
import type { TensorRecipe } from '../agent/core/detector-recipe.js';
import { createLogger } from '../agent/log.js';
import { delay } from '../agent/util/clock.js';
import { densityConfig } from './density-config.js';
import { searchMost, type SearchResult } from './density-search.js';
import { CAMERA_FPS, LIMITS, WINDOW_SECONDS } from './density-trial.js';

/**
 * The decode-only ceiling: N live cameras read by the agent's own capture
 * (CameraSource on the shared capture workers: decode, letterbox into the
 * detector's tensor) with no inference at all, each frame's tensor handed
 * straight back. The most cameras that still all deliver their 10 fps is the
 * physical limit of this machine beside the density figures.
 */

/** YOLOX-Nano's input: what the capture workers build for every detected frame. */
const YOLOX_RECIPE: TensorRecipe = { placement: 'top_left', channelOrder: 'bgr', scale: 1, padValue: 114, width: 416, height: 416 };

export interface DecodeFigures {
  readonly cameras: number;
  readonly deliveredPerSecond: number;
  readonly cpuPercent: number;
  readonly rssMiB: number;
  readonly sustained: boolean;
}

export async function decodeTrial(url: string, cameras: number): Promise<DecodeFigures> {
  const config = densityConfig({ groups: [{ prefix: 'decode', count: cameras, url }] });
  const { capture } = config;
  // What the agent does before its capture starts (agent.ts loadModels).
  prepareOpenCvEnvironment(
    ffmpegCaptureOptions({ rtspTransport: capture.rtsp_transport, timeoutSeconds: capture.rtsp_timeout_seconds, analyzeDurationMicros: capture.analyze_duration_micros }),
  );
  const logger = createLogger('error');
  let delivered = 0;
  let counting = false;
  // Shared capture workers, as the agent has them (capture.workers).
  const pool = new CaptureWorkerPool({ workers: capture.workers, logger });
  const sources = config.cameras.map((camera) => {
    const stats = { disconnected: 0 as 0 | 1, disconnectedSeconds: 0, videoIndex: 0 };
    const source = new CameraSource({ camera, capture, logger, stats, pool });
    source.on('frame', () => {
      if (counting) delivered += 1;
    });
    return source;
  });
  for (const source of sources) source.start(YOLOX_RECIPE, false);
  try {
    await delay(3000);
    counting = true;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    let rss = process.memoryUsage().rss;
    const sampler = setInterval(() => (rss = Math.max(rss, process.memoryUsage().rss)), 250);
    await delay(WINDOW_SECONDS * 1000);
    clearInterval(sampler);
    counting = false;
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const deliveredPerSecond = delivered / seconds;
    return {
      cameras,
      deliveredPerSecond,
      cpuPercent: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
      rssMiB: rss / 2 ** 20,
      sustained: deliveredPerSecond >= LIMITS.delivered * CAMERA_FPS * cameras,
    };
  } finally {
    await Promise.all(sources.map((s) => s.stop()));
  }
}

/** The decode-only ceiling, searched as the agent's density is. */
export function decodeCeiling(url: string, start: number, cap: number, log: (line: string) => void): Promise<SearchResult<DecodeFigures>> {
  return searchMost(async (n) => {
    const f = await decodeTrial(url, n);
    log(
      `decode only, ${n} cameras: ${f.sustained ? 'sustained' : 'NOT sustained'} — ${f.deliveredPerSecond.toFixed(1)} frames/s of ${n * CAMERA_FPS}, ` +
        `CPU ${f.cpuPercent.toFixed(0)} %, RSS ${f.rssMiB.toFixed(0)} MiB`,
    );
    return f;
  }, start, cap);
}
