import { afterEach, describe, expect, it } from 'vitest';
import { AgentProcess, agentConfigYaml, type LogLine } from '../helpers/agent-process.js';
import { sampleValue } from '../helpers/metrics-text.js';
import { media } from '../helpers/testdata.js';
import { waitFor } from '../helpers/wait.js';

const camera = `  - name: plaza\n    url: ${media('vtest.avi')}\n`;
const restartPolicy = '  restart: { initial_seconds: 0.5, max_seconds: 4, jitter: 0 }\n';

/** The exit code once the process is gone by itself. */
async function exited(agent: AgentProcess, timeoutMs: number): Promise<number | null> {
  await waitFor(() => agent.logs.some((l) => l.level === 'fatal'), 'a fatal log line', timeoutMs);
  return agent.stop(10_000);
}

/**
 * Inference workers that crash or wedge, injected by VIGIL_FAULT_INJECTION
 * into the real agent: detected, replaced with backoff, counted; the
 * pipeline goes on between; too many in 10 minutes exits 1 (systemd then
 * restarts the whole agent).
 */
describe('inference worker faults', () => {
  let agent: AgentProcess | undefined;
  const processed = async (): Promise<number> => sampleValue(await agent!.metrics(), 'classifier_frames_processed_total', { camera: 'plaza' }) ?? 0;
  const restarts = async (): Promise<number> => sampleValue(await agent!.metrics(), 'inference_worker_restarts_total') ?? 0;
  const lost = (): LogLine[] => agent!.logs.filter((l) => l.msg === 'inference worker lost; replacing it');

  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
  });

  it('replaces a crashed worker with growing delays, counts it, keeps processing, and exits 1 after too many', async () => {
    agent = await AgentProcess.start(agentConfigYaml(camera, { inference: restartPolicy }), { VIGIL_FAULT_INJECTION: 'inference_crash_after=20' });
    // The counter (over HTTP) and the log line (over stdout) reach the test separately: wait for both.
    await waitFor(async () => lost().length >= 1 && (await restarts()) >= 1, 'the first restart, counted and logged', 30_000);
    expect(lost()[0]).toMatchObject({ code: 'AGENT_ERR_WORKER_CRASHED' });
    expect(String(lost()[0]!.reason)).toMatch(/crash/);
    const before = await processed();
    await waitFor(async () => (await processed()) >= before + 10, 'frames processed after the restart', 20_000);

    const code = await exited(agent, 90_000);
    expect(code).toBe(1);
    const fatal = agent.logs.find((l) => l.level === 'fatal')!;
    expect(fatal).toMatchObject({ code: 'AGENT_ERR_WORKER_CRASHED' });
    expect(fatal.msg).toMatch(/restarted 5 times in 10 min/);
    // Backoff: each replacement waits longer than the one before (jitter 0), up to the cap.
    const delays = lost().map((l) => l.retryInSeconds as number);
    expect(delays.length).toBeGreaterThanOrEqual(5);
    for (let i = 1; i < delays.length; i++) expect(delays[i]!).toBeGreaterThanOrEqual(delays[i - 1]!);
    expect(delays.at(-1)!).toBeGreaterThan(delays[0]!);
    agent = undefined;
  }, 150_000);

  it('replaces a wedged worker after the stuck timeout and keeps processing', async () => {
    agent = await AgentProcess.start(
      agentConfigYaml(camera, { inference: `  stuck_timeout_seconds: 2\n${restartPolicy}`, extra: 'health:\n  inference_stall_seconds: 1\n' }),
      { VIGIL_FAULT_INJECTION: 'inference_wedge_after=30' },
    );
    await waitFor(() => agent!.logs.some((l) => l.code === 'AGENT_ERR_INFERENCE_STUCK'), 'the stuck run noticed', 30_000);
    await waitFor(async () => (await restarts()) >= 1, 'the wedged worker replaced', 10_000);
    const before = await processed();
    await waitFor(async () => (await processed()) >= before + 10, 'frames processed by the replacement', 20_000);
    expect(lost().some((l) => String(l.reason).includes('stuck'))).toBe(true);
  }, 90_000);
});
