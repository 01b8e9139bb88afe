import { randomUUID } from 'node:crypto';
import type { MqttConfig } from '../config/mqtt-schema.js';
import type { Logger } from '../log.js';
import type { MqttMetrics } from '../metrics/mqtt-metrics.js';
import type { CameraStats } from '../metrics/camera-stats.js';
import type { FrameResult } from '../core/frame.js';
import type { ResultSink } from '../core/pipeline-ports.js';
import type { SceneCounts, SceneUpdate } from '../core/scene.js';
import { VERSION } from '../version.js';
import { redactUrl } from '../util/redact-url.js';
import { clientOptions } from './client-options.js';
import { detectionPayload } from './detection-payload.js';
import { discoveryConfigs, discoveryFilter, type DiscoveryConfig } from './home-assistant.js';
import { MetricsSnapshotter } from './metrics-snapshot.js';
import { MqttLink } from './mqtt-link.js';
import { OutboundBuffer } from './outbound-buffer.js';
import type { MqttDropReason } from '../core/mqtt-message-kinds.js';
import type { OutboundMessage } from './outbound-message.js';
import { RateLimiter } from './rate-limiter.js';
import { countsPayload, eventPayload, NO_COUNTS, type SceneLayout } from './scene-payloads.js';
import { MetricsSpool } from './spool.js';
import { MqttTopics } from './topics.js';

export interface MqttPublisherDeps {
  readonly config: MqttConfig;
  readonly device: { readonly id: string; readonly site: string };
  /** What the metrics snapshots carry. */
  readonly cameras: readonly CameraStats[];
  /** The cameras' zones and lines (`cameras[]`), for the counts and Home Assistant discovery; a camera left out has none. */
  readonly scenes?: readonly SceneLayout[];
  readonly mqttMetrics: MqttMetrics;
  /** Where the spool lives when `config.spool` is on. */
  readonly stateDir: string | undefined;
  readonly logger: Logger;
}

/** How often the cameras' connected state is looked at, for the counts' `connected` (and Home Assistant's binary_sensor). */
const CONNECTED_POLL_MS = 1000;

/** A camera's place in the events and counts sequences, and the state its retained counts carry. */
interface CameraScene {
  eventSeq: number;
  countsSeq: number;
  counts: SceneCounts;
  /** Connected state, zones and lines as last published (JSON); undefined before the first counts message. */
  published: string | undefined;
}

