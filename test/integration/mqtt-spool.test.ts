import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, agentConfigYaml } from '../helpers/agent-process.js';
import { Mosquitto, MqttRecorder } from '../helpers/mosquitto.js';
import { media } from '../helpers/testdata.js';
import { waitFor } from '../helpers/wait.js';

interface Snapshot {
  session: string;
  seq: number;
}

const TOPIC = 'vigil/edge-spool/metrics';

/**
 * The agent restarts while the broker is down: the snapshots it could not
 * send wait in <state_dir>/mqtt-spool.jsonl and go out, in order, once the
 * broker is back.
 */
describe('MQTT spool across an agent restart during an outage', () => {
  let broker: Mosquitto;
  let recorder: MqttRecorder;
  let stateDir: string;
  let agent: AgentProcess | undefined;
  const spoolFile = (): string => join(stateDir, 'mqtt-spool.jsonl');
  /** Spooled metrics snapshots; tracking events (kind "event") share the file. */
  const spooledLines = (): number =>
    existsSync(spoolFile())
      ? readFileSync(spoolFile(), 'utf8')
          .split('\n')
          .filter((line) => line && (JSON.parse(line) as { kind?: string }).kind !== 'event').length
      : 0;
  const startAgent = (): Promise<AgentProcess> =>
    AgentProcess.start(
      agentConfigYaml(`  - name: gate\n    url: ${media('vtest.avi')}\n    file_pace: realtime\n`, {
        extra:
          `device:\n  id: edge-spool\n` +
          `mqtt:\n  url: ${broker.url()}\n  metrics_interval: 0.5\n  spool: true\n  connect_timeout_seconds: 2\n  reconnect: { initial_seconds: 0.5, max_seconds: 1 }\n`,
      }),
      // As systemd's StateDirectory= would set it.
      { STATE_DIRECTORY: stateDir },
    );

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'vigil-state-'));
    broker = await Mosquitto.start({ persistence: true });
    recorder = await MqttRecorder.start(broker.url(), TOPIC, { clientId: 'spool-consumer', clean: false });
    await broker.persisted();
  });

  afterAll(async () => {
    await agent?.stop();
    await recorder?.stop();
    await broker?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('keeps unsent snapshots on disk through a restart and delivers them in order after reconnect', async () => {
    agent = await startAgent();
    await recorder.waitFor((msgs) => msgs.length >= 3, 15_000, 'first snapshots');
    await broker.kill('SIGKILL');
    await waitFor(() => spooledLines() >= 10, '10 snapshots spooled during the outage', 15_000);
    const stoppedAt = Date.now();
    expect(await agent.stop()).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    const firstSession = spooledLines();

    agent = await startAgent();
    await waitFor(() => agent!.logs.find((l) => l.msg === 'metrics snapshots restored from the MQTT spool'), 'spool restored', 10_000);
    expect(agent.logs.find((l) => l.msg === 'metrics snapshots restored from the MQTT spool')!.snapshots).toBe(firstSession);
    await broker.restart();
    await recorder.waitFor((msgs) => new Set(msgs.map((m) => (JSON.parse(m.payload) as Snapshot).session)).size >= 2, 20_000, 'snapshots of both sessions');
    await recorder.waitFor((msgs) => msgs.length >= 3 + firstSession + 2, 20_000, 'the spooled snapshots');

    const bySession = new Map<string, number[]>();
    for (const m of recorder.messages) {
      const { session, seq } = JSON.parse(m.payload) as Snapshot;
      const seqs = bySession.get(session) ?? [];
      if (!seqs.includes(seq)) seqs.push(seq);
      bySession.set(session, seqs);
    }
    const [first, second] = [...bySession.values()];
    // The whole first session arrives, in order, none missing: the ones sent before the outage and the spooled rest.
    expect(first).toEqual(first!.map((_, i) => i + 1));
    expect(first!.length).toBeGreaterThanOrEqual(3 + 10);
    expect(second![0]).toBe(1);
    // Spooled snapshots went out before the new session's.
    const sessionOrder = recorder.messages.map((m) => (JSON.parse(m.payload) as Snapshot).session);
    expect(sessionOrder.lastIndexOf(sessionOrder[0]!)).toBeLessThan(sessionOrder.indexOf(sessionOrder.at(-1)!));
    await waitFor(() => existsSync(spoolFile()) && statSync(spoolFile()).size === 0, 'the spool emptied once delivered', 10_000);
  }, 90_000);
});
