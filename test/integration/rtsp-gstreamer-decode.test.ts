import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, agentConfigYaml } from '../helpers/agent-process.js';
import { sampleValue } from '../helpers/metrics-text.js';
import { h264TestFile, RtspServer } from '../helpers/rtsp-server.js';
import { waitFor } from '../helpers/wait.js';

const STALL_SECONDS = 3;

/**
 * `decoder: software`: vigil builds the GStreamer graph that `decoder: nvv4l2`
 * uses on a Jetson, with libav in place of NVDEC, and reads the real test RTSP
 * server through it: frames and people, a killed server, a frozen one.
 */
describe('RTSP through a GStreamer decode pipeline (decoder: software)', () => {
  let server: RtspServer;
  let agent: AgentProcess;
  const metric = async (name: string, labels: Record<string, string> = {}): Promise<number> =>
    sampleValue(await agent.metrics(), name, { camera: 'gate', ...labels }) ?? NaN;
  const processed = (): Promise<number> => metric('classifier_frames_processed_total');
  const disconnected = (): Promise<number> => metric('detector_disconnected');

  beforeAll(async () => {
    server = new RtspServer(h264TestFile());
    await server.start();
    agent = await AgentProcess.start(
      agentConfigYaml(
        `  - name: gate\n    url: ${server.url}\n    decoder: software\n    stall_timeout_seconds: ${STALL_SECONDS}\n    reconnect: { initial_seconds: 0.5, max_seconds: 2 }\n`,
        { extra: 'capture:\n  rtsp_timeout_seconds: 1\n' },
      ),
    );
  });

  afterAll(async () => {
    await agent?.stop();
    await server?.kill();
  });

  it('opens the pipeline vigil built (logged without credentials) and detects people at the stream rate', async () => {
    await waitFor(async () => (await processed()) >= 40, '40 frames through avdec_h264', 30_000);
    const opened = agent.logs.find((l) => l.msg === 'capture opened');
    expect(String(opened?.url)).toMatch(/^rtspsrc location="rtsp:\/\/127\.0\.0\.1:\d+\/\S+" .* ! rtph264depay ! h264parse ! avdec_h264 ! .* ! appsink drop=true max-buffers=1 sync=false$/);
    expect(opened).toMatchObject({ width: 768, height: 576 });
    expect(await metric('objects_detected_total', { label: 'person' })).toBeGreaterThan(40);
    // The server sends 10 fps: the pipeline delivers them live, not faster and not much slower.
    const before = await processed();
    const startedAt = Date.now();
    await waitFor(async () => (await processed()) >= before + 30, '30 more frames', 10_000);
    const fps = ((await processed()) - before) / ((Date.now() - startedAt) / 1000);
    expect(fps).toBeGreaterThan(7);
    expect(fps).toBeLessThan(13);
  });

  it('a killed server is flagged within the stall timeout, and frames return when it comes back', async () => {
    await server.kill();
    const killedAt = Date.now();
    await waitFor(async () => (await disconnected()) === 1, 'camera disconnected', (STALL_SECONDS + 5) * 1000);
    expect(Date.now() - killedAt).toBeLessThanOrEqual((STALL_SECONDS + 2) * 1000);
    const before = await processed();
    await server.start();
    await waitFor(async () => (await disconnected()) === 0, 'camera reconnected', 20_000);
    await waitFor(async () => (await processed()) > before + 10, 'frames flow again', 15_000);
  });

  it('a frozen server (SIGSTOP) is flagged within the stall timeout and recovered after it thaws', async () => {
    server.freeze();
    const frozenAt = Date.now();
    await waitFor(async () => (await disconnected()) === 1, 'frozen camera disconnected', (STALL_SECONDS + 5) * 1000);
    expect(Date.now() - frozenAt).toBeLessThanOrEqual((STALL_SECONDS + 2) * 1000);
    server.thaw();
    const before = await processed();
    // Usually back within seconds; but rtspsrc's teardown of the frozen session can hold its capture
    // worker in native code (GStreamer waits for the TEARDOWN answer), and a worker silent for 20 s
    // is abandoned and its cameras reopened on a fresh one (capture-worker-pool.ts): allow for that.
    await waitFor(async () => (await disconnected()) === 0 && (await processed()) > before + 10, 'frames again after thaw', 60_000);
  });

  it('stops cleanly on SIGTERM within 5 s', async () => {
    const started = Date.now();
    expect(await agent.stop()).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
