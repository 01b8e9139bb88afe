import { writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, agentConfigYaml } from '../helpers/agent-process.js';
import { sampleValue, type Sample } from '../helpers/metrics-text.js';
import { Mosquitto, MqttRecorder } from '../helpers/mosquitto.js';
import { media } from '../helpers/testdata.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Config reload on the real agent (issue 17): cameras added and removed
 * while the others keep their connection and counts, a broken file that
 * changes nothing, a detector change that swaps the inference workers,
 * zones applied in place, and an HTTP change that moves only the server.
 */
const camera = (name: string, file = 'vtest.avi', extra = ''): string => `  - name: ${name}\n    url: ${media(file)}\n${extra}`;
const DEVICE = 'reload-01';
/** Set by beforeAll: every config has the same mqtt section, so only the camera changes reach MQTT. */
let mqttSection = '';
const config = (cameras: string, options: { detector?: string } = {}): string => {
  const yaml = agentConfigYaml(cameras, { extra: mqttSection });
  return options.detector ? yaml.replace(/^(detector:\n(?: {2}.*\n)+)/m, `$1${options.detector}`) : yaml;
};
const ZONE = '    zones:\n      - name: square\n        polygon: [[0, 0], [1, 0], [1, 1], [0, 1]]\n';

interface Readyz {
  cameras: { camera: string; state: string }[];
}

