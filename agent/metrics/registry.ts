import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { CameraStats, type CameraStatsOptions } from './camera-stats.js';
import { registerCameraMetrics } from './prometheus-view.js';

/**
 * Every metric vigil exports, on one explicit registry. The per-camera ones
 * are views of `cameras` (camera-stats.ts, the model the pipeline writes);
 * the rest are prom-client metrics set by their one owner. Names are the
 * fleet dashboards' names and must not change.
 */
export class VigilMetrics {
  readonly registry = new Registry();
  private readonly cameraStats: CameraStats[] = [];
  private readonly byName = new Map<string, CameraStats>();

  /** inference/inference-engine.ts */
  readonly inferenceWorkerRestarts: Counter;
  /** agent.ts, once the models are loaded. */
  readonly info: Gauge<'version' | 'device' | 'site' | 'detector_provider' | 'classifier_provider' | 'detector_model' | 'classifier_model'>;

  constructor() {
    const registers = [this.registry];
    registerCameraMetrics(this.registry, this.cameraStats);
    this.inferenceWorkerRestarts = new Counter({
      name: 'inference_worker_restarts_total',
      help: 'Restarts (count) of the inference worker after a crash or a stuck run',
      registers,
    });
    this.info = new Gauge({
      name: 'vigil_info',
      help: 'Constant 1 (ratio) labelled with the agent version, device identity and the execution provider in use',
      labelNames: ['version', 'device', 'site', 'detector_provider', 'classifier_provider', 'detector_model', 'classifier_model'],
      registers,
    });
    collectDefaultMetrics({ register: this.registry });
    // prom-client's nodejs_active_*_total are gauges, which promtool's lint
    // rejects (only counters may end in _total); the same numbers remain in
    // nodejs_active_handles{type}, nodejs_active_requests{type} and nodejs_active_resources{type}.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
  }

  /** The stats model, one entry per configured camera. */
  get cameras(): readonly CameraStats[] {
    return this.cameraStats;
  }

  /** A configured camera's stats, all of its series at zero from now on. */
  addCamera(options: CameraStatsOptions): CameraStats {
    const stats = new CameraStats(options);
    this.cameraStats.push(stats);
    this.byName.set(stats.camera, stats);
    return stats;
  }

  camera(name: string): CameraStats | undefined {
    return this.byName.get(name);
  }
}
