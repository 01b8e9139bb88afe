import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import mqtt from 'mqtt';
import { delay } from '../agent/util/clock.js';

const MOSQUITTO = '/usr/sbin/mosquitto';

export interface LocalBroker {
  readonly url: string;
  /** Detections messages received by a subscriber on this broker so far. */
  readonly received: () => number;
  stop(): Promise<void>;
}

/** A throwaway Mosquitto on a free loopback port with a counting subscriber, or undefined when Mosquitto is not installed. */
export async function startLocalBroker(): Promise<LocalBroker | undefined> {
  if (!existsSync(MOSQUITTO)) return undefined;
  const port = await freePort();
  const broker = spawn(MOSQUITTO, ['-p', String(port)], { stdio: 'ignore' });
  const url = `mqtt://127.0.0.1:${port}`;
  let subscriber: mqtt.MqttClient | undefined;
  for (let attempt = 0; attempt < 50 && !subscriber; attempt++) {
    try {
      subscriber = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
    } catch {
      await delay(100);
    }
  }
  if (!subscriber) {
    broker.kill('SIGKILL');
    return undefined;
  }
  let received = 0;
  subscriber.on('message', () => received++);
  await subscriber.subscribeAsync('vigil/+/+/detections', { qos: 0 });
  const client = subscriber;
  return {
    url,
    received: () => received,
    stop: async () => {
      await client.endAsync(true);
      broker.kill('SIGTERM');
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