describe('config reload without restart', () => {
  let agent: AgentProcess;
  let broker: Mosquitto;
  let recorder: MqttRecorder;
  const snapshotCameras = async (after: number): Promise<string[]> => {
    await recorder.waitFor((msgs) => msgs.slice(after).some((x) => x.topic === `vigil/${DEVICE}/metrics`), 10_000, 'a metrics snapshot');
    const last = recorder.messages.filter((x) => x.topic === `vigil/${DEVICE}/metrics`).at(-1)!;
    return Object.keys((JSON.parse(last.payload) as { cameras: Record<string, unknown> }).cameras).sort();
  };
  const discovery = (cam: string): string => `homeassistant/binary_sensor/vigil_${DEVICE}/${cam}_connected/config`;
  const readyzCameras = async (): Promise<string[]> => {
    const body = (await (await fetch(`http://127.0.0.1:${agent.port}/readyz`)).json()) as Readyz;
    return body.cameras.map((c) => c.camera).sort();
  };
  const value = (samples: readonly Sample[], name: string, cam?: string): number => sampleValue(samples, name, cam ? { camera: cam } : {}) ?? NaN;
  const post = async (port = agent.port, headers: Record<string, string> = {}, host = '127.0.0.1'): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`http://${host}:${port}/-/reload`, { method: 'POST', headers });
    const text = await res.text();
    return { status: res.status, body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text } };
  };
  const reloadsLogged = (): number => agent.logs.filter((l) => l.msg.startsWith('config reload')).length;
  /** SIGHUP with a new file; resolves once the agent logged the outcome. */
  const sighup = async (yaml: string): Promise<void> => {
    const before = reloadsLogged();
    writeFileSync(agent.configFile, yaml);
    process.kill(agent.pid, 'SIGHUP');
    await waitFor(() => reloadsLogged() > before, 'the reload logged', 30_000);
  };
  const running = async (cams: string[]): Promise<Sample[]> => {
    const before = await agent.metrics();
    await waitFor(async () => {
      const now = await agent.metrics();
      return cams.every((c) => value(now, 'frames_sent_total', c) > value(before, 'frames_sent_total', c));
    }, `frames from ${cams.join(', ')}`, 20_000);
    return agent.metrics();
  };

  beforeAll(async () => {
    broker = await Mosquitto.start();
    recorder = await MqttRecorder.start(broker.url(), ['homeassistant/#', 'vigil/#']);
    mqttSection = `device:\n  id: ${DEVICE}\nmqtt:\n  url: ${broker.url()}\n  metrics_interval: 0.5\n  detections:\n    enabled: false\n  home_assistant:\n    enabled: true\n`;
    agent = await AgentProcess.start(config(camera('east') + camera('west')));
    await waitFor(async () => value(await agent.metrics(), 'frames_sent_total', 'west') > 10, 'both cameras running', 30_000);
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await recorder?.stop();
    await broker?.stop();
  });

  it('starts with the reload gauges set: successful, at the start time', async () => {
    const samples = await agent.metrics();
    expect(value(samples, 'config_last_reload_successful')).toBe(1);
    expect(Math.abs(value(samples, 'config_last_reload_success_timestamp_seconds') - Date.now() / 1000)).toBeLessThan(120);
  });

  it('adds a camera on SIGHUP while the others keep their connection and counts', async () => {
    const before = await agent.metrics();
    await sighup(config(camera('east') + camera('west') + camera('cars', 'car-detection.mp4')));
    expect(agent.logs.find((l) => l.msg === 'config reloaded')).toMatchObject({ trigger: 'SIGHUP', added: ['cars'], removed: [], restarted: [] });
    const after = await running(['east', 'west', 'cars']);
    for (const cam of ['east', 'west']) {
      expect(value(after, 'frames_sent_total', cam)).toBeGreaterThan(value(before, 'frames_sent_total', cam));
      expect(value(after, 'video_index', cam)).toBe(value(before, 'video_index', cam));
    }
    expect(await readyzCameras()).toEqual(['cars', 'east', 'west']);
    // MQTT follows in the same session: the snapshot, the counts and a Home Assistant entity for the new camera.
    expect(await snapshotCameras(recorder.messages.length)).toEqual(['cars', 'east', 'west']);
    await recorder.waitFor(() => recorder.on(discovery('cars')).some((m) => m.payload !== '') && recorder.on(`vigil/${DEVICE}/cars/counts`).length > 0, 10_000, 'cars on MQTT');
    expect(value(after, 'mqtt_connects_total')).toBe(1);
    expect(value(after, 'config_last_reload_successful')).toBe(1);
    expect(value(after, 'config_last_reload_success_timestamp_seconds')).toBeGreaterThan(value(before, 'config_last_reload_success_timestamp_seconds'));
  }, 60_000);

  it('removes a camera on POST /-/reload from loopback: its series leave /metrics and /readyz', async () => {
    const before = await agent.metrics();
    writeFileSync(agent.configFile, config(camera('east') + camera('cars', 'car-detection.mp4')));
    const { status, body } = await post();
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'success', changes: { cameras: { added: [], removed: ['west'], restarted: [], scene: [] }, needsRestart: [] } });
    const after = await running(['east', 'cars']);
    expect(after.filter((s) => s.labels.camera === 'west')).toEqual([]);
    expect(await readyzCameras()).toEqual(['cars', 'east']);
    expect(await snapshotCameras(recorder.messages.length)).toEqual(['cars', 'east']);
    await recorder.waitFor(() => recorder.on(discovery('west')).some((m) => m.payload === ''), 10_000, 'west cleared from Home Assistant');
    expect(value(after, 'mqtt_connects_total')).toBe(1);
    expect(value(after, 'frames_sent_total', 'east')).toBeGreaterThan(value(before, 'frames_sent_total', 'east'));
    expect(value(after, 'video_index', 'east')).toBe(value(before, 'video_index', 'east'));
  }, 60_000);

  it('refuses a broken file: nothing changes, errors with their key paths in the log and the answer, gauge 0', async () => {
    const broken = config(camera('east', 'vtest.avi', '    queue_capacity: 0\n') + camera('cars', 'car-detection.mp4', '    colour: red\n'));
    await sighup(broken);
    const refused = agent.logs.filter((l) => l.msg.startsWith('config reload refused')).at(-1)!;
    expect(refused).toMatchObject({ level: 'error', code: 'AGENT_ERR_CONFIG_RELOAD', trigger: 'SIGHUP' });
    const errors = refused.errors as string[];
    expect(errors.some((e) => e.startsWith('cameras.0.queue_capacity: '))).toBe(true);
    expect(errors).toContain('cameras.1.colour: unknown key');
    const samples = await running(['east', 'cars']);
    expect(value(samples, 'config_last_reload_successful')).toBe(0);
    expect(await readyzCameras()).toEqual(['cars', 'east']);
    const { status, body } = await post();
    expect(status).toBe(400);
    expect(body.status).toBe('error');
    expect(body.errors).toEqual(errors);
  }, 60_000);

  it('swaps the inference workers for a detector change: cameras keep their stream, inference goes on', async () => {
    const before = await agent.metrics();
    writeFileSync(agent.configFile, config(camera('east') + camera('cars', 'car-detection.mp4'), { detector: '  score_threshold: 0.5\n' }));
    const { status, body } = await post();
    expect(status).toBe(200);
    expect(body).toMatchObject({ changes: { restart: ['inference'], cameras: { added: [], removed: [], restarted: [], scene: [] } } });
    const inferred = (samples: readonly Sample[]): number => sampleValue(samples, 'detector_inference_seconds_count', { camera: 'east' }) ?? NaN;
    const swapped = await agent.metrics();
    await waitFor(async () => inferred(await agent.metrics()) > inferred(swapped) + 10, 'frames analysed by the new workers', 20_000);
    const after = await agent.metrics();
    expect(value(after, 'config_last_reload_successful')).toBe(1);
    for (const cam of ['east', 'cars']) {
      expect(value(after, 'video_index', cam)).toBe(value(before, 'video_index', cam));
      expect(value(after, 'frames_sent_total', cam)).toBeGreaterThan(value(before, 'frames_sent_total', cam));
    }
    expect(agent.logs.filter((l) => l.msg === 'inference workers started').length).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('applies a zone in place: its series appear without reopening the stream', async () => {
    const before = await agent.metrics();
    writeFileSync(agent.configFile, config(camera('east', 'vtest.avi', ZONE) + camera('cars', 'car-detection.mp4'), { detector: '  score_threshold: 0.5\n' }));
    const { status, body } = await post();
    expect(status).toBe(200);
    expect(body).toMatchObject({ changes: { cameras: { scene: ['east'], restarted: [] }, restart: [] } });
    // detector.classes is empty (every class): a zone's series appear with its first object, here the people walking in vtest.avi.
    const inZone = (samples: readonly Sample[]): boolean => samples.some((x) => x.name === 'zone_entries_total' && x.labels.camera === 'east' && x.labels.zone === 'square' && x.value > 0);
    await waitFor(async () => inZone(await agent.metrics()), 'people entering the new zone', 20_000);
    const after = await agent.metrics();
    expect(value(after, 'video_index', 'east')).toBe(value(before, 'video_index', 'east'));
  }, 60_000);

  it('restarts only the HTTP server for an http change; with a token the reload needs it, without one only loopback may', async () => {
    const outside = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    const listened = agent.logs.filter((l) => l.msg === 'http server listening').length;
    const before = await agent.metrics();
    const cams = camera('east', 'vtest.avi', ZONE) + camera('cars', 'car-detection.mp4');
    writeFileSync(agent.configFile, config(cams, { detector: '  score_threshold: 0.5\n' }).replace('http:\n  host: 127.0.0.1', 'http:\n  host: 0.0.0.0'));
    expect((await post()).body).toMatchObject({ changes: { restart: ['http'] } });
    const moved = await waitFor(() => agent.logs.filter((l) => l.msg === 'http server listening')[listened], 'the server listening again', 10_000);
    agent.port = moved.port as number;
    if (outside) expect((await post(agent.port, {}, outside)).status).toBe(403);
    // With a token: required from anywhere, loopback too.
    writeFileSync(agent.configFile, config(cams, { detector: '  score_threshold: 0.5\n' }).replace('http:\n  host: 127.0.0.1', 'http:\n  host: 127.0.0.1\n  token: s3cret-token-0123456789'));
    const tokenOutcome = await post();
    expect(tokenOutcome.status).toBe(200);
    const again = await waitFor(() => agent.logs.filter((l) => l.msg === 'http server listening')[listened + 1], 'the server listening with the token', 10_000);
    agent.port = again.port as number;
    expect((await post()).status).toBe(401);
    expect((await post(agent.port, { authorization: 'Bearer s3cret-token-0123456789' })).status).toBe(200);
    const after = await running(['east', 'cars']);
    expect(value(after, 'video_index', 'east')).toBe(value(before, 'video_index', 'east'));
  }, 60_000);
});
