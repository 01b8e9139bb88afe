import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, agentConfigYaml } from '../helpers/agent-process.js';
import { sampleValue } from '../helpers/metrics-text.js';
import { Mosquitto, MqttRecorder } from '../helpers/mosquitto.js';
import { media } from '../helpers/testdata.js';
import { waitFor } from '../helpers/wait.js';

interface Snapshot {
  seq: number;
  timestamp_ms: number;
}

const OUTAGE_MS = 20_000;
/** The outage is what the test injects; it is a duration, not a wait for something to happen. */
const outage = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function agentYaml(device: string, url: string, mqttExtra: string): string {
  return agentConfigYaml(`  - name: plaza\n    url: ${media('vtest.avi')}\n    file_pace: realtime\n`, {
    extra:
      `device:\n  id: ${device}\n` +
      `mqtt:\n  url: ${url}\n  keepalive_seconds: 5\n  connect_timeout_seconds: 3\n  reconnect: { initial_seconds: 0.5, max_seconds: 2 }\n${mqttExtra}`,
  });
}

/** Seqs in the order they first arrived (QoS 1 is at least once: a redelivered snapshot may repeat). */
function firstArrivals(recorder: MqttRecorder, topic: string): Snapshot[] {
  const seen = new Set<number>();
  const out: Snapshot[] = [];
  for (const m of recorder.on(topic)) {
    const s = JSON.parse(m.payload) as Snapshot;
    if (!seen.has(s.seq)) out.push(s);
    seen.add(s.seq);
  }
  return out;
}

function expectGapFree(snapshots: readonly Snapshot[]): void {
  expect(snapshots.map((s) => s.seq)).toEqual(snapshots.map((_, i) => i + 1));
}

/**
 * Broker outages against a real Mosquitto: killed, frozen, and down for
 * longer than the buffer holds. A persistent subscriber session (clean:
 * false, broker persistence) stands for the fleet's consumer, so what the
 * agent flushes on reconnect is queued for it even if it reconnects later.
 */
