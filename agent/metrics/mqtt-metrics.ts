import { Counter, Gauge, type Registry } from 'prom-client';
import { MESSAGE_KINDS, MQTT_DROP_REASONS } from '../core/mqtt-message-kinds.js';

/** MQTT's own health, registered only when MQTT is configured (so "MQTT disconnected" alerts stay quiet on devices without it). */
export class MqttMetrics {
  readonly connected: Gauge;
  readonly published: Counter<'kind'>;
  readonly buffered: Gauge;
  readonly bufferedBytes: Gauge;
  readonly dropped: Counter<'kind' | 'reason'>;
  readonly connects: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.connected = new Gauge({ name: 'mqtt_connected', help: 'Whether the MQTT broker connection is up (1) or not (0)', registers });
    this.published = new Counter({ name: 'mqtt_messages_published_total', help: 'Messages (count) the broker acknowledged, by kind', labelNames: ['kind'], registers });
    this.buffered = new Gauge({ name: 'mqtt_buffered_messages', help: 'Messages (count) waiting for the broker: buffered, or sent and not yet acknowledged', registers });
    this.bufferedBytes = new Gauge({ name: 'mqtt_buffered_bytes', help: 'Size in bytes of the messages waiting for the broker', registers });
    this.dropped = new Counter({ name: 'mqtt_messages_dropped_total', help: 'Messages (count) never delivered, by kind and reason', labelNames: ['kind', 'reason'], registers });
    this.connects = new Counter({ name: 'mqtt_connects_total', help: 'Successful connections (count) to the broker; more than one means reconnects', registers });
    for (const kind of MESSAGE_KINDS) {
      this.published.inc({ kind }, 0);
      for (const reason of MQTT_DROP_REASONS) this.dropped.inc({ kind, reason }, 0);
    }
    this.connected.set(0);
  }
}
