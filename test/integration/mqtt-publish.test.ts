import { connectAsync, type IPublishPacket } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, agentConfigYaml } from '../helpers/agent-process.js';
import { sampleValue, type Sample } from '../helpers/metrics-text.js';
import { Mosquitto, MqttRecorder, type RecordedMessage } from '../helpers/mosquitto.js';
import { assertMatchesSchema } from '../helpers/payload-schemas.js';
import { media } from '../helpers/testdata.js';
import { waitFor } from '../helpers/wait.js';

interface Detections {
  seq: number;
  camera: string;
  objects: { label: string; score: number; box: number[] }[];
}
interface Histogram {
  count: number;
  count_total: number;
  sum_total: number;
}
interface Snapshot {
  seq: number;
  session: string;
  timestamp_ms: number;
  cameras: Record<string, Record<string, number | Histogram | Record<string, number>>>;
}

const DEVICE = 'edge-01';
const STATUS = `vigil/${DEVICE}/status`;
const METRICS = `vigil/${DEVICE}/metrics`;
const DETECTIONS = `vigil/${DEVICE}/plaza/detections`;

/** The agent's mqtt.metrics_interval, and the file's frame rate read at `file_pace: realtime`. */
const METRICS_INTERVAL_MS = 2000;
const FILE_FPS = 10;

const parse = <T>(m: RecordedMessage): T => JSON.parse(m.payload) as T;

function agentYaml(url: string, extra = ''): string {
  return agentConfigYaml(`  - name: plaza\n    url: ${media('vtest.avi')}\n    file_pace: realtime\n`, {
    extra: `device:\n  id: ${DEVICE}\n  site: test-site\nmqtt:\n  url: ${url}\n  metrics_interval: ${METRICS_INTERVAL_MS / 1000}\n  keepalive_seconds: 5\n${extra}`,
  });
}

/**
 * The topic contract against a real Mosquitto: detections per frame,
 * metrics snapshots equal to /metrics, retained status with a Last Will.
 */