describe('MQTT through broker outages', () => {
  let broker: Mosquitto;
  let recorder: MqttRecorder;
  let agent: AgentProcess;
  const metric = async (name: string, labels: Record<string, string> = {}): Promise<number> => sampleValue(await agent.metrics(), name, labels) ?? NaN;

  beforeAll(async () => {
    broker = await Mosquitto.start({ persistence: true });
    recorder = await MqttRecorder.start(broker.url(), 'vigil/#', { clientId: 'fleet-consumer', clean: false, keepalive: 120 });
    await broker.persisted();
    agent = await AgentProcess.start(agentYaml('edge-a', broker.url(), '  metrics_interval: 1\n'));
  });

  afterAll(async () => {
    await agent?.stop();
    await recorder?.stop();
    await broker?.stop();
  });

  it('delivers every metrics snapshot of a 20 s broker kill after reconnect, in order and gap-free', async () => {
    const topic = 'vigil/edge-a/metrics';
    await recorder.waitFor(() => recorder.on(topic).length >= 2, 15_000, 'first snapshots');
    await broker.kill('SIGKILL');
    const killedAt = Date.now();
    await waitFor(async () => (await metric('mqtt_connected')) === 0, 'mqtt_connected 0', 10_000);
    await outage(OUTAGE_MS - (Date.now() - killedAt));
    expect(await metric('mqtt_buffered_messages')).toBeGreaterThanOrEqual(15);
    expect(await metric('classifier_frames_processed_total', { camera: 'plaza' })).toBeGreaterThan(100);
    await broker.restart();
    const restartedAt = Date.now();
    await recorder.waitFor(() => firstArrivals(recorder, topic).some((s) => s.timestamp_ms > restartedAt), 20_000, 'a snapshot taken after the restart');
    const snapshots = firstArrivals(recorder, topic);
    expectGapFree(snapshots);
    const duringOutage = snapshots.filter((s) => s.timestamp_ms > killedAt && s.timestamp_ms < restartedAt);
    expect(duringOutage.length).toBeGreaterThanOrEqual(18);
    const arrival = new Map(recorder.on(topic).map((m) => [(JSON.parse(m.payload) as Snapshot).seq, m.receivedAt]));
    for (const s of duringOutage) expect(arrival.get(s.seq)!).toBeGreaterThanOrEqual(restartedAt);
    for (const reason of ['buffer_full', 'too_large', 'rejected']) expect(await metric('mqtt_messages_dropped_total', { kind: 'metrics', reason })).toBe(0);
    await recorder.waitFor(() => recorder.on('vigil/edge-a/status').some((m) => m.receivedAt >= restartedAt && m.payload === 'online'), 10_000, 'online again');
    expect(await metric('mqtt_connects_total')).toBe(2);
  }, 90_000);

  it('goes offline through its Last Will while the broker is frozen 20 s, then back online, losing no snapshot', async () => {
    const topic = 'vigil/edge-a/metrics';
    const status = 'vigil/edge-a/status';
    const statusBefore = recorder.on(status).length;
    broker.freeze();
    const frozenAt = Date.now();
    await waitFor(async () => (await metric('mqtt_connected')) === 0, 'keepalive noticing the frozen broker', 15_000);
    await outage(OUTAGE_MS - (Date.now() - frozenAt));
    broker.thaw();
    const thawedAt = Date.now();
    await recorder.waitFor(
      () => {
        const after = recorder.on(status).slice(statusBefore).map((m) => m.payload);
        return after.includes('offline') && after.at(-1) === 'online';
      },
      20_000,
      'offline (Last Will) then online',
    );
    await recorder.waitFor(() => firstArrivals(recorder, topic).some((s) => s.timestamp_ms > thawedAt), 20_000, 'a snapshot taken after the thaw');
    const snapshots = firstArrivals(recorder, topic);
    expectGapFree(snapshots);
    expect(snapshots.filter((s) => s.timestamp_ms > frozenAt && s.timestamp_ms < thawedAt).length).toBeGreaterThanOrEqual(15);
    expect((await MqttRecorder.retained(broker.url(), status)).payload).toBe('online');
  }, 90_000);

  it('starts with the broker down: the pipeline runs, and the snapshots go out once the broker comes', async () => {
    await agent.stop();
    await broker.kill('SIGKILL');
    const topic = 'vigil/edge-c/metrics';
    agent = await AgentProcess.start(agentYaml('edge-c', broker.url(), '  metrics_interval: 0.5\n'));
    await waitFor(() => agent.logs.some((l) => l.code === 'AGENT_ERR_MQTT_CONNECT'), 'a logged connect failure', 10_000);
    await waitFor(async () => (await metric('classifier_frames_processed_total', { camera: 'plaza' })) >= 30, '30 frames without a broker', 15_000);
    expect(await metric('mqtt_connected')).toBe(0);
    await broker.restart();
    const restartedAt = Date.now();
    await recorder.waitFor(() => firstArrivals(recorder, topic).some((s) => s.timestamp_ms > restartedAt), 20_000, 'a snapshot taken after the broker came');
    const snapshots = firstArrivals(recorder, topic);
    expectGapFree(snapshots);
    expect(snapshots.filter((s) => s.timestamp_ms < restartedAt).length).toBeGreaterThanOrEqual(5);
  }, 60_000);

  it('stays within its buffer through an outage longer than the buffer holds, and counts every drop', async () => {
    await agent.stop();
    const maxMessages = 40;
    const maxBytes = 64 * 1024;
    const topic = 'vigil/edge-b/metrics';
    agent = await AgentProcess.start(
      agentYaml('edge-b', broker.url(), `  metrics_interval: 0.25\n  buffer: { max_messages: ${maxMessages}, max_bytes: ${maxBytes} }\n`),
    );
    await recorder.waitFor(() => recorder.on(topic).length >= 2, 15_000, 'first snapshots');
    await broker.kill('SIGKILL');
    const killedAt = Date.now();
    let peakMessages = 0;
    let peakBytes = 0;
    while (Date.now() - killedAt < 15_000) {
      const samples = await agent.metrics();
      peakMessages = Math.max(peakMessages, sampleValue(samples, 'mqtt_buffered_messages') ?? 0);
      peakBytes = Math.max(peakBytes, sampleValue(samples, 'mqtt_buffered_bytes') ?? 0);
      await outage(250);
    }
    expect(peakMessages).toBeLessThanOrEqual(maxMessages);
    expect(peakMessages).toBeGreaterThanOrEqual(maxMessages - 2);
    expect(peakBytes).toBeLessThanOrEqual(maxBytes);
    await broker.restart();
    const restartedAt = Date.now();
    await recorder.waitFor(() => firstArrivals(recorder, topic).some((s) => s.timestamp_ms > restartedAt + 500), 20_000, 'snapshots after the restart');
    const samples = await agent.metrics();
    const dropped = (kind: string): number => sampleValue(samples, 'mqtt_messages_dropped_total', { kind, reason: 'buffer_full' }) ?? NaN;
    // 60 snapshots in 15 s cannot fit in 40 slots: the oldest were dropped, and counted.
    const snapshots = firstArrivals(recorder, topic);
    const seqs = snapshots.map((s) => s.seq);
    const missing = Math.max(...seqs) - new Set(seqs).size;
    expect(missing).toBeGreaterThan(0);
    expect(dropped('metrics')).toBe(missing);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    // Detections went first: every frame is published, dropped, or still waiting.
    expect(dropped('detections')).toBeGreaterThan(100);
    const frames = sampleValue(samples, 'classifier_frames_processed_total', { camera: 'plaza' }) ?? NaN;
    const published = sampleValue(samples, 'mqtt_messages_published_total', { kind: 'detections' }) ?? NaN;
    const buffered = sampleValue(samples, 'mqtt_buffered_messages') ?? NaN;
    expect(Math.abs(frames - published - dropped('detections'))).toBeLessThanOrEqual(buffered);
  }, 90_000);
});
