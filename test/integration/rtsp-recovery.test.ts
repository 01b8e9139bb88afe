import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, agentConfigYaml } from '../helpers/agent-process.js';
import { sampleValue } from '../helpers/metrics-text.js';
import { h264TestFile, RtspServer } from '../helpers/rtsp-server.js';
import { REPO_ROOT } from '../helpers/testdata.js';
import { waitFor } from '../helpers/wait.js';

/** Issue 17: back within 2 s of the camera's return; asserted with a margin for a busy 2-core machine. */
const RECOVERY_BOUND_MS = 3000;
/** The stall watch ticks every 0.5 s and /metrics is polled every 50 ms: what detection may add to the stall limit. */
const DETECTION_MARGIN_MS = 1500;

interface Measured {
  readonly what: string;
  readonly ms: number;
  readonly opens?: number;
  readonly longestBackoffSeconds?: number;
}

/**
 * Recovery with the default capture settings (backoff 0.5 s doubling to 30 s,
 * probe every second, `stall_timeout_seconds: auto`) against a real
 * gst-rtsp-server: killed for 10 s and 60 s, then restarted on the same port,
 * and frozen (SIGSTOP). The figures go to test-artifacts/rtsp-recovery.json
 * (docs/operations.md quotes them).
 */
describe('RTSP recovery: back within 2 s of the camera, stalls flagged within max(2 s, 20 frames)', () => {
  let server: RtspServer;
  let agent: AgentProcess;
  const measured: Measured[] = [];
  const metric = async (name: string): Promise<number> => sampleValue(await agent.metrics(), name, { camera: 'gate' }) ?? NaN;
  const framesSent = (): Promise<number> => metric('frames_sent_total');
  const disconnected = (): Promise<number> => metric('detector_disconnected');
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  const opensSince = (index: number): number => agent.logs.slice(index).filter((l) => l.msg === 'opening').length;
  const longestBackoffSince = (index: number): number =>
    Math.max(0, ...agent.logs.slice(index).map((l) => (typeof l.retryInSeconds === 'number' ? l.retryInSeconds : 0)));

  /** Kills the server for `seconds`, restarts it, and returns ms from its READY to the first new frame handed on. */
  async function outage(seconds: number): Promise<Measured> {
    await waitFor(async () => (await disconnected()) === 0, 'gate connected before the outage', 20_000);
    const logsBefore = agent.logs.length;
    await server.kill();
    await waitFor(async () => (await disconnected()) === 1, 'gate disconnected after the kill', 10_000);
    // The outage itself: its length is what is under test.
    await sleep(seconds * 1000);
    const opens = opensSince(logsBefore);
    const longestBackoffSeconds = longestBackoffSince(logsBefore);
    const before = await framesSent();
    await server.start();
    await waitFor(async () => (await framesSent()) > before, `frames after the ${seconds} s outage`, 60_000, 50);
    const result = { what: `${seconds} s outage (kill, restart)`, ms: Date.now() - server.readyAt, opens, longestBackoffSeconds };
    measured.push(result);
    await waitFor(async () => (await disconnected()) === 0, 'gate reported connected again', 5000, 50);
    return result;
  }

  beforeAll(async () => {
    server = new RtspServer(h264TestFile());
    await server.start();
    agent = await AgentProcess.start(agentConfigYaml(`  - name: gate\n    url: ${server.url}\n`));
    await waitFor(async () => (await framesSent()) >= 30, '30 frames from gate', 30_000);
  });

  afterAll(async () => {
    await agent?.stop();
    await server?.kill();
    mkdirSync(join(REPO_ROOT, 'test-artifacts'), { recursive: true });
    writeFileSync(join(REPO_ROOT, 'test-artifacts', 'rtsp-recovery.json'), `${JSON.stringify({ at: new Date().toISOString(), measured }, null, 2)}\n`);
    console.log(measured.map((m) => `${m.what}: ${m.ms} ms${m.opens === undefined ? '' : `, ${m.opens} opens, longest backoff ${m.longestBackoffSeconds} s`}`).join('\n'));
  });

  it('recovers from a 10 s outage within 2 s (asserted < 3 s) of the server coming back', async () => {
    const { ms, longestBackoffSeconds } = await outage(10);
    expect(ms).toBeLessThan(RECOVERY_BOUND_MS);
    // The backoff alone would have waited up to this long.
    expect(longestBackoffSeconds).toBeGreaterThanOrEqual(2);
  });

  it('recovers from a 60 s outage as fast, with few full opens meanwhile', async () => {
    const { ms, opens, longestBackoffSeconds } = await outage(60);
    expect(ms).toBeLessThan(RECOVERY_BOUND_MS);
    // 0.5, 1, 2, 4, 8, 16, 30 s ± 20 %: about 7 opens in a minute, where a probe a second would have been 60.
    expect(opens).toBeLessThanOrEqual(10);
    // Without the probe the camera would have come back only when this wait ran out.
    expect(longestBackoffSeconds).toBeGreaterThanOrEqual(12);
  });

  it('flags a frozen server (SIGSTOP) within max(2 s, 20 frame intervals) and recovers after SIGCONT', async () => {
    await waitFor(async () => (await disconnected()) === 0, 'gate connected before the freeze', 20_000);
    const opened = agent.logs.filter((l) => l.msg === 'capture opened').at(-1)!;
    const fps = opened.fps as number;
    const limitMs = Math.max(2, 20 / (fps > 0 && fps <= 1000 ? fps : 25)) * 1000;
    const logsBefore = agent.logs.length;
    server.freeze();
    const frozenAt = Date.now();
    // Socket buffers still hold a few seconds of stream after SIGSTOP: the stall clock starts at the last frame delivered.
    let frames = await framesSent();
    let lastFrameAt = frozenAt;
    await waitFor(
      async () => {
        // One scrape for both: a frame and the flag seen in the same scrape came in that order.
        const scrape = await agent.metrics();
        const sent = sampleValue(scrape, 'frames_sent_total', { camera: 'gate' }) ?? 0;
        if (sent > frames) [frames, lastFrameAt] = [sent, Date.now()];
        return sampleValue(scrape, 'detector_disconnected', { camera: 'gate' }) === 1;
      },
      'frozen camera flagged',
      limitMs + 20_000,
      50,
    );
    const flaggedMs = Date.now() - lastFrameAt;
    measured.push({ what: `freeze flagged after the last frame (limit ${limitMs} ms at a reported ${fps} fps; ${Date.now() - frozenAt} ms after SIGSTOP)`, ms: flaggedMs });
    expect(flaggedMs).toBeLessThanOrEqual(limitMs + DETECTION_MARGIN_MS);
    // Whichever comes first flags it: the stall watchdog (2 s without a frame) or FFmpeg's read timeout
    // (rtsp_timeout_seconds 2), both about 2 s after the buffered stream ran out; either is logged.
    const said = agent.logs.slice(logsBefore).filter((l) => l.code === 'AGENT_ERR_CAPTURE_STALL' || l.code === 'AGENT_ERR_CAPTURE_READ');
    expect(said.length, 'a stall or read-timeout warning').toBeGreaterThan(0);
    // Frozen long enough for a reconnect or two to hang on it.
    await sleep(8000);
    const before = await framesSent();
    server.thaw();
    const thawedAt = Date.now();
    await waitFor(async () => (await framesSent()) > before, 'frames after the thaw', 60_000, 50);
    measured.push({ what: 'freeze: first frame after SIGCONT', ms: Date.now() - thawedAt });
    await waitFor(async () => (await disconnected()) === 0, 'gate connected after the thaw', 10_000);
  });
});
