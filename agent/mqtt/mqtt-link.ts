import mqtt, { type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import { ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { backoffDelaySeconds, type BackoffPolicy } from '../util/backoff.js';
import { withTimeout } from '../util/clock.js';
import { redactUrl } from '../util/redact-url.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import { classifyConnectFailure } from './connect-failure.js';
import type { OutboundMessage } from './outbound-message.js';

export interface MqttLinkEvents extends Record<string, unknown> {
  /** Connected (again); the link is ready for publish(). */
  connected: undefined;
  /** A live connection dropped (not emitted for failed connection attempts). */
  disconnected: undefined;
  /** The broker acknowledged a message (PUBACK for QoS 1, written to the socket for QoS 0). */
  delivered: OutboundMessage;
  /** The connection dropped with these messages unacknowledged, oldest first: the owner re-sends them. */
  lost: OutboundMessage[];
  /** The broker refused one message on a live connection (e.g. over its maximum packet size). */
  rejected: { message: OutboundMessage; err: Error };
  /** A message on a topic subscribe() asked for (retained ones included, flagged). */
  message: { topic: string; payload: Buffer; retain: boolean };
}

/**
 * One MQTT connection that never gives up: a fresh mqtt.js client per
 * attempt, with capped exponential backoff and jitter between attempts
 * (mqtt.js itself retries at a fixed period, which makes a fleet hammer a
 * recovering broker in step) and no queueing of its own (mqtt.js queues
 * offline publishes without limit; the owner's bounded buffer does it
 * instead). Messages handed over are tracked until acknowledged, so none
 * is lost silently when the connection drops.
 */
export class MqttLink extends TypedEmitter<MqttLinkEvents> {
  private client: MqttClient | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopping = false;
  private isConnected = false;
  private readonly inflight = new Map<number, OutboundMessage>();
  private nextToken = 0;

  constructor(
    private readonly url: string,
    private readonly options: IClientOptions,
    private readonly reconnect: BackoffPolicy,
    private readonly logger: Logger,
  ) {
    super();
  }

  get connected(): boolean {
    return this.isConnected;
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  start(): void {
    this.stopping = false;
    this.connect();
  }

  publish(message: OutboundMessage): void {
    const client = this.client;
    if (!client || !this.isConnected) throw new Error('MqttLink.publish while disconnected');
    const token = this.nextToken++;
    this.inflight.set(token, message);
    const options: IClientPublishOptions = { qos: message.qos, retain: message.retain };
    if (message.expirySeconds && this.options.protocolVersion === 5) options.properties = { messageExpiryInterval: message.expirySeconds };
    client.publish(message.topic, message.payload, options, (err) => {
      // Anything but a reason code ("Connection closed", keepalive timeout) means the connection died
      // under the message: it stays in flight and goes back, with the others, in one ordered `lost`.
      const verdict = !err || typeof (err as { code?: unknown }).code === 'number';
      // Not in flight any more: its connection was already given up on and the message handed back.
      if (!verdict || !this.inflight.delete(token)) return;
      // A reason code is the broker's verdict on this message (MQTT 5 PUBACK ≥ 0x80): re-sending cannot help.
      if (err) this.emit('rejected', { message, err });
      else this.emit('delivered', message);
    });
  }

  /** Subscribes on the live connection (QoS 0); a new connection has none, so the owner subscribes again on `connected`. */
  subscribe(filter: string): void {
    const client = this.client;
    if (!client || !this.isConnected) return;
    client.subscribe(filter, { qos: 0 }, (err) => {
      if (err) this.logger.warn({ filter, err }, 'mqtt subscribe failed');
    });
  }

  /**
   * Publishes `last` (the retained offline status) and waits for its
   * acknowledgement and for in-flight messages, then disconnects cleanly
   * so the broker discards the Last Will. Bounded by `timeoutMs`.
   */
  async stop(last: OutboundMessage | undefined, timeoutMs: number): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    if (!client) return;
    if (this.isConnected && last) {
      const published = new Promise<void>((resolve) => {
        client.publish(last.topic, last.payload, { qos: last.qos, retain: last.retain }, () => resolve());
      });
      await withTimeout(published, timeoutMs / 2, () => undefined);
    }
    const closed = new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
    const clean = await withTimeout(closed.then(() => true), timeoutMs / 2, () => false);
    if (!clean) await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
    this.detach(client);
  }

  private connect(): void {
    if (this.stopping) return;
    let lastError: unknown;
    const client = mqtt.connect(this.url, { ...this.options, reconnectPeriod: 0, queueQoSZero: false, resubscribe: false });
    this.client = client;
    client.on('connect', () => {
      if (client !== this.client) return;
      this.isConnected = true;
      this.logger.info({ url: redactUrl(this.url), afterFailures: this.failures }, 'mqtt connected');
      this.failures = 0;
      this.emit('connected', undefined);
    });
    client.on('error', (err) => {
      lastError = err;
    });
    client.on('message', (topic, payload, packet) => {
      if (client === this.client) this.emit('message', { topic, payload, retain: packet.retain });
    });
    client.on('close', () => {
      if (client !== this.client) return;
      const wasConnected = this.isConnected;
      this.isConnected = false;
      this.detach(client);
      this.handBackInflight();
      if (wasConnected) this.emit('disconnected', undefined);
      if (this.stopping) return;
      const delay = backoffDelaySeconds(this.reconnect, this.failures);
      this.failures += 1;
      this.logFailure(wasConnected, lastError, delay);
      this.reconnectTimer = setTimeout(() => this.connect(), delay * 1000);
    });
  }

  private logFailure(wasConnected: boolean, err: unknown, retryInSeconds: number): void {
    const failure = classifyConnectFailure(err ?? new Error(wasConnected ? 'connection closed' : 'no CONNACK before connect timeout'));
    const fields = { code: failure.code, url: redactUrl(this.url), attempt: this.failures, retryInSeconds: Math.round(retryInSeconds * 10) / 10 };
    if (wasConnected) this.logger.warn({ ...fields, code: ErrorCode.MQTT_CONNECTION_LOST, reason: failure.hint }, 'mqtt connection lost; reconnecting');
    else if (failure.code === ErrorCode.MQTT_CONNECT) this.logger.warn(fields, `mqtt connect failed: ${failure.hint}`);
    else this.logger.error(fields, `mqtt connect failed: ${failure.hint}`);
  }

  private handBackInflight(): void {
    if (this.inflight.size === 0) return;
    const lost = [...this.inflight.values()];
    this.inflight.clear();
    this.emit('lost', lost);
  }

  private detach(client: MqttClient): void {
    client.removeAllListeners('connect');
    client.removeAllListeners('close');
    client.removeAllListeners('message');
    // Keep an error listener: a late socket error on a dead client must not become an uncaught exception.
    client.removeAllListeners('error');
    client.on('error', () => undefined);
    if (!client.disconnecting) client.end(true);
    if (this.client === client) this.client = undefined;
  }
}
