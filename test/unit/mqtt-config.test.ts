import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig, type ConfigIssue } from '../../agent/config/load.js';
import { configIssues } from '../helpers/config-issues.js';
import { model } from '../helpers/testdata.js';

const FILE = '/etc/vigil/agent.yaml';
const BASE = `detector:
  model: ${model('yolox_nano.onnx')}
  labels: ${model('coco80_labels.txt')}
cameras:
  - name: gate
    url: rtsp://10.0.0.5:554/stream1
`;
const withMqtt = (mqtt: string, extra = ''): string => `${BASE}${extra}mqtt:\n  url: mqtt://broker.lan:1883\n${mqtt}`;

/** Runs parseConfig, expects a ConfigError and returns its issues. */
const issuesOf = (text: string, env: NodeJS.ProcessEnv = {}, file = FILE): readonly ConfigIssue[] => configIssues(text, file, env);

const paths = (issues: readonly ConfigIssue[]): string[] => issues.map((i) => i.path);

// A folder with a PEM-named file to point tls.ca/cert/key at (their content is not read here).
const TLS_DIR = mkdtempSync(join(tmpdir(), 'vigil-mqtt-config-'));
writeFileSync(join(TLS_DIR, 'ca.pem'), 'not really a certificate\n');
writeFileSync(join(TLS_DIR, 'client.pem'), 'x\n');
writeFileSync(join(TLS_DIR, 'client.key'), 'x\n');
afterAll(() => rmSync(TLS_DIR, { recursive: true, force: true }));

describe('parseConfig: mqtt section', () => {
  it('is absent unless configured', () => {
    const config = parseConfig(BASE, FILE, {});
    expect(config.mqtt).toBeUndefined();
    expect(config.state_dir).toBeUndefined();
  });

  it('fills the defaults around a bare url', () => {
    expect(parseConfig(withMqtt(''), FILE, {}).mqtt).toEqual({
      enabled: true,
      url: 'mqtt://broker.lan:1883',
      protocol: '3.1.1',
      topic_prefix: 'vigil',
      keepalive_seconds: 30,
      connect_timeout_seconds: 10,
      reconnect: { initial_seconds: 1, max_seconds: 60, jitter: 0.3 },
      max_inflight: 100,
      buffer: { max_messages: 10_000, max_bytes: 16 * 1024 * 1024 },
      spool: false,
      metrics_interval: 10,
      metrics_expiry_seconds: 3600,
      detections: { enabled: true, qos: 0 },
      events: { enabled: true, qos: 1 },
      counts: { enabled: true },
      home_assistant: { enabled: false, discovery_prefix: 'homeassistant' },
    });
  });

  it('takes Home Assistant discovery with its prefix, and refuses it without the counts its sensors read', () => {
    const ha = parseConfig(withMqtt('  home_assistant:\n    enabled: true\n    discovery_prefix: ha\n'), FILE, {}).mqtt?.home_assistant;
    expect(ha).toEqual({ enabled: true, discovery_prefix: 'ha' });
    const issues = issuesOf(withMqtt('  counts:\n    enabled: false\n  home_assistant:\n    enabled: true\n'));
    expect(paths(issues)).toEqual(['mqtt.home_assistant.enabled']);
    expect(issues[0]?.message).toContain('mqtt.counts.enabled');
    expect(paths(issuesOf(withMqtt('  home_assistant:\n    discovery_prefix: ha/+\n')))).toEqual(['mqtt.home_assistant.discovery_prefix']);
    expect(paths(issuesOf(withMqtt('  events:\n    qos: 2\n')))).toEqual(['mqtt.events.qos']);
  });

  it('rejects a URL that is not mqtt://, mqtts://, ws:// or wss://', () => {
    const issues = issuesOf(`${BASE}mqtt:\n  url: http://x\n`);
    expect(issues).toEqual([{ path: 'mqtt.url', message: 'an mqtt://, mqtts://, ws:// or wss:// URL', value: 'http://x' }]);
    expect(parseConfig(`${BASE}mqtt:\n  url: wss://broker.example.com/mqtt\n`, FILE, {}).mqtt?.url).toBe('wss://broker.example.com/mqtt');
  });

  it('names an unknown key', () => {
    expect(issuesOf(withMqtt('  foo: 1\n'))).toEqual([{ path: 'mqtt.foo', message: 'unknown key' }]);
    expect(issuesOf(withMqtt('  buffer:\n    max_mesages: 10\n'))).toEqual([{ path: 'mqtt.buffer.max_mesages', message: 'unknown key' }]);
  });

  it('rejects a topic prefix with wildcards or a leading slash, and qos 2', () => {
    expect(paths(issuesOf(withMqtt('  topic_prefix: fleet/#\n')))).toEqual(['mqtt.topic_prefix']);
    expect(paths(issuesOf(withMqtt('  topic_prefix: /fleet\n')))).toEqual(['mqtt.topic_prefix']);
    expect(paths(issuesOf(withMqtt('  detections:\n    qos: 2\n')))).toEqual(['mqtt.detections.qos']);
  });

  it('takes the password from ${MQTT_PASSWORD}', () => {
    const config = parseConfig(withMqtt('  username: edge\n  password: ${MQTT_PASSWORD}\n'), FILE, { MQTT_PASSWORD: 's3cr3t!' });
    expect(config.mqtt?.username).toBe('edge');
    expect(config.mqtt?.password).toBe('s3cr3t!');
    expect(paths(issuesOf(withMqtt('  password: ${MQTT_PASSWORD}\n')))).toEqual(['mqtt.password']);
  });

  it('keeps an all-digit password from ${MQTT_PASSWORD} a string', () => {
    // a whole-value ${…} reference is turned into a number when it looks like one; a password must stay text
    const config = parseConfig(withMqtt('  password: ${MQTT_PASSWORD}\n'), FILE, { MQTT_PASSWORD: '123456' });
    expect(config.mqtt?.password).toBe('123456');
    const leadingZero = parseConfig(withMqtt('  password: ${MQTT_PASSWORD}\n  keepalive_seconds: ${KEEPALIVE}\n'), FILE, { MQTT_PASSWORD: '0123', KEEPALIVE: '15' });
    expect(leadingZero.mqtt?.password).toBe('0123');
    expect(leadingZero.mqtt?.keepalive_seconds).toBe(15);
  });

  it('keeps the mqtt defaults of the reconnect keys not given', () => {
    expect(parseConfig(withMqtt('  reconnect: { max_seconds: 120 }\n'), FILE, {}).mqtt?.reconnect).toEqual({ initial_seconds: 1, max_seconds: 120, jitter: 0.3 });
  });
});

