import { ErrorCode } from '../errors.js';

export interface ConnectFailure {
  readonly code: ErrorCode;
  /** What the operator reads in the log: what failed and what to check. */
  readonly hint: string;
}

/** CONNACK refusals meaning "your credentials are wrong or not allowed": 3.1.1 codes 4/5, MQTT 5 codes 134/135/140. */
const AUTH_REFUSALS = new Set([4, 5, 134, 135, 140]);

/** Sorts a connection error into the few cases an operator acts on differently. */
export function classifyConnectFailure(err: unknown): ConnectFailure {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code === 'number' && AUTH_REFUSALS.has(code)) {
    return { code: ErrorCode.MQTT_AUTH, hint: 'the broker refused the credentials: check mqtt.username and mqtt.password (and the broker ACL)' };
  }
  // TLS alerts sent by the broker about our certificate (OpenSSL names them …_ALERT_…).
  if (typeof code === 'string' && /ALERT_(CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN)/.test(code)) {
    return { code: ErrorCode.MQTT_TLS, hint: `the broker did not accept a client certificate (${code}): check mqtt.tls.cert and mqtt.tls.key` };
  }
  if (typeof code === 'string' && /CERT|SSL|TLS|ALTNAME|SELF_SIGNED|VERIFY/.test(code)) {
    return { code: ErrorCode.MQTT_TLS, hint: `TLS handshake failed (${code}): check mqtt.tls.ca and that the URL's host name matches the broker certificate` };
  }
  if (typeof code === 'string' && ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT'].includes(code)) {
    return { code: ErrorCode.MQTT_CONNECT, hint: `broker unreachable (${code})` };
  }
  return { code: ErrorCode.MQTT_CONNECT, hint: message };
}
