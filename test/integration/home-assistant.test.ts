import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, agentConfigYaml } from '../helpers/agent-process.js';
import { Mosquitto, MqttRecorder, type RecordedMessage } from '../helpers/mosquitto.js';
import { assertMatchesSchema } from '../helpers/payload-schemas.js';
import { media } from '../helpers/testdata.js';

const DEVICE = 'edge-01';
const STATUS = `vigil/${DEVICE}/status`;
const NODE = `vigil_${DEVICE}`;
const config = (component: string, objectId: string): string => `homeassistant/${component}/${NODE}/${objectId}/config`;

const LEFT = '      - name: left\n        polygon: [[0.05, 0.3], [0.45, 0.3], [0.45, 0.75], [0.05, 0.75]]\n';
const RIGHT = '      - name: right\n        polygon: [[0.55, 0.3], [0.95, 0.3], [0.95, 0.75], [0.55, 0.75]]\n        labels: [person]\n';
const LINE = '    lines:\n      - name: middle\n        points: [[0.5, 0.3], [0.5, 0.75]]\n';
/** vtest.avi at 2 frames a second: the test reads configs and counts, not detections. */
const camera = (name: string, scene: string): string => `  - name: ${name}\n    url: ${media('vtest.avi')}\n    file_pace: realtime\n    fps_cap: 2\n${scene}`;

function agentYaml(url: string, cameras: string): string {
  return agentConfigYaml(cameras, {
    extra: `device:\n  id: ${DEVICE}\nmqtt:\n  url: ${url}\n  detections:\n    enabled: false\n  home_assistant:\n    enabled: true\n`,
  });
}

const FIRST = [
  config('binary_sensor', 'plaza_connected'),
  config('sensor', 'plaza_zone_left'),
  config('sensor', 'plaza_zone_right'),
  config('sensor', 'plaza_zone_right_person'),
  config('sensor', 'plaza_line_middle_in'),
  config('sensor', 'plaza_line_middle_out'),
  config('binary_sensor', 'yard_connected'),
  config('binary_sensor', 'gone_connected'),
];
/** The second run drops plaza's zone `left` and the cameras `yard` and `gone`. */
const REMOVED = [config('sensor', 'plaza_zone_left'), config('binary_sensor', 'yard_connected'), config('binary_sensor', 'gone_connected')];
/** A camera nobody answers for: its connected state goes OFF. */
const GONE = '  - name: gone\n    url: rtsp://127.0.0.1:9/stream\n    stall_timeout_seconds: 1\n';
const KEPT = FIRST.filter((t) => !REMOVED.includes(t));

/**
 * Every retained message under `filter` now: a fresh subscriber, then a
 * marker published after its SUBACK, which the broker delivers after the
 * retained ones, so nothing retained can still be on its way.
 */
async function retainedUnder(url: string, filter: string, marker: string): Promise<Map<string, RecordedMessage>> {
  const late = await MqttRecorder.start(url, filter);
  try {
    await late.client.publishAsync(marker, 'marker', { qos: 1 });
    await late.waitFor((msgs) => msgs.some((m) => m.topic === marker), 5000, 'the marker after the retained messages');
    return new Map(late.messages.filter((m) => m.retain).map((m) => [m.topic, m]));
  } finally {
    await late.stop();
  }
}

