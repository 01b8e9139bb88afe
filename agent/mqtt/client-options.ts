import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import type { MqttConfig } from '../config/mqtt-schema.js';
import { ErrorCode, VigilError } from '../errors.js';

/**
 * mqtt.js options from the config: identity, credentials, TLS material
 * (read once at start), protocol and the retained `offline` Last Will.
 * Reconnecting and queueing are MqttLink's job, so they are off here.
 */
export function clientOptions(config: MqttConfig, device: string, statusTopic: string): IClientOptions {
  const options: IClientOptions = {
    clientId: config.client_id ?? `vigil-${device}`,
    protocolVersion: config.protocol === '5' ? 5 : 4,
    clean: true,
    keepalive: config.keepalive_seconds,
    connectTimeout: config.connect_timeout_seconds * 1000,
    will: { topic: statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
  };
  if (config.username !== undefined) options.username = config.username;
  if (config.password !== undefined) options.password = config.password;
  const tls = config.tls;
  if (tls) {
    options.rejectUnauthorized = tls.reject_unauthorized;
    if (tls.ca) options.ca = readPem('mqtt.tls.ca', tls.ca);
    if (tls.cert) options.cert = readPem('mqtt.tls.cert', tls.cert);
    if (tls.key) options.key = readPem('mqtt.tls.key', tls.key);
  }
  return options;
}

function readPem(key: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new VigilError(ErrorCode.CONFIG_READ, `${key}: cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}
