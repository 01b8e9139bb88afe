import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, agentConfigYaml } from '../helpers/agent-process.js';
import { sampleValue } from '../helpers/metrics-text.js';
import { freePort } from '../helpers/ports.js';
import { h264TestFile, RtspServer } from '../helpers/rtsp-server.js';
import { waitFor } from '../helpers/wait.js';

const STALL_SECONDS = 3;

/**
 * A real RTSP server (gst-rtsp-server) feeding the real agent: frames flow,
 * the server dies and comes back, freezes (SIGSTOP), and an unreachable
 * camera never holds up the others.
 */
describe('RTSP capture: disconnect, reconnect, freeze', () => {
  let server: RtspServer;
  let agent: AgentProcess;
  const metric = async (name: string, camera: string): Promise<number> => sampleValue(await agent.metrics(), name, { camera }) ?? NaN;
  const processed = (camera: string): Promise<number> => metric('classifier_frames_processed_total', camera);
  const disconnected = (camera: string): Promise<number> => metric('detector_disconnected', camera);

  beforeAll(async () => {
    server = new RtspServer(h264TestFile());
    await server.start();
    const deadPort = await freePort();
    const reconnect = '    reconnect: { initial_seconds: 0.5, max_seconds: 2 }\n';
    agent = await AgentProcess.start(
      agentConfigYaml(
        `  - name: live\n    url: ${server.url}\n    stall_timeout_seconds: ${STALL_SECONDS}\n${reconnect}` +
          `  - name: dead\n    url: rtsp://127.0.0.1:${deadPort}/nothing\n    stall_timeout_seconds: ${STALL_SECONDS}\n${reconnect}`,
        { extra: 'capture:\n  rtsp_timeout_seconds: 1\n' },
      ),
    );
  });

  afterAll(async () => {
    await agent?.stop();
    await server?.kill();
  });

  it('processes frames from the live camera, across the server looping its 4 s file, while the unreachable one is reported disconnected', async () => {
    await waitFor(async () => (await processed('live')) >= 60, '60 frames (6 s) from the live camera', 30_000);
    expect(await metric('detector_disconnected_seconds_total', 'live')).toBe(0);
    await waitFor(async () => (await disconnected('dead')) === 1, 'dead camera disconnected', 15_000);
    expect(await disconnected('live')).toBe(0);
    const before = await processed('live');
    await waitFor(async () => (await processed('live')) > before + 10, 'frames keep flowing', 10_000);
    const persons = sampleValue(await agent.metrics(), 'objects_detected_total', { camera: 'live', label: 'person' }) ?? 0;
    expect(persons).toBeGreaterThan(20);
  });

  it('flags a killed server within the stall timeout and counts disconnected seconds while it is down', async () => {
    await server.kill();
    const killedAt = Date.now();
    await waitFor(async () => (await disconnected('live')) === 1, 'live camera disconnected', (STALL_SECONDS + 5) * 1000);
    expect(Date.now() - killedAt).toBeLessThanOrEqual((STALL_SECONDS + 2) * 1000);
    const first = await metric('detector_disconnected_seconds_total', 'live');
    await waitFor(async () => (await metric('detector_disconnected_seconds_total', 'live')) >= first + 1.5, 'disconnected seconds growing', 5000);
    expect(await disconnected('live')).toBe(1);
  });

  it('recovers when the server comes back on the same port', async () => {
    const before = await processed('live');
    await server.start();
    await waitFor(async () => (await disconnected('live')) === 0, 'live camera reconnected', 20_000);
    await waitFor(async () => (await processed('live')) > before + 10, 'frames flow again', 15_000);
    expect(await metric('video_index', 'live')).toBeGreaterThanOrEqual(1);
  });

  it('flags a frozen server (SIGSTOP) within the stall timeout', async () => {
    server.freeze();
    const frozenAt = Date.now();
    await waitFor(async () => (await disconnected('live')) === 1, 'frozen camera disconnected', (STALL_SECONDS + 5) * 1000);
    expect(Date.now() - frozenAt).toBeLessThanOrEqual((STALL_SECONDS + 2) * 1000);
    server.thaw();
    await waitFor(async () => (await disconnected('live')) === 0, 'live camera back after thaw', 30_000);
  });

  it('stops cleanly on SIGTERM within 5 s', async () => {
    const started = Date.now();
    expect(await agent.stop()).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
