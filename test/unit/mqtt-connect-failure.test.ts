import { ErrorWithReasonCode } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { classifyConnectFailure } from '../../agent/mqtt/connect-failure.js';

/** An Error carrying a `code`, as Node's net/tls errors and mqtt.js CONNACK refusals do. */
function errorWithCode(message: string, code: string | number): Error {
  return Object.assign(new Error(message), { code });
}

describe('classifyConnectFailure', () => {
  it('sorts CONNACK credential refusals (3.1.1 code 5, MQTT 5 code 135) as AGENT_ERR_MQTT_AUTH', () => {
    for (const code of [4, 5, 134, 135, 140]) {
      const failure = classifyConnectFailure(errorWithCode('Connection refused: Not authorized', code));
      expect(failure.code).toBe('AGENT_ERR_MQTT_AUTH');
      expect(failure.hint).toContain('mqtt.username and mqtt.password');
    }
  });

  it('recognises mqtt.js’s own ErrorWithReasonCode', () => {
    expect(classifyConnectFailure(new ErrorWithReasonCode('Connection refused: Bad username or password', 134)).code).toBe('AGENT_ERR_MQTT_AUTH');
  });

  it('does not call other CONNACK refusals an auth problem', () => {
    // 3: server unavailable; 136: MQTT 5 server unavailable
    for (const code of [3, 136]) {
      expect(classifyConnectFailure(errorWithCode('Connection refused: Server unavailable', code))).toEqual({
        code: 'AGENT_ERR_MQTT_CONNECT',
        hint: 'Connection refused: Server unavailable',
      });
    }
  });

  it('points at the client certificate when the broker refuses ours', () => {
    for (const code of ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA']) {
      const failure = classifyConnectFailure(errorWithCode('alert', code));
      expect(failure.code).toBe('AGENT_ERR_MQTT_TLS');
      expect(failure.hint).toContain('mqtt.tls.cert and mqtt.tls.key');
    }
  });

  it('sorts certificate and TLS errors as AGENT_ERR_MQTT_TLS, naming the code', () => {
    for (const code of ['DEPTH_ZERO_SELF_SIGNED_CERT', 'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_SSL_WRONG_VERSION_NUMBER']) {
      const failure = classifyConnectFailure(errorWithCode('handshake failed', code));
      expect(failure.code).toBe('AGENT_ERR_MQTT_TLS');
      expect(failure.hint).toContain(`(${code})`);
      expect(failure.hint).toContain('mqtt.tls.ca');
    }
  });

  it('sorts an unreachable broker as AGENT_ERR_MQTT_CONNECT, naming the code', () => {
    expect(classifyConnectFailure(errorWithCode('connect ECONNREFUSED 127.0.0.1:1883', 'ECONNREFUSED'))).toEqual({
      code: 'AGENT_ERR_MQTT_CONNECT',
      hint: 'broker unreachable (ECONNREFUSED)',
    });
    expect(classifyConnectFailure(errorWithCode('getaddrinfo ENOTFOUND broker.invalid', 'ENOTFOUND')).hint).toBe('broker unreachable (ENOTFOUND)');
  });

  it('passes anything else through as AGENT_ERR_MQTT_CONNECT with its message as the hint', () => {
    expect(classifyConnectFailure(new Error('connack timeout'))).toEqual({ code: 'AGENT_ERR_MQTT_CONNECT', hint: 'connack timeout' });
    expect(classifyConnectFailure(errorWithCode('socket hang up', 'ECONNRESET'))).toEqual({ code: 'AGENT_ERR_MQTT_CONNECT', hint: 'socket hang up' });
    expect(classifyConnectFailure('just a string')).toEqual({ code: 'AGENT_ERR_MQTT_CONNECT', hint: 'just a string' });
    expect(classifyConnectFailure(null)).toEqual({ code: 'AGENT_ERR_MQTT_CONNECT', hint: 'null' });
  });
});
