import { basename } from 'node:path';
import { CameraPipeline, type TrackClasses } from './camera-pipeline.js';
import { CaptureWorkerPool } from './capture/capture-worker-pool.js';
import { ffmpegCaptureOptions } from './capture/ffmpeg-options.js';
import { prepareOpenCvEnvironment } from './capture/opencv-binding.js';
import { ConfigError, formatIssue, loadConfig } from './config/load.js';
import type { CameraConfig, VigilConfig } from './config/schema.js';
import type { ResultSink } from './core/pipeline-ports.js';
import { errorMessage, ErrorCode } from './errors.js';
import { assessReadiness, inferenceStuck, type Readiness } from './health/readiness.js';
import { HttpServer } from './http/http-server.js';
import { InferenceEngine } from './inference/inference-engine.js';
import type { ModelsInfo } from './inference/inference-worker-handle.js';
import { intervalSetting } from './config/density-schema.js';
import { diffConfig, isEmptyDiff, type ConfigDiff } from './config/diff.js';
import { StageList } from './lifecycle/stage-list.js';
import type { Logger } from './log.js';
import { MetricsSink } from './metrics/metrics-sink.js';
import { MqttMetrics } from './metrics/mqtt-metrics.js';
import { PreviewMetrics } from './metrics/preview-metrics.js';
import { VigilMetrics } from './metrics/registry.js';
import { MqttPublisher } from './mqtt/mqtt-publisher.js';
import { InferenceDispatcher } from './pipeline/dispatcher.js';
import { SinkFanout } from './pipeline/sinks.js';
import { PreviewHub, type PreviewCamera } from './preview/preview-hub.js';
import { mountPreview } from './preview/preview-routes.js';
import { mountReload } from './http/reload-route.js';
import type { Liveness } from './systemd/service-notifier.js';
import { tensorKernelBuilt } from './util/tensor-kernel.js';
import { delay } from './util/clock.js';
import { TypedEmitter } from './util/typed-emitter.js';
import { VERSION } from './version.js';

/** The whole shutdown, every stage in reverse start order, fits in this: well inside systemd's TimeoutStopSec (15 s). */
const SHUTDOWN_BUDGET_MS = 4500;
/** How long a stop waits for a reload under way before it stops the stages anyway. */
const RELOAD_WAIT_MS = 3000;
/** A replaced MQTT publisher's share of a reload: its last messages, then the retained offline. */
const MQTT_STOP_MS = 2000;

/** What a config reload did (POST /-/reload answers it as JSON). */
export type ReloadOutcome = { readonly ok: true; readonly changes: ConfigDiff } | { readonly ok: false; readonly errors: readonly string[] };

/**
 * The composition root: builds every part, then runs them as a list of
 * stages (lifecycle/stage-list.ts). Read this file first. A config reload
 * (reload()) replaces only the parts whose config changed.
 */
export class Agent extends TypedEmitter<{ fatal: Error }> {
  readonly metrics = new VigilMetrics();
  private engine: InferenceEngine;
  private cameras: CameraPipeline[];
  private readonly dispatcher: InferenceDispatcher;
  private readonly preview: PreviewHub | undefined;
  /** What the preview hub sees, kept in step with `cameras` by reloads. */
  private readonly previewCameras: PreviewCamera[] = [];
  private readonly sceneConfigs: CameraConfig[] = [];
  private mqtt: MqttPublisher | undefined;
  private mqttMetrics: MqttMetrics | undefined;
  /** The sink fan-out's list: a reload swaps the MQTT publisher in it. */
  private readonly outputs: ResultSink[];
  private readonly http: HttpServer;
  private readonly stages: StageList;
  /** The capture worker threads, shared by the cameras (issue 16); the cameras' start and stop start and stop them. */
  private readonly capturePool: CaptureWorkerPool;
  private models: ModelsInfo | undefined;
  private running = false;
  /** Reloads run one at a time, in the order they were asked for. */
  private reloads: Promise<unknown> = Promise.resolve();
  private reloading = 0;

