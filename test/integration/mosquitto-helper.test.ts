import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Mosquitto, MqttRecorder } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/wait.js';

/** The helper that the MQTT tests stand on: a real mosquitto, and a recorder that survives broker restarts. */
describe('test helper: Mosquitto + MqttRecorder', () => {
  const brokers: Mosquitto[] = [];
  const recorders: MqttRecorder[] = [];
  const clients: MqttClient[] = [];
  const broker = async (options?: Parameters<typeof Mosquitto.start>[0]): Promise<Mosquitto> => {
    const b = await Mosquitto.start(options);
    brokers.push(b);
    return b;
  };
  const recorder = async (...args: Parameters<typeof MqttRecorder.start>): Promise<MqttRecorder> => {
    const r = await MqttRecorder.start(...args);
    recorders.push(r);
    return r;
  };
  const client = async (url: string, options: IClientOptions = {}): Promise<MqttClient> => {
    const c = await connectAsync(url, { reconnectPeriod: 0, ...options });
    clients.push(c);
    return c;
  };

  /** Failure messages carry the broker's log. */
  const withLog = async (b: Mosquitto, promise: Promise<unknown>): Promise<void> => {
    try {
      await promise;
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- mosquitto log ---\n${b.log()}`, { cause: err });
    }
  };

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await Promise.all(recorders.splice(0).map((r) => r.stop()));
    await Promise.all(brokers.splice(0).map((b) => b.stop()));
  });

  it('plain broker: a recorder sees what mqtt.js publishes, over TCP and websockets', async () => {
    const b = await broker({ websockets: true });
    const rec = await recorder(b.url(), 'vigil/#');
    const tcp = await client(b.url());
    await tcp.publishAsync('vigil/a', 'over tcp', { qos: 1 });
    const ws = await client(b.url('ws'));
    await ws.publishAsync('vigil/b', 'over ws', { qos: 0 });
    await rec.waitFor((m) => m.length >= 2, 5000, 'both messages');
    expect(rec.on('vigil/a')).toMatchObject([{ payload: 'over tcp', qos: 1, retain: false }]);
    expect(rec.on('vigil/b')).toMatchObject([{ payload: 'over ws', qos: 0, retain: false }]);
    expect(b.url('ws')).toBe(`ws://127.0.0.1:${b.wsPort}`);
  });

  it('auth + TLS: a wrong password is refused in the CONNACK, the right one works over mqtts with the CA', async () => {
    const auth = { username: 'vigil', password: 's3cret' };
    const b = await broker({ auth, tls: true });
    expect(b.url('mqtts')).toBe(`mqtts://localhost:${b.tlsPort}`);

    await expect(connectAsync(b.url(), { ...auth, password: 'wrong', reconnectPeriod: 0 })).rejects.toMatchObject({ code: 5 });
    await expect(connectAsync(b.url(), { reconnectPeriod: 0 })).rejects.toMatchObject({ code: 5 });
    await expect(MqttRecorder.start(b.url(), 'secure/#', { ...auth, password: 'wrong' })).rejects.toThrow(/not authori[sz]ed/i);
    await waitFor(() => b.log().includes('not authorised'), 'the refusal in the broker log', 5000);
    await expect(connectAsync(b.url('mqtts'), { ...auth, reconnectPeriod: 0 })).rejects.toThrow(/self[- ]signed certificate/);

    const ca = b.caFile!;
    const rec = await recorder(b.url('mqtts'), 'secure/#', { ...auth, ca });
    const pub = await client(b.url('mqtts'), { ...auth, ca: readFileSync(ca) });
    await pub.publishAsync('secure/x', 'encrypted', { qos: 1 });
    await rec.waitFor((m) => m.length >= 1, 5000, 'the message over mqtts');
    expect(rec.on('secure/x')).toMatchObject([{ payload: 'encrypted', qos: 1 }]);
  });

  it('kill + restart with persistence: a clean:false recorder keeps its subscription and gets a QoS 1 message sent while it reconnects', async () => {
    const b = await broker({ persistence: true });
    const clientId = 'vigil-helper-persistent';
    // A long reconnect period, so the publish below lands while the recorder is still away.
    const rec = await recorder(b.url(), 'persist/#', { clientId, clean: false, reconnectPeriod: 3000 });
    // SIGKILL loses whatever was not autosaved yet: wait for the subscription to be on disk.
    await b.persisted();

    await b.kill();
    await waitFor(() => !rec.client.connected, 'the recorder to notice the broker went', 5000);
    const restartAt = b.log().length;
    await b.restart();
    const pub = await client(b.url());
    await pub.publishAsync('persist/after-restart', 'queued for the session', { qos: 1 });
    expect(rec.client.connected).toBe(false);
    expect(b.log().slice(restartAt)).not.toContain(`as ${clientId}`);

    await withLog(b, rec.waitFor((m) => m.some((x) => x.topic === 'persist/after-restart'), 10_000, 'the message queued while the recorder was away'));
    expect(rec.on('persist/after-restart')).toMatchObject([{ payload: 'queued for the session', qos: 1 }]);
    // Delivered by the session the broker restored, not by mqtt.js subscribing again.
    expect(b.log().slice(restartAt)).not.toContain(`Received SUBSCRIBE from ${clientId}`);
    expect(rec.client.connected).toBe(true);
  });
});
