import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, agentConfigYaml, type LogLine } from '../helpers/agent-process.js';
import { sampleValue } from '../helpers/metrics-text.js';
import { Mosquitto, MqttRecorder } from '../helpers/mosquitto.js';
import { media } from '../helpers/testdata.js';
import { waitFor } from '../helpers/wait.js';

const USER = 'edge';
const PASSWORD = 'c0rrect-h0rse';
const WRONG = 'wr0ng-batt3ry';

function agentYaml(device: string, mqtt: string): string {
  return agentConfigYaml(`  - name: gate\n    url: ${media('vtest.avi')}\n    file_pace: realtime\n`, {
    extra: `device:\n  id: ${device}\nmqtt:\n${mqtt}  username: ${USER}\n  password: \${MQTT_PASSWORD}\n  reconnect: { initial_seconds: 0.5, max_seconds: 4 }\n`,
  });
}

const failures = (agent: AgentProcess, code: string): LogLine[] => agent.logs.filter((l) => l.code === code && l.msg.startsWith('mqtt connect failed'));

/** A broker with a password file and a TLS listener (certificates made by openssl in the test). */
describe('MQTT credentials and TLS', () => {
  let broker: Mosquitto;
  const agents: AgentProcess[] = [];
  const start = async (yaml: string, password: string): Promise<AgentProcess> => {
    const agent = await AgentProcess.start(yaml, { MQTT_PASSWORD: password });
    agents.push(agent);
    return agent;
  };

  beforeAll(async () => {
    broker = await Mosquitto.start({ auth: { username: USER, password: PASSWORD }, tls: true });
  });

  afterAll(async () => {
    for (const agent of agents) await agent.stop();
    await broker?.stop();
  });

  it('logs a refused password clearly, retries with growing delays, and keeps the pipeline running', async () => {
    const agent = await start(agentYaml('edge-wrong', `  url: ${broker.url()}\n`), WRONG);
    await waitFor(() => failures(agent, 'AGENT_ERR_MQTT_AUTH').length >= 4, '4 refused connection attempts', 30_000);
    const refused = failures(agent, 'AGENT_ERR_MQTT_AUTH');
    expect(refused[0]!.level).toBe('error');
    expect(refused[0]!.msg).toMatch(/refused the credentials: check mqtt.username and mqtt.password/);
    const delays = refused.map((l) => l.retryInSeconds as number);
    expect(delays[0]).toBeLessThan(1);
    expect(delays[3]).toBeGreaterThan(delays[0]! * 2);
    const samples = await agent.metrics();
    expect(sampleValue(samples, 'mqtt_connected')).toBe(0);
    expect(sampleValue(samples, 'classifier_frames_processed_total', { camera: 'gate' })).toBeGreaterThan(20);
    const everything = JSON.stringify(agent.logs) + agent.stderr;
    expect(everything).not.toContain(WRONG);
    const stoppedAt = Date.now();
    expect(await agent.stop()).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
  }, 60_000);

  it('names the TLS problem when the broker certificate cannot be verified', async () => {
    const agent = await start(agentYaml('edge-noca', `  url: ${broker.url('mqtts')}\n`), PASSWORD);
    await waitFor(() => failures(agent, 'AGENT_ERR_MQTT_TLS').length >= 1, 'a TLS failure', 20_000);
    expect(failures(agent, 'AGENT_ERR_MQTT_TLS')[0]!.msg).toMatch(/TLS handshake failed .*mqtt\.tls\.ca/);
    expect(sampleValue(await agent.metrics(), 'mqtt_connected')).toBe(0);
  }, 60_000);

  it('publishes over TLS with the right credentials and CA', async () => {
    const recorder = await MqttRecorder.start(broker.url('mqtts'), 'vigil/edge-tls/#', { username: USER, password: PASSWORD, ca: broker.caFile! });
    try {
      const agent = await start(agentYaml('edge-tls', `  url: ${broker.url('mqtts')}\n  tls:\n    ca: ${broker.caFile!}\n  metrics_interval: 1\n`), PASSWORD);
      await recorder.waitFor((msgs) => msgs.filter((m) => m.topic === 'vigil/edge-tls/gate/detections').length >= 10, 30_000, '10 detections over TLS');
      await recorder.waitFor((msgs) => msgs.some((m) => m.topic === 'vigil/edge-tls/metrics'), 10_000, 'a metrics snapshot over TLS');
      expect(recorder.on('vigil/edge-tls/status').at(-1)?.payload).toBe('online');
      expect(sampleValue(await agent.metrics(), 'mqtt_connected')).toBe(1);
      expect(JSON.stringify(agent.logs) + agent.stderr).not.toContain(PASSWORD);
    } finally {
      await recorder.stop();
    }
  }, 60_000);
});

/** A TLS listener that requires a client certificate signed by the test CA. */
describe('MQTT client certificates', () => {
  let broker: Mosquitto;
  const agents: AgentProcess[] = [];

  beforeAll(async () => {
    broker = await Mosquitto.start({ auth: { username: USER, password: PASSWORD }, tls: true, clientCertificates: true });
  });

  afterAll(async () => {
    for (const agent of agents) await agent.stop();
    await broker?.stop();
  });

  it('connects with tls.cert and tls.key, and names the TLS problem without them', async () => {
    const { cert, key } = broker.clientCert!;
    const recorder = await MqttRecorder.start(broker.url('mqtts'), 'vigil/#', { username: USER, password: PASSWORD, ca: broker.caFile!, cert, key });
    try {
      const withCert = await AgentProcess.start(agentYaml('edge-cert', `  url: ${broker.url('mqtts')}\n  tls:\n    ca: ${broker.caFile!}\n    cert: ${cert}\n    key: ${key}\n`), {
        MQTT_PASSWORD: PASSWORD,
      });
      agents.push(withCert);
      const withoutCert = await AgentProcess.start(agentYaml('edge-nocert', `  url: ${broker.url('mqtts')}\n  tls:\n    ca: ${broker.caFile!}\n`), { MQTT_PASSWORD: PASSWORD });
      agents.push(withoutCert);
      await recorder.waitFor((msgs) => msgs.filter((m) => m.topic === 'vigil/edge-cert/gate/detections').length >= 5, 30_000, 'detections from the agent with a certificate');
      await waitFor(() => withoutCert.logs.some((l) => l.msg.startsWith('mqtt connect failed')), 'the agent without a certificate failing', 20_000);
      expect(failures(withoutCert, 'AGENT_ERR_MQTT_TLS')[0]!.msg).toMatch(/did not accept a client certificate .*mqtt\.tls\.cert/);
      expect(recorder.on('vigil/edge-nocert/status')).toEqual([]);
      expect(sampleValue(await withoutCert.metrics(), 'mqtt_connected')).toBe(0);
      expect(sampleValue(await withCert.metrics(), 'mqtt_connected')).toBe(1);
    } finally {
      await recorder.stop();
    }
  }, 60_000);
});
