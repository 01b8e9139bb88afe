import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraHealth } from '../../agent/health/camera-health.js';
import { AgentProcess, agentConfigYaml } from '../helpers/agent-process.js';
import { freePort } from '../helpers/ports.js';
import { media } from '../helpers/testdata.js';
import { waitFor } from '../helpers/wait.js';

interface ReadyzBody {
  ready: boolean;
  reasons: string[];
  cameras: CameraHealth[];
}

/** /healthz and /readyz on a real agent: one camera playing, one that never connects. */
describe('health endpoints', () => {
  let agent: AgentProcess;
  const readyz = async (): Promise<{ status: number; body: ReadyzBody }> => {
    const res = await fetch(`http://127.0.0.1:${agent.port}/readyz`);
    return { status: res.status, body: (await res.json()) as ReadyzBody };
  };

  beforeAll(async () => {
    const deadPort = await freePort();
    agent = await AgentProcess.start(
      agentConfigYaml(
        `  - name: plaza\n    url: ${media('vtest.avi')}\n` +
          `  - name: dead\n    url: rtsp://127.0.0.1:${deadPort}/none\n    stall_timeout_seconds: 1\n    reconnect: { initial_seconds: 0.5, max_seconds: 1 }\n`,
        { extra: 'health:\n  disconnected_seconds: 3\ncapture:\n  rtsp_timeout_seconds: 1\n' },
      ),
    );
  });

  afterAll(async () => {
    await agent?.stop();
  });

  it('answers /healthz while the process runs', async () => {
    const res = await fetch(`http://127.0.0.1:${agent.port}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok\n');
  });

  it('reports each camera, and 503 once a camera stays disconnected past the threshold', async () => {
    await waitFor(async () => (await readyz()).body.cameras.find((c) => c.camera === 'plaza')!.fps >= 8, 'plaza at ~10 fps', 20_000);
    const early = await readyz();
    const dead = early.body.cameras.find((c) => c.camera === 'dead')!;
    if (dead.disconnected_seconds <= 3) expect(early.status).toBe(200);
    await waitFor(async () => (await readyz()).status === 503, '503 once dead is down > 3 s', 20_000);
    const { body } = await readyz();
    expect(body.ready).toBe(false);
    expect(body.reasons).toHaveLength(1);
    expect(body.reasons[0]).toMatch(/^camera dead disconnected for \d+(\.\d+)? s$/);
    const plaza = body.cameras.find((c) => c.camera === 'plaza')!;
    expect(plaza).toMatchObject({ state: 'connected', connected: true, disconnected_seconds: 0 });
    expect(plaza.queue_size).toBeLessThanOrEqual(4);
    // fps is measured over a window, so one reading on a busy machine can catch a late frame:
    // wait for a reading of ~10 fps with a fresh last frame rather than judge a single one.
    await waitFor(
      async () => {
        const now = (await readyz()).body.cameras.find((c) => c.camera === 'plaza')!;
        return now.fps > 8 && now.fps < 12 && now.last_frame_age_seconds !== null && now.last_frame_age_seconds < 0.5;
      },
      'plaza at ~10 fps with a frame younger than 0.5 s',
      10_000,
    );
    expect(body.cameras.find((c) => c.camera === 'dead')).toMatchObject({ state: 'disconnected', connected: false, last_frame_age_seconds: null, fps: 0 });
  }, 60_000);
});