/**
 * Publishes detections (one message per processed frame), track events,
 * retained counts, Home Assistant discovery and periodic metrics snapshots
 * through one bounded buffer and one reconnecting link.
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
  private connectedTimer: NodeJS.Timeout | undefined;
  private readonly session = randomUUID();
  private readonly scenes = new Map<string, CameraScene>();
  private readonly discovery: { readonly filter: string; readonly configs: Map<string, DiscoveryConfig> } | undefined;
  private pumping = false;
  private stopped = false;
  /** The cameras' zones and lines: `deps.scenes`, then what a reload gives (updateScenes). */
  private layouts: readonly SceneLayout[];

  constructor(private readonly deps: MqttPublisherDeps) {
    const { config } = deps;
    this.topics = new MqttTopics(config.topic_prefix, deps.device.id);
    this.buffer = new OutboundBuffer({ maxMessages: config.buffer.max_messages, maxBytes: config.buffer.max_bytes }, (m, reason) => this.dropped(m, reason));
    this.rateLimiter = config.detections.max_per_second === undefined ? undefined : new RateLimiter(config.detections.max_per_second);
    this.spool = config.spool && deps.stateDir ? new MetricsSpool(deps.stateDir, deps.logger) : undefined;
    this.layouts = deps.scenes ?? [];
    for (const stats of deps.cameras) this.scenes.set(stats.camera, { eventSeq: 0, countsSeq: 0, counts: NO_COUNTS, published: undefined });
    const ha = config.home_assistant;
    if (ha.enabled) this.discovery = { filter: discoveryFilter(ha.discovery_prefix, deps.device.id), configs: this.discoveryConfigs() };
  }

  /**
   * Cameras added, removed or given other zones and lines by a config reload
   * (issue 17), in the same session: their counts start again, and Home
   * Assistant gets the new entities and loses the ones gone.
   */
  updateScenes(layouts: readonly SceneLayout[], reset: readonly string[]): void {
    this.layouts = layouts;
    for (const camera of [...this.scenes.keys()]) if (!this.deps.cameras.some((c) => c.camera === camera)) this.scenes.delete(camera);
    for (const { camera } of this.deps.cameras) {
      if (!this.scenes.has(camera) || reset.includes(camera)) this.scenes.set(camera, { eventSeq: 0, countsSeq: 0, counts: NO_COUNTS, published: undefined });
    }
    if (this.discovery) {
      const configs = this.discoveryConfigs();
      for (const topic of this.discovery.configs.keys()) if (!configs.has(topic)) this.publishDiscovery(topic, Buffer.alloc(0));
      this.discovery.configs.clear();
      for (const [topic, c] of configs) {
        this.discovery.configs.set(topic, c);
        this.publishDiscovery(topic, Buffer.from(JSON.stringify(c.payload)));
      }
    }
    if (this.deps.config.counts.enabled && !this.stopped) for (const camera of this.scenes.keys()) this.publishCounts(camera, true);
  }

  private discoveryConfigs(): Map<string, DiscoveryConfig> {
    const ha = this.deps.config.home_assistant;
    const configs = discoveryConfigs({
      discoveryPrefix: ha.discovery_prefix,
      deviceId: this.deps.device.id,
      version: VERSION,
      statusTopic: this.topics.status,
      countsTopic: (camera) => this.topics.counts(camera),
      cameras: this.deps.cameras.map((c) => this.layout(c.camera)),
    });
    return new Map(configs.map((c) => [c.topic, c]));
  }

  /** Starts connecting in the background and returns at once: a broker that is down must not delay the pipeline. */
  start(): void {
    const { config, logger } = this.deps;
    this.link = new MqttLink(config.url, clientOptions(config, this.deps.device.id, this.topics.status), config.reconnect, logger);
    this.link.on('connected', () => this.onConnected());
    this.link.on('disconnected', () => this.deps.mqttMetrics.connected.set(0));
    this.link.on('delivered', (m) => this.onDelivered(m));
    this.link.on('lost', (messages) => this.onLost(messages));
    this.link.on('message', (m) => this.onMessage(m.topic, m.payload));
    this.link.on('rejected', ({ message, err }) => {
      logger.warn({ topic: message.topic, bytes: message.payload.length, err }, 'broker refused a message');
      this.dropped(message, 'rejected');
      this.pump();
    });
    this.restoreSpool();
    this.link.start();
    // Created here, not in the constructor: the first interval must not include model loading.
    const { device, cameras } = this.deps;
    const snapshotter = new MetricsSnapshotter(cameras, { device: device.id, site: device.site, session: this.session });
    this.snapshotTimer = setInterval(() => {
      try {
        this.publishSnapshot(snapshotter);
      } catch (err) {
        logger.error({ err }, 'metrics snapshot failed');
      }
    }, config.metrics_interval * 1000);
    if (config.counts.enabled) this.connectedTimer = setInterval(() => this.publishConnectedChanges(), CONNECTED_POLL_MS);
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

  /** Track events (one message each) and, when they changed, the retained counts. */
  handleScene(camera: string, update: SceneUpdate): void {
    const scene = this.scenes.get(camera);
    if (this.stopped || !scene) return;
    const { events, counts } = this.deps.config;
    if (events.enabled) for (const event of update.events) this.publishEvent(camera, scene, eventPayload(event, this.identity(camera, ++scene.eventSeq)), events.qos);
    scene.counts = update.counts;
    if (counts.enabled && update.countsChanged) this.publishCounts(camera, false);
  }

  /** Publishes `offline` and disconnects within `timeoutMs`, its share of the agent's shutdown budget. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopped = true;
    clearInterval(this.snapshotTimer);
    clearInterval(this.connectedTimer);
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

  private publishEvent(camera: string, scene: CameraScene, payload: object, qos: 0 | 1): void {
    const topic = this.topics.events(camera);
    const text = JSON.stringify(payload);
    const spoolId = this.spool ? `${this.session}:${camera}:e${scene.eventSeq}` : undefined;
    if (spoolId) this.spool?.append({ id: spoolId, kind: 'event', topic, payload: text });
    this.enqueue({ kind: 'event', topic, payload: Buffer.from(text), qos, retain: false, spoolId });
  }

  /**
   * The camera's counts as they are now, retained; a buffered older counts
   * message of the camera is replaced. Unless `always` (at connect), only
   * when what a consumer sees changed: the connected state or a count.
   */
  private publishCounts(camera: string, always: boolean): void {
    const scene = this.scenes.get(camera);
    const stats = this.deps.cameras.find((c) => c.camera === camera);
    if (!scene || !stats) return;
    const payload = countsPayload(scene.counts, this.layout(camera), stats.disconnected === 0, this.identity(camera, scene.countsSeq + 1), Date.now());
    const state = JSON.stringify([payload.connected, payload.zones, payload.lines]);
    if (!always && state === scene.published) return;
    scene.published = state;
    scene.countsSeq += 1;
    this.enqueue({ kind: 'counts', topic: this.topics.counts(camera), payload: Buffer.from(JSON.stringify(payload)), qos: 1, retain: true });
  }

  private publishConnectedChanges(): void {
    if (this.stopped) return;
    for (const stats of this.deps.cameras) this.publishCounts(stats.camera, false);
  }

  private identity(camera: string, seq: number): { device: string; camera: string; session: string; seq: number } {
    return { device: this.deps.device.id, camera, session: this.session, seq };
  }

  private layout(camera: string): SceneLayout {
    return this.layouts.find((s) => s.name === camera) ?? { name: camera, zones: [], lines: [] };
  }

  private expiry(): { expirySeconds?: number } {
    const seconds = this.deps.config.metrics_expiry_seconds;
    return seconds > 0 ? { expirySeconds: seconds } : {};
  }

  private restoreSpool(): void {
    const spooled = this.spool?.load() ?? [];
    for (const s of spooled) {
      if (s.kind === 'event') this.buffer.push({ kind: 'event', topic: s.topic, payload: Buffer.from(s.payload), qos: this.deps.config.events.qos, retain: false, spoolId: s.id });
      else this.buffer.push({ kind: 'metrics', topic: s.topic, payload: Buffer.from(s.payload), qos: 1, retain: false, spoolId: s.id, ...this.expiry() });
    }
    if (spooled.length > 0) {
      const events = spooled.filter((s) => s.kind === 'event').length;
      this.deps.logger.info({ snapshots: spooled.length - events, events, file: this.spool?.file }, 'metrics snapshots restored from the MQTT spool');
    }
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
    if (this.discovery) {
      // The subscription brings back every config of this device the broker retains: stale ones are cleared in onMessage.
      this.link?.subscribe(this.discovery.filter);
      for (const c of this.discovery.configs.values()) this.publishDiscovery(c.topic, Buffer.from(JSON.stringify(c.payload)));
    }
    // So the retained counts are this run's (they restart from zero) and say whether each camera is connected now.
    if (this.deps.config.counts.enabled) for (const camera of this.scenes.keys()) this.publishCounts(camera, true);
    this.pump();
  }

  /** A retained discovery config of this device that the current config no longer has: an empty retained payload removes it (and its entity) from Home Assistant. */
  private onMessage(topic: string, payload: Buffer): void {
    if (!this.discovery || payload.length === 0 || this.discovery.configs.has(topic) || !matchesDiscovery(this.discovery.filter, topic)) return;
    this.deps.logger.info({ topic }, 'removing a Home Assistant entity no longer in the config');
    this.publishDiscovery(topic, Buffer.alloc(0));
  }

  /** Straight to the link, like the status: published again at every connect, so never buffered. */
  private publishDiscovery(topic: string, payload: Buffer): void {
    if (this.link?.connected) this.link.publish({ kind: 'discovery', topic, payload, qos: 1, retain: true, order: -1 });
  }

  private onDelivered(message: OutboundMessage): void {
    this.deps.mqttMetrics.published.inc({ kind: message.kind });
    if (message.spoolId) this.spool?.settled(message.spoolId);
    this.pump();
  }

  private onLost(messages: readonly OutboundMessage[]): void {
    // Status and discovery are published afresh at the next connect.
    this.buffer.requeue(messages.filter((m) => m.kind !== 'status' && m.kind !== 'discovery'));
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


/** Whether `topic` matches a filter of literal levels and `+` (no `#`). */
function matchesDiscovery(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  return f.length === t.length && f.every((level, i) => level === '+' || level === t[i]);
}
