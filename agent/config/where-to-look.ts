import { hostname } from 'node:os';
import type { VigilConfig } from './schema.js';

export interface WhereToLook {
  readonly metrics: string;
  /** Present when the preview is on. */
  readonly preview?: string;
  /** The MQTT topics of this device (a subscription filter), when MQTT is on. */
  readonly mqtt_topics?: string;
}

/**
 * The start line's fields (issue 17): where a person finds the preview,
 * /metrics and the MQTT topics. A wildcard listen address is shown as the
 * host name, the address others reach it by.
 */
export function whereToLook(config: Pick<VigilConfig, 'http' | 'preview' | 'mqtt' | 'device'>, httpPort: number, host = hostname()): WhereToLook {
  const listen = config.http.host === '0.0.0.0' || config.http.host === '::' || config.http.host === '' ? host : config.http.host;
  const base = `http://${listen.includes(':') ? `[${listen}]` : listen}:${httpPort}`;
  return {
    ...(config.preview.enabled ? { preview: `${base}/` } : {}),
    metrics: `${base}/metrics`,
    ...(config.mqtt?.enabled ? { mqtt_topics: `${config.mqtt.topic_prefix}/${config.device.id}/#` } : {}),
  };
}

/** The start line's message, the same fields in words (pretty output shows both). */
export function whereToLookMessage(where: WhereToLook): string {
  const parts = [where.preview ? `preview ${where.preview}` : '', `metrics ${where.metrics}`, where.mqtt_topics ? `MQTT ${where.mqtt_topics}` : ''];
  return `ready: ${parts.filter((p) => p !== '').join(', ')}`;
}