describe('parseConfig: mqtt.spool and state_dir', () => {
  it('rejects spool: true without a state_dir', () => {
    const issues = issuesOf(withMqtt('  spool: true\n'));
    expect(paths(issues)).toEqual(['mqtt.spool']);
    expect(issues[0]?.message).toContain('state_dir');
  });

  it('does not ask for a state_dir when mqtt is disabled', () => {
    expect(parseConfig(withMqtt('  enabled: false\n  spool: true\n'), FILE, {}).mqtt?.spool).toBe(true);
  });

  it('takes state_dir from the first entry of $STATE_DIRECTORY, which makes spool valid', () => {
    const config = parseConfig(withMqtt('  spool: true\n'), FILE, { STATE_DIRECTORY: '/var/lib/vigil:/other' });
    expect(config.state_dir).toBe('/var/lib/vigil');
    expect(config.mqtt?.spool).toBe(true);
    expect(parseConfig(BASE, FILE, { STATE_DIRECTORY: '/var/lib/vigil' }).state_dir).toBe('/var/lib/vigil');
  });

  it('prefers an explicit state_dir over $STATE_DIRECTORY and resolves a relative one against the config file', () => {
    const env = { STATE_DIRECTORY: '/var/lib/vigil' };
    expect(parseConfig(withMqtt('  spool: true\n', 'state_dir: /srv/vigil-state\n'), FILE, env).state_dir).toBe('/srv/vigil-state');
    expect(parseConfig(withMqtt('  spool: true\n', 'state_dir: state\n'), FILE, env).state_dir).toBe('/etc/vigil/state');
    expect(parseConfig(`${BASE}state_dir: ../run/vigil\n`, '/opt/vigil/conf/agent.yaml', {}).state_dir).toBe('/opt/vigil/run/vigil');
  });
});

describe('parseConfig: mqtt.tls files', () => {
  const file = join(TLS_DIR, 'agent.yaml');

  it('resolves ca, cert and key against the config file and defaults reject_unauthorized to true', () => {
    const config = parseConfig(withMqtt('  tls:\n    ca: ca.pem\n    cert: client.pem\n    key: client.key\n'), file, {});
    expect(config.mqtt?.tls).toEqual({
      ca: join(TLS_DIR, 'ca.pem'),
      cert: join(TLS_DIR, 'client.pem'),
      key: join(TLS_DIR, 'client.key'),
      reject_unauthorized: true,
    });
  });

  it('reports a missing ca file at mqtt.tls.ca', () => {
    const issues = issuesOf(withMqtt('  tls:\n    ca: missing-ca.pem\n'), {}, file);
    expect(issues).toEqual([{ path: 'mqtt.tls.ca', message: `file not found: ${join(TLS_DIR, 'missing-ca.pem')}`, value: 'missing-ca.pem' }]);
  });

  it('reports a ca that is a folder', () => {
    expect(paths(issuesOf(withMqtt(`  tls:\n    ca: ${TLS_DIR}\n`), {}, file))).toEqual(['mqtt.tls.ca']);
  });

  it('rejects a client cert without its key, and a key without its cert', () => {
    expect(issuesOf(withMqtt('  tls:\n    cert: client.pem\n'), {}, file)).toEqual([{ path: 'mqtt.tls.cert', message: 'cert and key go together', value: 'client.pem' }]);
    expect(paths(issuesOf(withMqtt('  tls:\n    key: client.key\n'), {}, file))).toEqual(['mqtt.tls.cert']);
  });
});