describe('MQTT publishing to a real broker', () => {
  let broker: Mosquitto;
  let recorder: MqttRecorder;
  let agent: AgentProcess;

  beforeAll(async () => {
    broker = await Mosquitto.start({ websockets: true });
    recorder = await MqttRecorder.start(broker.url(), 'vigil/#');
    agent = await AgentProcess.start(agentYaml(broker.url()));
  });

  afterAll(async () => {
    await agent?.stop();
    await recorder?.stop();
    await broker?.stop();
  });

  it('publishes a retained online status once connected', async () => {
    await recorder.waitFor(() => recorder.on(STATUS).some((m) => m.payload === 'online'), 15_000, 'online status');
    expect(await MqttRecorder.retained(broker.url(), STATUS)).toMatchObject({ payload: 'online', retain: true });
  });

  it('publishes one schema-valid detections message per processed frame, with the persons of vtest.avi', async () => {
    await recorder.waitFor(() => recorder.on(DETECTIONS).length >= 30, 30_000, '30 detections messages');
    const messages = recorder.on(DETECTIONS).map((m) => parse<Detections>(m));
    for (const payload of messages) assertMatchesSchema('detections', payload);
    const seqs = messages.map((m) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    const withPersons = messages.filter((m) => m.objects.some((o) => o.label === 'person' && o.score >= 0.5));
    expect(withPersons.length).toBeGreaterThan(messages.length * 0.8);
    const person = withPersons[0]!.objects.find((o) => o.label === 'person')!;
    const [x1, y1, x2, y2] = person.box as [number, number, number, number];
    expect(x1).toBeGreaterThanOrEqual(0);
    expect(x2).toBeLessThanOrEqual(768);
    expect(y2).toBeLessThanOrEqual(576);
    expect(x2 - x1).toBeGreaterThan(10);
    expect(y2 - y1).toBeGreaterThan(20);
    expect(recorder.on(DETECTIONS).every((m) => m.qos === 0 && !m.retain)).toBe(true);
  });

  it('publishes metrics snapshots at the interval, gap-free, equal to /metrics at that moment', async () => {
    const scrapes = new Map<number, { samples: Sample[]; at: number }>();
    const onMessage = (topic: string, payload: Buffer): void => {
      if (topic !== METRICS) return;
      const seq = (JSON.parse(payload.toString()) as Snapshot).seq;
      void agent.metrics().then((samples) => scrapes.set(seq, { samples, at: Date.now() }));
    };
    recorder.client.on('message', onMessage);
    const start = recorder.on(METRICS).length;
    try {
      await waitFor(() => scrapes.size >= 3, '3 metrics snapshots, each with a scrape right after it', 20_000);
    } finally {
      recorder.client.off('message', onMessage);
    }
    const snapshots = recorder.on(METRICS).map((m) => parse<Snapshot>(m));
    for (const s of snapshots) assertMatchesSchema('metrics', s);
    expect(snapshots.map((s) => s.seq)).toEqual(snapshots.map((_, i) => i + 1));
    expect(new Set(snapshots.map((s) => s.session)).size).toBe(1);
    // At the interval on average; a single snapshot late on a busy machine (and the next one early) is no fault.
    const spacing = snapshots.slice(1).map((s, i) => s.timestamp_ms - snapshots[i]!.timestamp_ms);
    for (const gap of spacing) {
      expect(gap, `spacing ${spacing.join(', ')} ms`).toBeGreaterThan(0.5 * METRICS_INTERVAL_MS);
      expect(gap, `spacing ${spacing.join(', ')} ms`).toBeLessThan(1.5 * METRICS_INTERVAL_MS);
    }
    const meanSpacing = (snapshots.at(-1)!.timestamp_ms - snapshots[0]!.timestamp_ms) / spacing.length;
    expect(meanSpacing, `spacing ${spacing.join(', ')} ms`).toBeGreaterThan(0.9 * METRICS_INTERVAL_MS);
    expect(meanSpacing, `spacing ${spacing.join(', ')} ms`).toBeLessThan(1.1 * METRICS_INTERVAL_MS);
    expect(recorder.on(METRICS).every((m) => m.qos === 1)).toBe(true);
    for (const snapshot of snapshots.slice(start)) {
      const scrape = scrapes.get(snapshot.seq);
      if (!scrape) continue;
      const camera = snapshot.cameras.plaza!;
      const scraped = (name: string): number => sampleValue(scrape.samples, name, { camera: 'plaza' }) ?? NaN;
      // Within the frames captured between the snapshot and the scrape right after it
      // (one, unless a busy machine delayed the scrape), plus the one in flight.
      const framesBetween = 1 + Math.floor(((scrape.at - snapshot.timestamp_ms) * FILE_FPS) / 1000);
      for (const name of ['frames_sent_total', 'classifier_frames_processed_total']) {
        const diff = scraped(name) - (camera[name] as number);
        expect(diff, name).toBeGreaterThanOrEqual(0);
        expect(diff, `${name}, scraped ${scrape.at - snapshot.timestamp_ms} ms after the snapshot`).toBeLessThanOrEqual(framesBetween);
      }
      for (const name of ['detector_disconnected', 'video_index', 'detector_disconnected_seconds_total']) expect(camera[name], name).toBe(scraped(name));
      const latency = camera.frame_latency as Histogram;
      expect(scraped('frame_latency_count') - latency.count_total).toBeLessThanOrEqual(framesBetween);
      // The frames of one interval: the file's rate over the interval, give or take half.
      const framesPerInterval = (FILE_FPS * METRICS_INTERVAL_MS) / 1000;
      expect(latency.count).toBeGreaterThan(0.5 * framesPerInterval);
      expect(latency.count).toBeLessThan(1.5 * framesPerInterval);
    }
    expect(scrapes.size).toBeGreaterThanOrEqual(3);
  });

  it('shows its own state on /metrics', async () => {
    const samples = await agent.metrics();
    expect(sampleValue(samples, 'mqtt_connected')).toBe(1);
    expect(sampleValue(samples, 'mqtt_messages_published_total', { kind: 'detections' })).toBeGreaterThan(10);
    expect(sampleValue(samples, 'mqtt_messages_published_total', { kind: 'metrics' })).toBeGreaterThanOrEqual(3);
    expect(sampleValue(samples, 'mqtt_buffered_messages')).toBeLessThan(10);
    expect(sampleValue(samples, 'mqtt_messages_dropped_total', { kind: 'detections', reason: 'buffer_full' })).toBe(0);
  });

  it('publishes offline itself on SIGTERM and exits 0 within 5 s', async () => {
    const before = recorder.on(STATUS).length;
    const stoppedAt = Date.now();
    const code = await agent.stop();
    expect(code).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    expect(recorder.on(STATUS).slice(before).map((m) => m.payload)).toEqual(['offline']);
    expect(agent.logs.some((l) => l.msg === 'stage did not stop in time')).toBe(false);
  });

  it('speaks MQTT 5, with message expiry on metrics snapshots only', async () => {
    const v5 = await connectAsync(broker.url(), { protocolVersion: 5, clientId: 'v5-consumer' });
    const packets: IPublishPacket[] = [];
    v5.on('message', (_topic, _payload, packet) => packets.push(packet));
    await v5.subscribeAsync('vigil/edge-v5/#', { qos: 1 });
    const agent5 = await AgentProcess.start(
      agentConfigYaml(`  - name: plaza\n    url: ${media('vtest.avi')}\n`, {
        extra:
          `device:\n  id: edge-v5\nmqtt:\n  url: ${broker.url()}\n  protocol: "5"\n  metrics_interval: 1\n  metrics_expiry_seconds: 120\n` +
          '  detections: { max_per_second: 2 }\n',
      }),
    );
    try {
      await waitFor(() => packets.some((p) => p.topic === 'vigil/edge-v5/metrics') && packets.some((p) => p.topic.endsWith('/detections')), 'v5 metrics and detections', 20_000);
      const metrics = packets.find((p) => p.topic === 'vigil/edge-v5/metrics')!;
      expect(metrics.properties?.messageExpiryInterval).toBeGreaterThan(100);
      expect(metrics.properties?.messageExpiryInterval).toBeLessThanOrEqual(120);
      assertMatchesSchema('metrics', JSON.parse(metrics.payload.toString()));
      expect(packets.find((p) => p.topic.endsWith('/detections'))!.properties?.messageExpiryInterval).toBeUndefined();
      // 10 frames/s from the file, at most 2 published a second (plus a burst of 2): the rest are counted.
      const firstAt = Date.now();
      const from = packets.filter((p) => p.topic.endsWith('/detections')).length;
      await waitFor(() => Date.now() - firstAt >= 3000, '3 s of rate-limited detections', 5000);
      const published = packets.filter((p) => p.topic.endsWith('/detections')).length - from;
      expect(published).toBeGreaterThanOrEqual(4);
      expect(published).toBeLessThanOrEqual(9);
      expect(sampleValue(await agent5.metrics(), 'mqtt_messages_dropped_total', { kind: 'detections', reason: 'rate_limit' })).toBeGreaterThan(10);
    } finally {
      expect(await agent5.stop()).toBe(0);
      await v5.endAsync();
    }
  });

  it('leaves a retained offline through its Last Will when SIGKILLed', async () => {
    const killed = await AgentProcess.start(agentYaml(broker.url('ws')));
    try {
      await waitFor(() => killed.logs.find((l) => l.msg === 'mqtt connected'), 'agent connected over ws://', 15_000);
      await recorder.waitFor(() => recorder.on(STATUS).at(-1)?.payload === 'online', 10_000, 'online over websockets');
      process.kill(killed.pid, 'SIGKILL');
      await recorder.waitFor(() => recorder.on(STATUS).at(-1)?.payload === 'offline', 10_000, 'the Last Will');
    } finally {
      await killed.stop();
    }
    expect(await MqttRecorder.retained(broker.url(), STATUS)).toMatchObject({ payload: 'offline', retain: true });
  });
});
