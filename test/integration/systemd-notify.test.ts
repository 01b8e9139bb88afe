import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentProcess, agentConfigYaml } from '../helpers/agent-process.js';
import { NotifySocket } from '../helpers/notify-socket.js';
import { media } from '../helpers/testdata.js';
import { waitFor } from '../helpers/wait.js';

const WATCHDOG_USEC = 1_000_000;
/** systemd's deadline between two pings, and the agent's ping period: half of it. */
const WATCHDOG_MS = WATCHDOG_USEC / 1000;
const PING_MS = WATCHDOG_MS / 2;
const camera = `  - name: plaza\n    url: ${media('vtest.avi')}\n`;

/**
 * systemd's Type=notify protocol against a real unix datagram socket, as
 * the service manager would hold it: READY once serving, watchdog pings at
 * half of WATCHDOG_USEC while inference is alive and none while it is
 * wedged, STOPPING on SIGTERM.
 */
describe('sd_notify', () => {
  let socket: NotifySocket | undefined;
  let agent: AgentProcess | undefined;

  afterEach(async () => {
    await agent?.stop();
    socket?.stop();
    agent = socket = undefined;
  });

  it('sends EXTEND_TIMEOUT_USEC while loading, READY=1 once serving, watchdog pings at half the interval, STOPPING=1 on SIGTERM', async () => {
    socket = await NotifySocket.start();
    const s = socket;
    agent = await AgentProcess.start(agentConfigYaml(camera), s.env(WATCHDOG_USEC));
    await waitFor(() => s.withKey('READY').length > 0, 'READY=1', 30_000);
    const ready = s.withKey('READY')[0]!;
    expect(ready.value).toBe('1');
    expect(ready.msg).toContain(`MAINPID=${agent.pid}`);
    expect(ready.msg).toMatch(/STATUS=running: 1 camera\(s\), http port \d+/);
    const extend = s.withKey('EXTEND_TIMEOUT_USEC');
    expect(extend.length).toBeGreaterThanOrEqual(1);
    expect(extend[0]!.t).toBeLessThanOrEqual(ready.t);
    // READY only once /metrics answers: the agent logged "http server listening" before it.
    const res = await fetch(`http://127.0.0.1:${agent.port}/readyz`);
    expect(res.status).toBe(200);

    const from = Date.now();
    await waitFor(() => s.withKey('WATCHDOG').filter((w) => w.t >= from).length >= 6, '6 watchdog pings', 20 * PING_MS);
    const pings = s.withKey('WATCHDOG').filter((w) => w.t >= from);
    const gaps = pings.slice(1).map((p, i) => p.t - pings[i]!.t);
    // Every ping within systemd's deadline, and at half of it on average: one ping
    // delayed by a busy machine must not fail the test, as it would not kill the agent.
    for (const gap of gaps) {
      expect(gap, `gaps ${gaps.join(', ')} ms`).toBeGreaterThan(0.6 * PING_MS);
      expect(gap, `gaps ${gaps.join(', ')} ms`).toBeLessThan(WATCHDOG_MS);
    }
    const meanGap = (pings.at(-1)!.t - pings[0]!.t) / gaps.length;
    expect(meanGap, `gaps ${gaps.join(', ')} ms`).toBeGreaterThan(0.8 * PING_MS);
    expect(meanGap, `gaps ${gaps.join(', ')} ms`).toBeLessThan(1.3 * PING_MS);

    const stoppedAt = Date.now();
    expect(await agent.stop()).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    expect(s.withKey('STOPPING').map((n) => n.value)).toEqual(['1']);
  }, 60_000);

  it('stops the watchdog pings while an inference worker is wedged, and /readyz says why', async () => {
    socket = await NotifySocket.start();
    const s = socket;
    agent = await AgentProcess.start(
      agentConfigYaml(camera, { extra: 'health:\n  inference_stall_seconds: 2\n', inference: '  stuck_timeout_seconds: 600\n' }),
      { ...s.env(WATCHDOG_USEC), VIGIL_FAULT_INJECTION: 'inference_wedge_after=15' },
    );
    const a = agent;
    await waitFor(() => s.withKey('WATCHDOG').length >= 2, 'watchdog pings before the wedge', 30_000);
    await waitFor(() => a.logs.some((l) => l.msg.startsWith('pipeline not alive')), 'the wedge noticed', 20_000);
    const noticedAt = Date.now();
    const readyz = await fetch(`http://127.0.0.1:${a.port}/readyz`);
    expect(readyz.status).toBe(503);
    const body = (await readyz.json()) as { ready: boolean; reasons: string[]; inference: { stuck: boolean; oldest_run_seconds: number } };
    expect(body.inference.stuck).toBe(true);
    expect(body.inference.oldest_run_seconds).toBeGreaterThan(2);
    expect(body.reasons.join()).toMatch(/inference run in progress/);
    // Five ping periods of silence: systemd would have restarted us by now. Watching
    // silence takes time by nature; the span follows from the watchdog setting.
    const silenceMs = 5 * PING_MS;
    await waitFor(() => Date.now() - noticedAt >= silenceMs, `${silenceMs} ms of watching`, 2 * silenceMs);
    expect(s.withKey('WATCHDOG').filter((w) => w.t > noticedAt + 100)).toEqual([]);
  }, 60_000);

  it('on SIGHUP (ExecReload) says RELOADING=1 with MONOTONIC_USEC, then READY=1 once the reload is applied', async () => {
    socket = await NotifySocket.start();
    const s = socket;
    agent = await AgentProcess.start(agentConfigYaml(camera), s.env(WATCHDOG_USEC));
    const a = agent;
    await waitFor(() => s.withKey('READY').length > 0, 'READY=1', 30_000);
    writeFileSync(a.configFile, agentConfigYaml(camera + `  - name: yard\n    url: ${media('car-detection.mp4')}\n`));
    process.kill(a.pid, 'SIGHUP');
    await waitFor(() => s.withKey('READY').length > 1, 'READY=1 after the reload', 30_000);
    const [reloading] = s.withKey('RELOADING');
    expect(reloading?.value).toBe('1');
    expect(reloading!.msg).toMatch(/MONOTONIC_USEC=\d+/);
    const readyAgain = s.withKey('READY')[1]!;
    expect(readyAgain.t).toBeGreaterThanOrEqual(reloading!.t);
    expect(readyAgain.msg).toMatch(/STATUS=running: 2 camera\(s\)/);
    expect(a.logs.find((l) => l.msg === 'config reloaded')).toMatchObject({ added: ['yard'] });
  }, 60_000);
});