/** The value_template's path into the counts message: `value_json.totals.zones["right"]` → ['totals', 'zones', 'right']. */
function templatePath(template: string): string[] {
  const match = /value_json((?:\.\w+|\["[^"]+"\])+)/.exec(template);
  if (!match) return [];
  return [...match[1]!.matchAll(/\.(\w+)|\["([^"]+)"\]/g)].map((m) => m[1] ?? m[2]!);
}

/** Home Assistant MQTT discovery (issue 15 item 5) against a real Mosquitto and the real agent, across a restart that removes a zone and a camera. */
describe('Home Assistant discovery', () => {
  let broker: Mosquitto;
  let agent: AgentProcess;
  let recorder: MqttRecorder;
  let first: Map<string, RecordedMessage>;

  beforeAll(async () => {
    broker = await Mosquitto.start();
    recorder = await MqttRecorder.start(broker.url(), ['homeassistant/#', 'vigil/#']);
    agent = await AgentProcess.start(agentYaml(broker.url(), camera('plaza', `    zones:\n${LEFT}${RIGHT}${LINE}`) + camera('yard', '') + GONE));
    await recorder.waitFor(() => FIRST.every((t) => recorder.on(t).length > 0) && recorder.on(`vigil/${DEVICE}/yard/counts`).length > 0, 30_000, 'the discovery configs and counts');
    first = await retainedUnder(broker.url(), 'homeassistant/#', 'homeassistant/marker/1');
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await recorder?.stop();
    await broker?.stop();
  });

  it('retains one valid config per zone, zone label, line direction and camera connection, under the device node id', () => {
    expect([...first.keys()].sort()).toEqual([...FIRST].sort());
    for (const [topic, m] of first) {
      const payload = JSON.parse(m.payload) as Record<string, unknown>;
      assertMatchesSchema('discovery', payload);
      expect(payload.unique_id, topic).toBe(`${NODE}_${topic.split('/')[3]}`);
    }
  });

  it('binds every entity to one device, available with vigil status, reading the camera counts', async () => {
    const payloads = [...first.values()].map((m) => JSON.parse(m.payload) as { device: { identifiers: string[] }; availability_topic: string; state_topic: string; value_template: string });
    expect(new Set(payloads.map((p) => JSON.stringify(p.device))).size).toBe(1);
    expect(payloads[0]!.device.identifiers).toEqual([NODE]);
    for (const p of payloads) expect(p.availability_topic).toBe(STATUS);
    expect((await MqttRecorder.retained(broker.url(), STATUS)).payload).toBe('online');
    // Each template's path exists in the retained counts of its camera: HA shows a number (or ON/OFF), not an error.
    for (const p of payloads) {
      const counts = JSON.parse((await MqttRecorder.retained(broker.url(), p.state_topic)).payload) as Record<string, unknown>;
      assertMatchesSchema('counts', counts);
      const path = templatePath(p.value_template);
      const value = path.slice(0, -1).reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], counts);
      expect(value, `${p.value_template} on ${p.state_topic}`).toBeTypeOf('object');
      if (path.at(-1) !== 'person') expect(path.at(-1)! in (value as object), p.value_template).toBe(true);
    }
    const yard = JSON.parse((await MqttRecorder.retained(broker.url(), `vigil/${DEVICE}/yard/counts`)).payload) as { connected: boolean };
    expect(yard.connected).toBe(true);
    // The camera that never connects: its counts say so (the binary_sensor's OFF), retained.
    const gone = `vigil/${DEVICE}/gone/counts`;
    await recorder.waitFor(() => recorder.on(gone).some((m) => (JSON.parse(m.payload) as { connected: boolean }).connected === false), 20_000, 'gone disconnected');
    expect(JSON.parse((await MqttRecorder.retained(broker.url(), gone)).payload)).toMatchObject({ connected: false, zones: {}, lines: {} });
  });

  it('after a restart without zone left and cameras yard and gone, clears exactly their configs and keeps the others as they were', async () => {
    expect(await agent.stop()).toBe(0);
    const mark = recorder.messages.length;
    agent = await AgentProcess.start(agentYaml(broker.url(), camera('plaza', `    zones:\n${RIGHT}${LINE}`)));
    const cleared = (): RecordedMessage[] => recorder.messages.slice(mark).filter((m) => m.topic.startsWith('homeassistant/') && m.payload === '');
    await recorder.waitFor(() => REMOVED.every((t) => cleared().some((m) => m.topic === t)), 30_000, 'the removed entities cleared');
    await recorder.waitFor(() => KEPT.every((t) => recorder.messages.slice(mark).some((m) => m.topic === t && m.payload !== '')), 30_000, 'the kept configs published again');
    expect(cleared().map((m) => m.topic).sort()).toEqual([...REMOVED].sort());
    const after = await retainedUnder(broker.url(), 'homeassistant/#', 'homeassistant/marker/2');
    expect([...after.keys()].sort()).toEqual([...KEPT].sort());
    for (const topic of KEPT) expect(after.get(topic)!.payload).toBe(first.get(topic)!.payload);
  }, 120_000);
});
