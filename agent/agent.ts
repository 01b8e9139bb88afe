import { basename } from 'node:path';
import { CameraPipeline } from './camera-pipeline.js';
import { ffmpegCaptureOptions } from './capture/ffmpeg-options.js';
import { prepareOpenCvEnvironment } from './capture/opencv-binding.js';
import type { VigilConfig } from './config/schema.js';
import type { ResultSink } from './core/pipeline-ports.js';
import { assessReadiness, inferenceStuck, type Readiness } from './health/readiness.js';
import { HttpServer } from './http/http-server.js';
import { InferenceEngine } from './inference/inference-engine.js';
import type { ModelsInfo } from './inference/inference-worker-handle.js';
import { StageList } from './lifecycle/stage-list.js';
import type { Logger } from './log.js';
import { MetricsSink } from './metrics/metrics-sink.js';
import { MqttMetrics } from './metrics/mqtt-metrics.js';
import { PreviewMetrics } from './metrics/preview-metrics.js';
import { VigilMetrics } from './metrics/registry.js';
import { MqttPublisher } from './mqtt/mqtt-publisher.js';
import { InferenceDispatcher } from './pipeline/dispatcher.js';
import { SinkFanout } from './pipeline/sinks.js';
import { PreviewHub } from './preview/preview-hub.js';
import { mountPreview } from './preview/preview-routes.js';
import type { Liveness } from './systemd/service-notifier.js';
import { tensorKernelBuilt } from './util/tensor-kernel.js';
import { TypedEmitter } from './util/typed-emitter.js';
import { VERSION } from './version.js';

/** The whole shutdown, every stage in reverse start order, fits in this: well inside systemd's TimeoutStopSec (15 s). */
const SHUTDOWN_BUDGET_MS = 4500;

/**
 * The composition root: builds every part, then runs them as a list of
 * stages (lifecycle/stage-list.ts). Read this file first.
 */
export class Agent extends TypedEmitter<{ fatal: Error }> {
  readonly metrics = new VigilMetrics();
  private readonly engine: InferenceEngine;
  private readonly cameras: CameraPipeline[];
  private readonly dispatcher: InferenceDispatcher;
  private readonly preview: PreviewHub | undefined;
  private readonly http: HttpServer;
  private readonly stages: StageList;
  private models: ModelsInfo | undefined;

  constructor(
    private readonly config: Readonly<VigilConfig>,
    private readonly logger: Logger,
    extraSinks: readonly ResultSink[] = [],
  ) {
    super();
    if (config.metrics.constant_labels) this.metrics.registry.setDefaultLabels({ device: config.device.id, site: config.device.site });
    this.engine = new InferenceEngine({ config, logger: logger.child({ component: 'inference' }), metrics: this.metrics });
    this.cameras = config.cameras
      .filter((camera) => camera.enabled)
      .map(
        (camera) =>
          new CameraPipeline({
            camera,
            capture: config.capture,
            classifier: config.classifier?.enabled ?? false,
            tracker: config.tracker,
            classes: config.detector.classes,
            metrics: this.metrics,
            logger,
            onQueued: () => this.dispatcher.pump(),
            onPreview: (meta, image) => this.preview?.offer(meta, image),
            onTracksEnd: (lane) => this.dispatcher.endScene(lane),
          }),
      );
    const mqtt = config.mqtt?.enabled ? this.mqttPublisher(config.mqtt) : undefined;
    const preview = config.preview.enabled ? this.previewHub(config.preview) : undefined;
    this.preview = preview;
    const outputs = [new MetricsSink(this.metrics), ...(mqtt ? [mqtt] : []), ...(preview ? [preview] : []), ...extraSinks];
    this.dispatcher = new InferenceDispatcher(this.engine, new SinkFanout(outputs, logger.child({ component: 'sinks' })), logger.child({ component: 'dispatcher' }));
    for (const camera of this.cameras) this.dispatcher.addLane(camera);
    this.http = new HttpServer(config.http, this.metrics.registry, logger.child({ component: 'http' }));
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
        ...(mqtt ? [{ name: 'mqtt', start: () => mqtt.start(), stop: (timeoutMs: number) => mqtt.stop(timeoutMs) }] : []),
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

  /** A bad model rejects (exit 2), with whatever had started stopped again. */
  async start(): Promise<void> {
    await this.stages.start(SHUTDOWN_BUDGET_MS);
    this.logger.info({ cameras: this.cameras.map((c) => c.name), version: VERSION, device: this.config.device.id }, 'agent started');
  }

  /** Stops the stages in reverse start order within the shutdown budget; a stage that fails or overruns is logged, not thrown. */
  async stop(): Promise<void> {
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

  private mqttPublisher(config: NonNullable<VigilConfig['mqtt']>): MqttPublisher {
    return new MqttPublisher({
      config,
      device: this.config.device,
      cameras: this.metrics.cameras,
      scenes: this.config.cameras,
      mqttMetrics: new MqttMetrics(this.metrics.registry),
      stateDir: this.config.state_dir,
      logger: this.logger.child({ component: 'mqtt' }),
    });
  }

  private previewHub(config: VigilConfig['preview']): PreviewHub {
    return new PreviewHub({
      config,
      cameras: this.cameras.map((c) => c.source),
      cameraConfigs: this.config.cameras,
      states: () => Object.fromEntries(this.cameras.map((c) => [c.name, c.health.snapshot().state])),
      metrics: new PreviewMetrics(this.metrics.registry),
      logger: this.logger.child({ component: 'preview' }),
    });
  }

  private async loadModels(): Promise<void> {
    const { capture, device } = this.config;
    prepareOpenCvEnvironment(
      ffmpegCaptureOptions({ rtspTransport: capture.rtsp_transport, timeoutSeconds: capture.rtsp_timeout_seconds, analyzeDurationMicros: capture.analyze_duration_micros }),
    );
    const models = await this.engine.start();
    this.models = models;
    this.metrics.info.set(
      {
        version: VERSION,
        device: device.id,
        site: device.site,
        detector_provider: models.detector.provider,
        classifier_provider: models.classifier?.provider ?? 'none',
        detector_model: basename(this.config.detector.model),
        classifier_model: this.config.classifier?.enabled ? basename(this.config.classifier.model) : 'none',
      },
      1,
    );
    this.engine.on('fatal', (err) => this.emit('fatal', err));
    this.engine.on('restarted', () => this.dispatcher.pump());
  }

  private startCapture(): void {
    if (!tensorKernelBuilt()) {
      this.logger.warn('native/tensor-kernel is not built (npm run build:native): detector tensors are built with OpenCV and classifier crops in JS instead, at more CPU a frame');
    }
    const { detector, classifier } = this.models!;
    for (const camera of this.cameras) camera.start(detector.recipe, classifier !== null);
  }
}
