import type { CameraHealth } from './camera-health.js';

export interface ReadinessThresholds {
  /** A camera disconnected longer than this makes the agent not ready. */
  readonly disconnectedSeconds: number;
  /** An inference run older than this means inference is stuck. */
  readonly inferenceStallSeconds: number;
}

export interface Readiness {
  readonly ready: boolean;
  readonly reasons: string[];
  readonly cameras: readonly CameraHealth[];
  readonly inference: { readonly stuck: boolean; readonly oldest_run_seconds: number };
}

/**
 * The /readyz verdict. A camera that stays disconnected past the threshold,
 * or an inference run that does not finish, makes the agent not ready; a
 * camera still within its reconnect grace, or a file that ended, does not.
 */
export function assessReadiness(cameras: readonly CameraHealth[], oldestRunSeconds: number, thresholds: ReadinessThresholds): Readiness {
  const reasons: string[] = [];
  for (const camera of cameras) {
    if (camera.state === 'disconnected' && camera.disconnected_seconds > thresholds.disconnectedSeconds) {
      reasons.push(`camera ${camera.camera} disconnected for ${camera.disconnected_seconds} s`);
    }
  }
  const stuck = inferenceStuck(oldestRunSeconds, thresholds);
  if (stuck) reasons.push(`inference run in progress for ${oldestRunSeconds.toFixed(1)} s`);
  return { ready: reasons.length === 0, reasons, cameras, inference: { stuck, oldest_run_seconds: Math.round(oldestRunSeconds * 100) / 100 } };
}

/** The systemd watchdog's question: restarting the agent fixes a wedged inference, not an unplugged camera. */
export function inferenceStuck(oldestRunSeconds: number, thresholds: ReadinessThresholds): boolean {
  return oldestRunSeconds > thresholds.inferenceStallSeconds;
}
