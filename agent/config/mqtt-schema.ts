import { z } from 'zod';
import { backoff, secondsAtLeast } from './schema-parts.js';

/** The `mqtt` section; absent means vigil does not talk MQTT at all. */

const tls = z
  .object({
    ca: z.string().min(1).optional().describe("PEM file of the CA that signed the broker's certificate; the system's CAs when unset."),
    cert: z.string().min(1).optional().describe('PEM client certificate, for brokers that authenticate clients by certificate; goes with key.'),
    key: z.string().min(1).optional().describe('PEM private key of cert.'),
    reject_unauthorized: z.boolean().default(true).describe('false accepts a broker certificate that does not verify (a test broker; never in production).'),
  })
  .strict()
  .refine((t) => (t.cert === undefined) === (t.key === undefined), { message: 'cert and key go together', path: ['cert'] })
  .describe('TLS options for mqtts:// and wss:// brokers.');

const buffer = z
  .object({
    max_messages: z.number().int().min(10).max(1_000_000).default(10_000).describe('Messages waiting, at most.'),
    max_bytes: z
      .number()
      .int()
      .min(64 * 1024)
      .default(16 * 1024 * 1024)
      .describe('Bytes waiting, at most (the default is 16 MiB).'),
  })
  .strict()
  .describe(
    'Messages waiting for the broker. When full, the oldest detections are dropped first, then track events, then metrics snapshots ' +
      '(retained counts last; a newer one of a camera replaces the buffered one); ' +
      'every drop is counted in `mqtt_messages_dropped_total{kind,reason}`.',
  );

const detections = z
  .object({
    enabled: z.boolean().default(true).describe('Publish detections.'),
    qos: z
      .union([z.literal(0), z.literal(1)])
      .default(0)
      .describe('MQTT QoS of detection messages.'),
    max_per_second: z
      .number()
      .positive()
      .optional()
      .describe('Per camera; frames above the rate are not published (counted as dropped, reason rate_limit). Unset: every frame.'),
  })
  .strict()
  .describe('One message per processed frame on `<topic_prefix>/<device.id>/<camera>/detections`.');

const events = z
  .object({
    enabled: z.boolean().default(true).describe('Publish track events (new, update on a zone or line change, end).'),
    qos: z
      .union([z.literal(0), z.literal(1)])
      .default(1)
      .describe('MQTT QoS of event messages.'),
  })
  .strict()
  .describe('One message per track event on `<topic_prefix>/<device.id>/<camera>/events`; needs the tracker (`tracker.enabled`).');

const counts = z
  .object({
    enabled: z.boolean().default(true).describe('Publish the retained counts: zone occupancy, line crossings and whether the camera is connected.'),
  })
  .strict()
  .describe('Retained, QoS 1, on `<topic_prefix>/<device.id>/<camera>/counts`: at every connect and whenever a count or the connected state changes.');

const homeAssistant = z
  .object({
    enabled: z.boolean().default(false).describe('Publish Home Assistant MQTT discovery: zone occupancies, line counters and connected state as sensors of one device.'),
    discovery_prefix: z
      .string()
      .regex(/^[^#+\s]+$/, 'no wildcards or spaces')
      .refine((p) => !p.startsWith('/') && !p.endsWith('/'), 'no leading or trailing /')
      .default('homeassistant')
      .describe("Home Assistant's discovery prefix (its MQTT integration's setting)."),
  })
  .strict()
  .describe('Home Assistant MQTT discovery (docs/mqtt.md#home-assistant); needs `mqtt.counts`, whose retained messages the sensors read.');

const MQTT_PROTOCOLS = ['3.1.1', '5'] as const;

export const mqttSchema = z
  .object({
    enabled: z.boolean().default(true).describe('false keeps the section but does not connect.'),
    url: z
      .string()
      .regex(/^(mqtts?|wss?):\/\/[^/\s]+/, 'an mqtt://, mqtts://, ws:// or wss:// URL')
      .describe('The broker: mqtt://, mqtts:// (TLS), ws:// or wss:// (WebSocket), e.g. mqtt://broker.lan:1883.'),
    client_id: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .describe('Defaults to `vigil-<device.id>`; must be unique per broker, or devices kick each other off.'),
    username: z.string().min(1).optional().describe('User name at the broker.'),
    password: z.string().optional().describe('Use ${ENV} or ${credential:NAME}; never write it in the file in clear. Never logged.'),
    protocol: z.enum(MQTT_PROTOCOLS).default('3.1.1').describe('MQTT version; `5` adds message expiry on metrics snapshots.'),
    tls: tls.optional(),
    topic_prefix: z
      .string()
      .regex(/^[^#+\s]+$/, 'no wildcards or spaces')
      .refine((p) => !p.startsWith('/') && !p.endsWith('/'), 'no leading or trailing /')
      .default('vigil')
      .describe('Topics are `<topic_prefix>/<device.id>/…`; no wildcards, spaces, or leading or trailing /.'),
    keepalive_seconds: z.number().int().min(5).max(3600).default(30).describe('Keepalive interval (s); a silent broker is dropped after 1.5× this.'),
    connect_timeout_seconds: secondsAtLeast(1, 'a TLS handshake needs time').default(10).describe('A connection attempt not established within this (s) is abandoned and retried.'),
    reconnect: backoff({ initial_seconds: 1, max_seconds: 60, jitter: 0.3 }).describe('Reconnect backoff: capped exponential with ± jitter, forever.'),
    max_inflight: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(100)
      .describe('Messages handed to the client library and not yet acknowledged, at most; the rest wait in the buffer.'),
    buffer: buffer.prefault({}),
    spool: z
      .boolean()
      .default(false)
      .describe('Keep unsent metrics snapshots in `<state_dir>/mqtt-spool.jsonl` too, so an agent restart during a broker outage loses none of them. Needs state_dir.'),
    metrics_interval: secondsAtLeast(0.1, 'snapshots more often flood the broker')
      .default(10)
      .describe('Seconds between metrics snapshots on `<topic_prefix>/<device.id>/metrics` (QoS 1).'),
    metrics_expiry_seconds: z
      .number()
      .int()
      .min(0)
      .default(3600)
      .describe('MQTT 5 only: the broker discards a metrics snapshot not delivered within this many seconds; 0 keeps it forever.'),
    detections: detections.prefault({}),
    events: events.prefault({}),
    counts: counts.prefault({}),
    home_assistant: homeAssistant.prefault({}),
  })
  .strict()
  .refine((m) => !m.home_assistant.enabled || m.counts.enabled, { message: 'Home Assistant sensors read the counts topic: needs mqtt.counts.enabled', path: ['home_assistant', 'enabled'] })
  .describe(
    'Detections and metrics snapshots to an MQTT broker; leave the section out to run without MQTT. Topics: `<topic_prefix>/<device.id>/status` ' +
      '(retained online / offline, the Last Will), `…/metrics`, `…/<camera>/detections`, `…/<camera>/events` and `…/<camera>/counts` (docs/mqtt.md).',
  );

export type MqttConfig = z.infer<typeof mqttSchema>;
