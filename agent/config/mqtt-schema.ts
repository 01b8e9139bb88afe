import { z } from 'zod';
import { backoff, secondsAtLeast } from './schema-parts.js';

/** The `mqtt` section; absent means vigil does not talk MQTT at all. */

const tls = z
  .object({
    /** PEM file of the CA that signed the broker's certificate; the system store is used when absent. */
    ca: z.string().min(1).optional(),
    /** PEM client certificate and key, for brokers that authenticate clients by certificate. */
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    reject_unauthorized: z.boolean().default(true),
  })
  .strict()
  .refine((t) => (t.cert === undefined) === (t.key === undefined), { message: 'cert and key go together', path: ['cert'] });

const buffer = z
  .object({
    /** Messages waiting for the broker, at most. Past it the oldest detections go first, metrics snapshots last. */
    max_messages: z.number().int().min(10).max(1_000_000).default(10_000),
    max_bytes: z
      .number()
      .int()
      .min(64 * 1024)
      .default(16 * 1024 * 1024),
  })
  .strict();

const detections = z
  .object({
    enabled: z.boolean().default(true),
    qos: z.union([z.literal(0), z.literal(1)]).default(0),
    /** Per camera; frames above the rate are not published (counted as dropped, reason rate_limit). */
    max_per_second: z.number().positive().optional(),
  })
  .strict();

export const MQTT_PROTOCOLS = ['3.1.1', '5'] as const;

export const mqttSchema = z
  .object({
    enabled: z.boolean().default(true),
    url: z.string().regex(/^(mqtts?|wss?):\/\/[^/\s]+/, 'an mqtt://, mqtts://, ws:// or wss:// URL'),
    /** Defaults to vigil-<device.id>; must be unique per broker, or devices kick each other off. */
    client_id: z.string().min(1).max(128).optional(),
    username: z.string().min(1).optional(),
    /** Use ${ENV} or ${credential:NAME}; never written in the file in clear. Never logged. */
    password: z.string().optional(),
    protocol: z.enum(MQTT_PROTOCOLS).default('3.1.1'),
    tls: tls.optional(),
    /** Topics are <topic_prefix>/<device.id>/… */
    topic_prefix: z
      .string()
      .regex(/^[^#+\s]+$/, 'no wildcards or spaces')
      .refine((p) => !p.startsWith('/') && !p.endsWith('/'), 'no leading or trailing /')
      .default('vigil'),
    keepalive_seconds: z.number().int().min(5).max(3600).default(30),
    connect_timeout_seconds: secondsAtLeast(1, 'a TLS handshake needs time').default(10),
    reconnect: backoff({ initial_seconds: 1, max_seconds: 60, jitter: 0.3 }),
    /** Messages handed to the client library and not yet acknowledged; the rest wait in the bounded buffer. */
    max_inflight: z.number().int().min(1).max(1000).default(100),
    buffer: buffer.prefault({}),
    /**
     * Keep unsent metrics snapshots in <state_dir>/mqtt-spool.jsonl too, so
     * an agent restart during a broker outage loses none of them.
     */
    spool: z.boolean().default(false),
    /** Seconds between metrics snapshots on <prefix>/<device>/metrics. */
    metrics_interval: secondsAtLeast(0.1, 'snapshots more often flood the broker').default(10),
    /** MQTT 5 only: the broker discards a metrics snapshot not delivered within this many seconds; 0 keeps it forever. */
    metrics_expiry_seconds: z.number().int().min(0).default(3600),
    detections: detections.prefault({}),
  })
  .strict();

export type MqttConfig = z.infer<typeof mqttSchema>;
