import { basename } from 'node:path';
import { CameraSource } from './capture/camera-source.js';
import { ffmpegCaptureOptions } from './capture/ffmpeg-options.js';
import { prepareOpenCvEnvironment } from './capture/opencv-binding.js';
import type { VigilConfig } from './config/schema.js';
import { CameraHealthTracker } from './health/camera-health.js';
import { assessReadiness, inferenceStuck, type Readiness } from './health/readiness.js';
import { HttpServer } from './http/http-server.js';
import { InferenceEngine } from './inference/inference-engine.js';
import { tensorKernelBuilt } from './util/tensor-kernel.js';
import type { Logger } from './log.js';
import { MetricsSink } from './metrics/metrics-sink.js';
import { MqttMetrics } from './metrics/mqtt-metrics.js';
import { PreviewMetrics } from './metrics/preview-metrics.js';
import { MqttPublisher } from './mqtt/mqtt-publisher.js';
import { VigilMetrics } from './metrics/registry.js';
import { InferenceDispatcher } from './pipeline/dispatcher.js';
import type { CapturedFrame } from './core/frame.js';
import type { ResultSink } from './core/pipeline-ports.js';
import { SinkFanout } from './pipeline/sinks.js';
import { PreviewHub } from './preview/preview-hub.js';
import { mountPreview } from './preview/preview-routes.js';
import { FrameQueue } from './queue/frame-queue.js';
import type { Liveness } from './systemd/service-notifier.js';
import { TypedEmitter } from './util/typed-emitter.js';
import { withTimeout } from './util/clock.js';
import { VERSION } from './version.js';

/** Each stage gets this long to stop before the agent moves on without it. */
const STOP_TIMEOUT_MS = 4000;

/**
 * The composition root: builds every stage, starts consumers before
 * producers (sinks and outputs → inference → queues → capture) and stops them in
 * reverse. Read this file first.
 */
export class Agent extends TypedEmitter<{ fatal: Error }> {
  readonly metrics = new VigilMetrics();
  private readonly engine: InferenceEngine;
  private readonly http: HttpServer;
  private readonly dispatcher: InferenceDispatcher;
  private readonly sources: CameraSource[] = [];
  private readonly mqtt: MqttPublisher | undefined;
  private readonly health: CameraHealthTracker[] = [];
  private readonly preview: PreviewHub | undefined;

