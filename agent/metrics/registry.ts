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
  /** agent.ts: whether the last config reload applied (1) or the file was refused (0), as Prometheus's own `prometheus_config_last_reload_successful`. */
  readonly configLastReloadSuccessful: Gauge;
  /** agent.ts: when the config in use was loaded, at start and at each successful reload. */
  readonly configLastReloadSuccessTimestamp: Gauge;

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
    this.configLastReloadSuccessful = new Gauge({
      name: 'config_last_reload_successful',
      help: 'Whether the last config reload (SIGHUP, systemctl reload, POST /-/reload) succeeded (1) or the file was refused and the old config kept (0)',
      registers,
    });
    this.configLastReloadSuccessTimestamp = new Gauge({
      name: 'config_last_reload_success_timestamp_seconds',
      help: 'Time (seconds since the epoch) the config in use was loaded: at start, then at each successful reload',
      registers,
    });
    this.configLastReloadSuccessful.set(1);
    this.configLastReloadSuccessTimestamp.set(Date.now() / 1000);
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

  /** A camera taken out of the config (issue 17): every series of it leaves /metrics and the MQTT snapshot. */
  removeCamera(name: string): void {
    const index = this.cameraStats.findIndex((s) => s.camera === name);
    if (index >= 0) this.cameraStats.splice(index, 1);
    this.byName.delete(name);
  }

  camera(name: string): CameraStats | undefined {
    return this.byName.get(name);
  }
}
