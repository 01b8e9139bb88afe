import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, agentConfigYaml } from '../helpers/agent-process.js';
import { sampleValue } from '../helpers/metrics-text.js';
import { h264TestFile, RtspServer } from '../helpers/rtsp-server.js';
import { media } from '../helpers/testdata.js';
import { waitFor } from '../helpers/wait.js';

/** vtest.avi plays at 10 fps. */
const FRAME_MS = 100;
/**
 * What a busy 2-core machine adds to the observed gaps: the /metrics poll
 * (every 25 ms) and the main loop serving it (steady-state gaps up to 220 ms
 * were seen with six test runs sharing the machine). Without the RTSP check
 * before an open, the file camera stood still 1.2 s at each reopen attempt.
 */
const OBSERVATION_SLACK_MS = 200;
const MAX_GAP_MS = 2 * FRAME_MS + OBSERVATION_SLACK_MS;

/**
 * Issue 16: cameras share capture workers, and a frozen or reconnecting
 * camera never delays the others on its worker. One worker (capture.workers: 1)
 * reads a real gst-rtsp-server and vtest.avi at its 10 fps; the server is
 * frozen (SIGSTOP) through several reconnect attempts, then thawed. The
 * file camera's frames_sent_total, polled every 25 ms, must never stand
 * still longer than two frame intervals (plus what observing adds): a
 * synchronous open of the frozen server on the shared worker would stop it
 * for seconds.
 */
describe('capture pool: a frozen RTSP camera never delays the other camera on its worker', () => {
  let server: RtspServer;
  let agent: AgentProcess;
  /** When frames_sent_total of the file camera last grew, and the longest time it stood still since `resetGap()`. */
  let lastGrowthAt = 0;
  let lastCount = -1;
  let longestGapMs = 0;
  let polling = true;
  let poller: Promise<void> = Promise.resolve();
  const metric = async (name: string, camera: string): Promise<number> => sampleValue(await agent.metrics(), name, { camera }) ?? NaN;
  const opensOfFrozen = (): number => agent.logs.filter((l) => l.camera === 'frozen' && l.msg === 'opening').length;

  async function poll(): Promise<void> {
    while (polling) {
      const count = await metric('frames_sent_total', 'steady');
      const now = performance.now();
      if (count > lastCount) {
        if (lastCount >= 0) longestGapMs = Math.max(longestGapMs, now - lastGrowthAt);
        lastCount = count;
        lastGrowthAt = now;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  function resetGap(): void {
    longestGapMs = 0;
  }

  /** The longest stand-still so far, counting the one under way. */
  const gapSoFar = (): number => Math.max(longestGapMs, performance.now() - lastGrowthAt);

  beforeAll(async () => {
    server = new RtspServer(h264TestFile());
    await server.start();
    const reconnect = '    reconnect: { initial_seconds: 0.5, max_seconds: 1 }\n';
    agent = await AgentProcess.start(
      agentConfigYaml(
        `  - name: frozen\n    url: ${server.url}\n    stall_timeout_seconds: 2\n${reconnect}` +
          `  - name: steady\n    url: ${media('vtest.avi')}\n    file_pace: realtime\n    loop: true\n`,
        { extra: 'capture:\n  workers: 1\n  rtsp_timeout_seconds: 1\n' },
      ),
    );
    await waitFor(async () => (await metric('frames_sent_total', 'frozen')) > 10 && (await metric('frames_sent_total', 'steady')) > 10, 'both cameras streaming', 30_000);
    poller = poll();
  });

  afterAll(async () => {
    polling = false;
    await poller;
    server?.thaw();
    await agent?.stop();
    await server?.kill();
  });

  it('runs both cameras on one worker', () => {
    expect(agent.logs.filter((l) => l.msg === 'capture worker started')).toHaveLength(1);
  });

  it('keeps the file camera within two frame intervals while the RTSP server is frozen and reopened', async () => {
    // Steady state first: the bound holds without any freeze.
    await waitFor(() => lastCount > 0, 'first poll', 5000);
    resetGap();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const baselineMs = gapSoFar();
    expect(baselineMs).toBeLessThanOrEqual(MAX_GAP_MS);

    resetGap();
    server.freeze();
    await waitFor(async () => (await metric('detector_disconnected', 'frozen')) === 1, 'frozen camera flagged', 10_000);
    // Several reconnect attempts against the frozen server, each refused after its RTSP probe went unanswered.
    const opens = opensOfFrozen();
    await waitFor(() => opensOfFrozen() >= opens + 3, 'three reopen attempts on the frozen server', 20_000);
    const frozenGapMs = gapSoFar();
    expect(frozenGapMs, `the file camera stood still ${Math.round(frozenGapMs)} ms`).toBeLessThanOrEqual(MAX_GAP_MS);
    expect(agent.logs.some((l) => l.camera === 'frozen' && typeof l.msg === 'string' && l.msg.includes('no RTSP answer'))).toBe(true);
    expect(await metric('detector_disconnected', 'steady')).toBe(0);

    resetGap();
    const before = await metric('frames_sent_total', 'frozen');
    server.thaw();
    await waitFor(async () => (await metric('detector_disconnected', 'frozen')) === 0, 'frozen camera back after SIGCONT', 20_000);
    await waitFor(async () => (await metric('frames_sent_total', 'frozen')) > before + 10, 'frames from the thawed camera', 10_000);
    const recoveryGapMs = gapSoFar();
    // The one thing that blocks the shared worker: the healthy open of the thawed camera (synchronous in OpenCV).
    const reopened = agent.logs.filter((l) => l.camera === 'frozen' && l.msg === 'capture opened').at(-1);
    const openMs = Number(reopened?.openSeconds) * 1000;
    console.log(
      `capture-pool: longest file-camera gap ${Math.round(baselineMs)} ms steady, ${Math.round(frozenGapMs)} ms frozen (${opensOfFrozen() - opens} opens refused), ` +
        `${Math.round(recoveryGapMs)} ms recovering (its open blocked the worker ${Math.round(openMs)} ms)`,
    );
    expect(recoveryGapMs).toBeLessThanOrEqual(openMs + MAX_GAP_MS);
    expect(await metric('detector_disconnected', 'steady')).toBe(0);
  });
});