  constructor(
    private readonly config: Readonly<VigilConfig>,
    private readonly logger: Logger,
    extraSinks: readonly ResultSink[] = [],
  ) {
    super();
    if (config.metrics.constant_labels) this.metrics.registry.setDefaultLabels({ device: config.device.id, site: config.device.site });
    const cameras = config.cameras.filter((c) => c.enabled);
    if (config.mqtt?.enabled) {
      this.mqtt = new MqttPublisher({
        config: config.mqtt,
        device: config.device,
        cameras: cameras.map((c) => c.name),
        metrics: this.metrics,
        mqttMetrics: new MqttMetrics(this.metrics.registry),
        stateDir: config.state_dir,
        logger: logger.child({ component: 'mqtt' }),
      });
    }
    if (config.preview.enabled) {
      this.preview = new PreviewHub({
        config: config.preview,
        cameras: this.sources,
        states: () => Object.fromEntries(this.health.map((h) => [h.camera, h.snapshot().state])),
        metrics: new PreviewMetrics(this.metrics.registry),
        logger: logger.child({ component: 'preview' }),
      });
    }
    const outputs = [new MetricsSink(this.metrics), ...(this.mqtt ? [this.mqtt] : []), ...(this.preview ? [this.preview] : []), ...extraSinks];
    const sinks = new SinkFanout(outputs, logger.child({ component: 'sinks' }));
    this.engine = new InferenceEngine({ config, logger: logger.child({ component: 'inference' }), metrics: this.metrics });
    this.dispatcher = new InferenceDispatcher(this.engine, sinks, this.metrics, logger.child({ component: 'dispatcher' }));
    this.http = new HttpServer(config.http, this.metrics.registry, logger.child({ component: 'http' }));
    this.http.route('/readyz', (_req, res) => {
      const readiness = this.readiness();
      res.writeHead(readiness.ready ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(`${JSON.stringify(readiness)}\n`);
    });
    if (this.preview) mountPreview(this.http, this.preview);
    for (const camera of cameras) {
      const source = new CameraSource({ camera, capture: config.capture, logger, metrics: this.metrics });
      const queue = new FrameQueue<CapturedFrame>(camera.queue_capacity, () => this.metrics.framesDropped.inc({ camera: camera.name, reason: 'queue_full' }));
      const health = new CameraHealthTracker(camera.name, () => performance.now(), () => queue.size);
      this.health.push(health);
      source.on('status', ({ state }) => health.onState(state));
      source.on('preview', ({ meta, image }) => this.preview?.offer(meta, image));
      source.on('frame', (frame) => {
        health.onFrame();
        this.metrics.framesSent.inc({ camera: camera.name });
        queue.push(frame);
        this.metrics.queueSize.set({ camera: camera.name }, queue.size);
        this.dispatcher.pump();
      });
      source.on('skipped', ({ reason }) => this.metrics.framesDropped.inc({ camera: camera.name, reason }));
      this.dispatcher.addLane({ source, queue, onDemand: camera.file_pace === 'on_demand' });
      this.sources.push(source);
      this.metrics.registerCamera(camera.name, camera.queue_capacity);
    }
  }

  get httpPort(): number {
    return this.http.port;
  }

  /** /readyz: per camera state, frame age, fps and queue; not ready when a camera stays down or inference is stuck. */
  readiness(): Readiness {
    return assessReadiness(
      this.health.map((h) => h.snapshot()),
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

  /** Loads the models (a bad model rejects: exit 2), then starts serving and capturing. */
  async start(): Promise<void> {
    const { capture, device } = this.config;
    prepareOpenCvEnvironment(
      ffmpegCaptureOptions({ rtspTransport: capture.rtsp_transport, timeoutSeconds: capture.rtsp_timeout_seconds, analyzeDurationMicros: capture.analyze_duration_micros }),
    );
    const models = await this.engine.start();
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
    await this.http.start();
    this.mqtt?.start();
    this.preview?.start();
    this.dispatcher.start();
    if (!tensorKernelBuilt()) {
      this.logger.warn('native/tensor-kernel is not built (npm run build:native): detector tensors are built with OpenCV and classifier crops in JS instead, at more CPU a frame');
    }
    for (const source of this.sources) source.start(models.detector.recipe, models.classifier !== null);
    this.logger.info({ cameras: this.sources.map((s) => s.name), version: VERSION, device: device.id }, 'agent started');
  }

  /** Stops producers first; each stage is bounded by a timeout and a failure is logged, not thrown. */
  async stop(): Promise<void> {
    const steps: [string, () => Promise<void>][] = [
      ['capture', async () => void (await Promise.all(this.sources.map((s) => s.stop())))],
      ['dispatcher', () => Promise.resolve(this.dispatcher.stop())],
      ['inference', () => this.engine.stop()],
      ['mqtt', async () => this.mqtt?.stop()],
      ['preview', () => Promise.resolve(this.preview?.stop())],
      ['http', () => this.http.stop()],
    ];
    for (const [name, step] of steps) {
      try {
        const finished = await withTimeout(step().then(() => true), STOP_TIMEOUT_MS, () => false);
        if (!finished) this.logger.warn({ stage: name, timeoutMs: STOP_TIMEOUT_MS }, 'stage did not stop in time');
      } catch (err) {
        this.logger.error({ stage: name, err }, 'stage failed to stop');
      }
    }
    this.logger.info('agent stopped');
  }
}
