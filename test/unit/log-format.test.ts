import { describe, expect, it } from 'vitest';
import { whereToLook, whereToLookMessage } from '../../agent/config/where-to-look.js';
import { createLogger, prettyLine, resolveLogFormat } from '../../agent/log.js';

describe('log.format', () => {
  it('auto is pretty on a terminal and JSON otherwise (systemd)', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });

  it('pretty writes one line: time of day, level, component/camera, message, other fields', () => {
    const line = JSON.stringify({ level: 'warn', time: '2026-12-05T09:07:37.798Z', pid: 1, component: 'capture', camera: 'door', code: 'AGENT_ERR_RTSP_OPEN', attempt: 3, msg: 'camera unreachable' });
    expect(prettyLine(line)).toBe('09:07:37.798 WARN  capture/door: camera unreachable  code=AGENT_ERR_RTSP_OPEN attempt=3\n');
    expect(prettyLine(JSON.stringify({ level: 'info', time: '2026-12-05T09:07:37.798Z', msg: 'agent started' }))).toBe('09:07:37.798 INFO  agent started\n');
    expect(prettyLine('not json\n')).toBe('not json\n');
  });

  it('pretty goes through the same logger: redaction and levels apply', () => {
    const out: string[] = [];
    const logger = createLogger('info', { write: (s: string) => void out.push(s) }, 'pretty');
    logger.child({ component: 'mqtt' }).info({ password: 'hunter2' }, 'connected');
    logger.debug('hidden');
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} INFO {2}mqtt: connected\s{2}password=\[redacted\]\n$/);
  });
});

describe('the start line (whereToLook)', () => {
  const base = { device: { id: 'cam-box-1' }, http: { host: '127.0.0.1' }, preview: { enabled: true }, mqtt: undefined } as const;
  type Cfg = Parameters<typeof whereToLook>[0];

  it('names the preview, /metrics and the MQTT topics', () => {
    const mqtt = { enabled: true, topic_prefix: 'site7/vigil' };
    const where = whereToLook({ ...base, mqtt } as unknown as Cfg, 9110);
    expect(where).toEqual({ preview: 'http://127.0.0.1:9110/', metrics: 'http://127.0.0.1:9110/metrics', mqtt_topics: 'site7/vigil/cam-box-1/#' });
    expect(whereToLookMessage(where)).toBe('ready: preview http://127.0.0.1:9110/, metrics http://127.0.0.1:9110/metrics, MQTT site7/vigil/cam-box-1/#');
  });

  it('leaves out what is off, and shows a wildcard address as the host name', () => {
    const where = whereToLook({ ...base, http: { host: '0.0.0.0' }, preview: { enabled: false }, mqtt: { enabled: false, topic_prefix: 'vigil' } } as unknown as Cfg, 80, 'jetson-7');
    expect(where).toEqual({ metrics: 'http://jetson-7:80/metrics' });
    expect(whereToLook({ ...base, http: { host: '::1' } } as unknown as Cfg, 9110).metrics).toBe('http://[::1]:9110/metrics');
  });
});