  /** `configFile`: where reloads read the config again (SIGHUP, POST /-/reload); without it the agent cannot reload. */
  constructor(
    private config: Readonly<VigilConfig>,
    private readonly logger: Logger,
    extraSinks: readonly ResultSink[] = [],
    private readonly configFile?: string,
  ) {
    super();
    if (config.metrics.constant_labels) this.metrics.registry.setDefaultLabels({ device: config.device.id, site: config.device.site });
    this.engine = this.inferenceEngine(config);
    this.capturePool = new CaptureWorkerPool({ workers: config.capture.workers, logger });
    this.cameras = config.cameras.filter((camera) => camera.enabled).map((camera) => this.cameraPipeline(camera, config));
    this.previewCameras.push(...this.cameras.map((c) => c.source));
    this.sceneConfigs.push(...config.cameras);
    this.mqtt = config.mqtt?.enabled ? this.mqttPublisher(config.mqtt, config) : undefined;
    const preview = config.preview.enabled ? this.previewHub(config.preview) : undefined;
    this.preview = preview;
    this.outputs = [new MetricsSink(this.metrics), ...(this.mqtt ? [this.mqtt] : []), ...(preview ? [preview] : []), ...extraSinks];
    this.dispatcher = new InferenceDispatcher(this.engine, new SinkFanout(this.outputs, logger.child({ component: 'sinks' })), logger.child({ component: 'dispatcher' }));
    for (const camera of this.cameras) this.dispatcher.addLane(camera);
    this.http = new HttpServer(config.http, this.metrics.registry, logger.child({ component: 'http' }));
    if (configFile !== undefined) mountReload(this.http, () => this.reload('http'));
    this.http.route('/readyz', (_req, res) => {
      const readiness = this.readiness();
      res.writeHead(readiness.ready ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(`${JSON.stringify(readiness)}\n`);
    });
    if (preview) mountPreview(this.http, preview);

    // Consumers before producers, except that the models load first: a bad model exits 2 before anything is served.
    this.stages = new StageList(
      [
        { name: 'inference', start: () => this.loadModels(), stop: () => this.engine.stop() },
        { name: 'http', start: () => this.http.start(), stop: () => this.http.stop() },
        // Always listed: a reload may turn MQTT on.
        { name: 'mqtt', start: () => this.mqtt?.start(), stop: (timeoutMs: number) => this.mqtt?.stop(timeoutMs) },
        ...(preview ? [{ name: 'preview', start: () => preview.start(), stop: () => preview.stop() }] : []),
        { name: 'dispatcher', start: () => this.dispatcher.start(), stop: () => this.dispatcher.stop() },
        { name: 'capture', start: () => this.startCapture(), stop: async () => void (await Promise.all(this.cameras.map((c) => c.stop()))) },
      ],
      logger,
    );
  }

  get httpPort(): number {
    return this.http.port;
  }

  get cameraCount(): number {
    return this.cameras.length;
  }

  /** A bad model rejects (exit 2), with whatever had started stopped again. */
  async start(): Promise<void> {
    await this.stages.start(SHUTDOWN_BUDGET_MS);
    this.running = true;
    this.logger.info({ cameras: this.cameras.map((c) => c.name), version: VERSION, device: this.config.device.id }, 'agent started');
  }

  /** Stops the stages in reverse start order within the shutdown budget; a stage that fails or overruns is logged, not thrown. */
  async stop(): Promise<void> {
    this.running = false;
    // A reload under way finishes first (its camera starts and stops are bounded), so nothing it starts is left running.
    if (this.reloading) await Promise.race([this.reloads, delay(RELOAD_WAIT_MS)]);
    await this.stages.stop(SHUTDOWN_BUDGET_MS);
    this.logger.info('agent stopped');
  }

  /** /readyz: per camera state, frame age, fps and queue; not ready when a camera stays down or inference is stuck. */
  readiness(): Readiness {
    return assessReadiness(
      this.cameras.map((c) => c.health.snapshot()),
      this.engine.oldestRunSeconds,
      this.thresholds(),
    );
  }

  /** For the systemd watchdog: only a wedged inference is worth a restart of the whole agent. */
  liveness(): Liveness {
    const oldest = this.engine.oldestRunSeconds;
    return inferenceStuck(oldest, this.thresholds()) ? { alive: false, reason: `inference run in progress for ${oldest.toFixed(1)} s` } : { alive: true };
  }

  private thresholds(): { disconnectedSeconds: number; inferenceStallSeconds: number } {
    const { health } = this.config;
    return { disconnectedSeconds: health.disconnected_seconds, inferenceStallSeconds: health.inference_stall_seconds };
  }

  /**
   * Reads the config file again and applies it with the least disruption
   * (config/diff.ts says what changed); an invalid file changes
   * nothing. One reload at a time: a second waits for the first.
   */
  reload(trigger: string): Promise<ReloadOutcome> {
    this.reloading += 1;
    const run = this.reloads.then(() => this.reloadOnce(trigger)).finally(() => (this.reloading -= 1));
    this.reloads = run.catch(() => undefined);
    return run;
  }

  private async reloadOnce(trigger: string): Promise<ReloadOutcome> {
    const file = this.configFile;
    if (!this.running || file === undefined) {
      const reason = file === undefined ? 'the agent was started without a config file' : 'the agent is not running (starting or stopping)';
      this.logger.warn({ trigger }, `config reload ignored: ${reason}`);
      return { ok: false, errors: [reason] };
    }
    let next: Readonly<VigilConfig>;
    let changes: ConfigDiff;
    try {
      next = loadConfig(file);
      changes = diffConfig(this.config, next);
      if (changes.restart.includes('inference')) await this.swapInference(next);
    } catch (err) {
      const errors = err instanceof ConfigError ? err.issues.map(formatIssue) : [errorMessage(err)];
      this.metrics.configLastReloadSuccessful.set(0);
      this.logger.error({ code: ErrorCode.CONFIG_RELOAD, trigger, file, errors }, 'config reload refused, the running config is kept');
      return { ok: false, errors };
    }
    try {
      await this.apply(changes, next);
    } catch (err) {
      // A valid file that could not be applied in full (an HTTP port taken): what did apply stays; a restart applies the rest.
      this.metrics.configLastReloadSuccessful.set(0);
      this.logger.error({ code: ErrorCode.CONFIG_RELOAD, trigger, file, err: errorMessage(err) }, 'config reload applied only in part');
      return { ok: false, errors: [errorMessage(err)] };
    }
    this.metrics.configLastReloadSuccessful.set(1);
    this.metrics.configLastReloadSuccessTimestamp.set(Date.now() / 1000);
    if (isEmptyDiff(changes)) this.logger.info({ trigger, file }, 'config reloaded: nothing changed');
    else this.logger.info({ trigger, file, ...changes.cameras, restart: changes.restart, live: changes.live }, 'config reloaded');
    if (changes.needsRestart.length > 0) this.logger.warn({ keys: changes.needsRestart }, 'config changes that apply only at the next restart (systemctl restart vigil)');
    return { ok: true, changes };
  }

  /** Everything but the inference swap (done first: a model that fails to load refuses the whole file). */
  private async apply(changes: ConfigDiff, next: Readonly<VigilConfig>): Promise<void> {
    const { added, removed, restarted, scene } = changes.cameras;
    // What only a restart applies keeps its running value, so a later reload reports it again.
    const kept = Object.fromEntries(changes.needsRestart.map((key) => [key, this.config[key as keyof VigilConfig]]));
    this.config = { ...next, ...kept };
    const config = this.config;
    await Promise.all([...removed, ...restarted].map((name) => this.removeCamera(name)));
    for (const name of [...restarted, ...added]) this.addCamera(config.cameras.find((c) => c.name === name)!, config);
    for (const name of scene) this.cameras.find((c) => c.name === name)?.applyScene(config.cameras.find((c) => c.name === name)!, config.tracker, config.detector.classes);
    this.sceneConfigs.splice(0, this.sceneConfigs.length, ...config.cameras);
    if (changes.restart.includes('mqtt')) await this.restartMqtt(config);
    else if ([added, removed, restarted, scene].some((names) => names.length > 0)) this.mqtt?.updateScenes(config.cameras, [...restarted, ...scene]);
    if (changes.restart.includes('http')) await this.http.reconfigure(config.http);
  }

  private async removeCamera(name: string): Promise<void> {
    const camera = this.cameras.find((c) => c.name === name);
    if (!camera) return;
    this.cameras = this.cameras.filter((c) => c !== camera);
    this.previewCameras.splice(this.previewCameras.indexOf(camera.source), 1);
    this.dispatcher.removeLane(camera);
    await camera.stop();
    this.metrics.removeCamera(name);
  }

  private addCamera(camera: CameraConfig, config: Readonly<VigilConfig>): void {
    const pipeline = this.cameraPipeline(camera, config);
    this.cameras.push(pipeline);
    this.previewCameras.push(pipeline.source);
    this.dispatcher.addLane(pipeline);
    const { detector, classifier } = this.models!;
    pipeline.start(detector.recipe, classifier !== null);
  }

  /**
   * New models or inference settings: the new workers load while the old
   * ones keep serving, then frames go to the new ones and the old retire
   * (frames they still held are counted as dropped, reason inference_error).
   * Cameras restart only when the detector's input changed.
   */
  private async swapInference(next: Readonly<VigilConfig>): Promise<void> {
    const engine = this.inferenceEngine(next);
    let models: ModelsInfo;
    try {
      models = await engine.start();
    } catch (err) {
      await engine.stop();
      throw err;
    }
    const old = this.engine;
    const recipeChanged = JSON.stringify(models.detector.recipe) !== JSON.stringify(this.models?.detector.recipe);
    this.engine = engine;
    this.models = models;
    this.watchEngine(engine);
    this.dispatcher.setEngine(engine);
    for (const camera of this.cameras) camera.applyClassifier(this.trackClasses(next));
    this.setInfo(next, models);
    await old.stop();
    // Another input size or layout: the capture workers build other tensors, so every camera reconnects (its counts start again).
    if (!recipeChanged) return;
    this.logger.warn('the new detector takes another input: every camera restarts');
    for (const camera of [...this.cameras]) {
      const config = next.cameras.find((c) => c.name === camera.name && c.enabled);
      await this.removeCamera(camera.name);
      if (config) this.addCamera(config, next);
    }
  }

  private async restartMqtt(config: Readonly<VigilConfig>): Promise<void> {
    const old = this.mqtt;
    this.mqtt = config.mqtt?.enabled ? this.mqttPublisher(config.mqtt, config) : undefined;
    if (old) {
      await old.stop(MQTT_STOP_MS);
      this.outputs.splice(this.outputs.indexOf(old), 1);
    }
    if (this.mqtt) {
      this.outputs.splice(1, 0, this.mqtt);
      this.mqtt.start();
    }
  }

  private cameraPipeline(camera: CameraConfig, config: Readonly<VigilConfig>): CameraPipeline {
    return new CameraPipeline({
      camera,
      capture: config.capture,
      capturePool: this.capturePool,
      classifier: config.classifier?.enabled ?? false,
      trackClasses: this.trackClasses(config),
      tracker: config.tracker,
      interval: intervalSetting(camera, config.detector),
      classes: config.detector.classes,
      metrics: this.metrics,
      logger: this.logger,
      onQueued: () => this.dispatcher.pump(),
      onPreview: (meta, image) => this.preview?.offer(meta, image),
      onTracksEnd: (lane) => this.dispatcher.endScene(lane),
      onSkipped: (lane, frame) => this.dispatcher.passSkipped(lane, frame),
      skippedWaiting: (lane) => this.dispatcher.skippedWaiting(lane),
      onDropped: (lane, frame) => this.dispatcher.frameDropped(lane, frame),
    });
  }

  /** classifier.mode per_track (issue 16): the tracked cameras classify their tracks through the engine in use. */
  private trackClasses(config: Readonly<VigilConfig>): TrackClasses | undefined {
    const { classifier } = config;
    if (!classifier?.enabled || classifier.mode !== 'per_track') return undefined;
    return { config: classifier, classify: (frame, boxes) => this.engine.classify(frame, boxes) };
  }

  private inferenceEngine(config: Readonly<VigilConfig>): InferenceEngine {
    return new InferenceEngine({ config, logger: this.logger.child({ component: 'inference' }), metrics: this.metrics });
  }

  private mqttPublisher(mqtt: NonNullable<VigilConfig['mqtt']>, config: Readonly<VigilConfig>): MqttPublisher {
    this.mqttMetrics ??= new MqttMetrics(this.metrics.registry);
    return new MqttPublisher({
      config: mqtt,
      device: config.device,
      cameras: this.metrics.cameras,
      scenes: config.cameras,
      mqttMetrics: this.mqttMetrics,
      stateDir: config.state_dir,
      logger: this.logger.child({ component: 'mqtt' }),
    });
  }

  private previewHub(config: VigilConfig['preview']): PreviewHub {
    return new PreviewHub({
      config,
      cameras: this.previewCameras,
      cameraConfigs: this.sceneConfigs,
      states: () => Object.fromEntries(this.cameras.map((c) => [c.name, c.health.snapshot().state])),
      metrics: new PreviewMetrics(this.metrics.registry),
      logger: this.logger.child({ component: 'preview' }),
    });
  }

  private async loadModels(): Promise<void> {
    const { capture } = this.config;
    prepareOpenCvEnvironment(
      ffmpegCaptureOptions({ rtspTransport: capture.rtsp_transport, timeoutSeconds: capture.rtsp_timeout_seconds, analyzeDurationMicros: capture.analyze_duration_micros }),
    );
    const models = await this.engine.start();
    this.models = models;
    this.setInfo(this.config, models);
    this.watchEngine(this.engine);
  }

  private setInfo(config: Readonly<VigilConfig>, models: ModelsInfo): void {
    const { device } = config;
    this.metrics.info.reset();
    this.metrics.info.set(
      {
        version: VERSION,
        device: device.id,
        site: device.site,
        detector_provider: models.detector.provider,
        classifier_provider: models.classifier?.provider ?? 'none',
        detector_model: basename(config.detector.model),
        classifier_model: config.classifier?.enabled ? basename(config.classifier.model) : 'none',
      },
      1,
    );
  }

  /** Only the engine in use speaks for the agent: a retired one's late events are ignored. */
  private watchEngine(engine: InferenceEngine): void {
    engine.on('fatal', (err) => {
      if (engine === this.engine) this.emit('fatal', err);
    });
    engine.on('restarted', () => {
      if (engine === this.engine) this.dispatcher.pump();
    });
  }

  private startCapture(): void {
    if (!tensorKernelBuilt()) {
      this.logger.warn('native/tensor-kernel is not built (npm run build:native): detector tensors are built with OpenCV and classifier crops in JS instead, at more CPU a frame');
    }
    const { detector, classifier } = this.models!;
    for (const camera of this.cameras) camera.start(detector.recipe, classifier !== null);
  }
}
