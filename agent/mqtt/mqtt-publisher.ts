import { randomUUID } from 'node:crypto';
import type { MqttConfig } from '../config/mqtt-schema.js';
import type { Logger } from '../log.js';
import type { MqttMetrics } from '../metrics/mqtt-metrics.js';
import type { CameraStats } from '../metrics/camera-stats.js';
import type { FrameResult } from '../core/frame.js';
import type { ResultSink } from '../core/pipeline-ports.js';
import { redactUrl } from '../util/redact-url.js';
import { clientOptions } from './client-options.js';
import { detectionPayload } from './detection-payload.js';
import { MetricsSnapshotter } from './metrics-snapshot.js';
import { MqttLink } from './mqtt-link.js';
import { OutboundBuffer } from './outbound-buffer.js';
import type { MqttDropReason } from '../core/mqtt-message-kinds.js';
import type { OutboundMessage } from './outbound-message.js';
import { RateLimiter } from './rate-limiter.js';
import { MetricsSpool } from './spool.js';
import { MqttTopics } from './topics.js';

export interface MqttPublisherDeps {
  readonly config: MqttConfig;
  readonly device: { readonly id: string; readonly site: string };
  /** What the metrics snapshots carry. */
  readonly cameras: readonly CameraStats[];
  readonly mqttMetrics: MqttMetrics;
  /** Where the spool lives when `config.spool` is on. */
  readonly stateDir: string | undefined;
  readonly logger: Logger;
}

/**
 * Publishes detections (one message per processed frame) and periodic
 * metrics snapshots through one bounded buffer and one reconnecting link.
 * handle() only serialises and buffers, so a slow, refusing or absent
 * broker never holds up the pipeline.
 */
export class MqttPublisher implements ResultSink {
  readonly name = 'mqtt';
  private readonly topics: MqttTopics;
  private readonly buffer: OutboundBuffer;
  private readonly rateLimiter: RateLimiter | undefined;
  private readonly spool: MetricsSpool | undefined;
  private link: MqttLink | undefined;
  private snapshotTimer: NodeJS.Timeout | undefined;
  private pumping = false;
  private stopped = false;

  constructor(private readonly deps: MqttPublisherDeps) {
    const { config } = deps;
    this.topics = new MqttTopics(config.topic_prefix, deps.device.id);
    this.buffer = new OutboundBuffer({ maxMessages: config.buffer.max_messages, maxBytes: config.buffer.max_bytes }, (m, reason) => this.dropped(m, reason));
    this.rateLimiter = config.detections.max_per_second === undefined ? undefined : new RateLimiter(config.detections.max_per_second);
    this.spool = config.spool && deps.stateDir ? new MetricsSpool(deps.stateDir, deps.logger) : undefined;
  }

  /** Starts connecting in the background and returns at once: a broker that is down must not delay the pipeline. */
  start(): void {
    const { config, logger } = this.deps;
    this.link = new MqttLink(config.url, clientOptions(config, this.deps.device.id, this.topics.status), config.reconnect, logger);
    this.link.on('connected', () => this.onConnected());
    this.link.on('disconnected', () => this.deps.mqttMetrics.connected.set(0));
    this.link.on('delivered', (m) => this.onDelivered(m));
    this.link.on('lost', (messages) => this.onLost(messages));
    this.link.on('rejected', ({ message, err }) => {
      logger.warn({ topic: message.topic, bytes: message.payload.length, err }, 'broker refused a message');
      this.dropped(message, 'rejected');
      this.pump();
    });
    this.restoreSpool();
    this.link.start();
    // Created here, not in the constructor: the first interval must not include model loading.
    const { device, cameras } = this.deps;
    const snapshotter = new MetricsSnapshotter(cameras, { device: device.id, site: device.site, session: randomUUID() });
    this.snapshotTimer = setInterval(() => {
      try {
        this.publishSnapshot(snapshotter);
      } catch (err) {
        logger.error({ err }, 'metrics snapshot failed');
      }
    }, config.metrics_interval * 1000);
    logger.info({ url: redactUrl(config.url), statusTopic: this.topics.status, spool: this.spool?.file ?? null }, 'mqtt publisher started');
  }

  handle(result: FrameResult): void {
    const { detections } = this.deps.config;
    if (!detections.enabled || this.stopped) return;
    const camera = result.frame.meta.camera;
    if (this.rateLimiter && !this.rateLimiter.allow(camera, performance.now())) {
      this.deps.mqttMetrics.dropped.inc({ kind: 'detections', reason: 'rate_limit' });
      return;
    }
    const payload = Buffer.from(JSON.stringify(detectionPayload(result, this.deps.device.id)));
    this.enqueue({ kind: 'detections', topic: this.topics.detections(camera), payload, qos: detections.qos, retain: false });
  }

  /** Publishes `offline` and disconnects within `timeoutMs`, its share of the agent's shutdown budget. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopped = true;
    clearInterval(this.snapshotTimer);
    const link = this.link;
    if (!link) return;
    const offline: OutboundMessage = { kind: 'status', topic: this.topics.status, payload: Buffer.from('offline'), qos: 1, retain: true, order: -1 };
    await link.stop(offline, timeoutMs);
    this.deps.mqttMetrics.connected.set(0);
    // What never reached the broker: spooled snapshots wait on disk for the next start; the rest is counted.
    for (const message of this.buffer.takeAll()) {
      if (!message.spoolId) this.deps.mqttMetrics.dropped.inc({ kind: message.kind, reason: 'shutdown' });
    }
    this.updateGauges();
  }

  private publishSnapshot(snapshotter: MetricsSnapshotter): void {
    const snapshot = snapshotter.take();
    if (this.stopped) return;
    const payload = JSON.stringify(snapshot);
    const spoolId = this.spool ? `${snapshot.session}:${snapshot.seq}` : undefined;
    if (spoolId) this.spool?.append({ id: spoolId, topic: this.topics.metrics, payload });
    this.enqueue({ kind: 'metrics', topic: this.topics.metrics, payload: Buffer.from(payload), qos: 1, retain: false, spoolId, ...this.expiry() });
  }

  private expiry(): { expirySeconds?: number } {
    const seconds = this.deps.config.metrics_expiry_seconds;
    return seconds > 0 ? { expirySeconds: seconds } : {};
  }

  private restoreSpool(): void {
    const spooled = this.spool?.load() ?? [];
    for (const s of spooled) this.buffer.push({ kind: 'metrics', topic: s.topic, payload: Buffer.from(s.payload), qos: 1, retain: false, spoolId: s.id, ...this.expiry() });
    if (spooled.length > 0) this.deps.logger.info({ snapshots: spooled.length, file: this.spool?.file }, 'metrics snapshots restored from the MQTT spool');
    this.updateGauges();
  }

  private enqueue(message: Omit<OutboundMessage, 'order'>): void {
    this.buffer.push(message);
    this.pump();
  }

  private onConnected(): void {
    this.deps.mqttMetrics.connected.set(1);
    this.deps.mqttMetrics.connects.inc();
    // Retained, so a consumer subscribing later still learns the device is up; sent before anything buffered.
    this.link?.publish({ kind: 'status', topic: this.topics.status, payload: Buffer.from('online'), qos: 1, retain: true, order: -1 });
    this.pump();
  }

  private onDelivered(message: OutboundMessage): void {
    this.deps.mqttMetrics.published.inc({ kind: message.kind });
    if (message.spoolId) this.spool?.settled(message.spoolId);
    this.pump();
  }

  private onLost(messages: readonly OutboundMessage[]): void {
    this.buffer.requeue(messages.filter((m) => m.kind !== 'status'));
    this.updateGauges();
  }

  private dropped(message: OutboundMessage, reason: MqttDropReason): void {
    this.deps.mqttMetrics.dropped.inc({ kind: message.kind, reason });
    if (message.spoolId) this.spool?.settled(message.spoolId);
  }

  /** Hands buffered messages to the link, oldest first, while connected and under the in-flight cap. */
  private pump(): void {
    const link = this.link;
    if (this.pumping || !link) return;
    this.pumping = true;
    try {
      while (link.connected && link.inflightCount < this.deps.config.max_inflight) {
        const message = this.buffer.shift();
        if (!message) break;
        link.publish(message);
      }
    } finally {
      this.pumping = false;
      this.updateGauges();
    }
  }

  private updateGauges(): void {
    const inflight = this.link?.inflightCount ?? 0;
    this.deps.mqttMetrics.buffered.set(this.buffer.size + inflight);
    this.deps.mqttMetrics.bufferedBytes.set(this.buffer.bytes);
  }
}

