import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { delay } from '../agent/util/clock.js';
import { densityConfigYaml, VTEST, type CameraGroup } from './density-config.js';

/**
 * RSS per camera count (issue 16 item 4): the shipped agent
 * (dist/agent/main.js) as a fresh child process for each count, so no
 * earlier run's heap or native allocations are counted, with N live
 * vtest.avi cameras at today's settings; its VmRSS once warm.
 */

const MAIN = new URL('../agent/main.js', import.meta.url).pathname;
/** After the agent says it started (models loaded, every camera's capture started): frames flowing, queues at their level. */
const SETTLE_SECONDS = 5;
const SAMPLE_SECONDS = 2;
const START_TIMEOUT_MS = 120_000;

function vmRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN);
  return kib / 1024;
}

/** The agent's RSS with `cameras` live cameras: the median of samples taken over SAMPLE_SECONDS, SETTLE_SECONDS after its "agent started" line. */
export async function agentRssMiB(cameras: number, fpsCap?: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-rss-'));
  const file = join(dir, 'agent.yaml');
  const group: CameraGroup = { prefix: 'cam', count: cameras, url: VTEST, ...(fpsCap === undefined ? {} : { fpsCap }) };
  writeFileSync(file, densityConfigYaml({ groups: [group], logLevel: 'info' }));
  const child = spawn(process.execPath, [MAIN, 'run', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const started = new Promise<'started'>((resolve) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out = (out + chunk.toString()).slice(-4000);
      if (out.includes('"msg":"agent started"')) resolve('started');
    });
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const early = await Promise.race([exited, started, delay(START_TIMEOUT_MS).then(() => 'timeout' as const)]);
    if (early !== 'started') throw new Error(`the agent ${early === 'timeout' ? 'did not start' : `exited ${early}`} with ${cameras} cameras: ${stderr}`);
    await delay(SETTLE_SECONDS * 1000);
    const samples: number[] = [];
    for (let i = 0; i < SAMPLE_SECONDS * 4; i++) {
      samples.push(vmRssMiB(child.pid!));
      await delay(250);
    }
    samples.sort((a, b) => a - b);
    return samples[Math.floor(samples.length / 2)]!;
  } finally {
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface RssSeries {
  readonly points: readonly { readonly cameras: number; readonly rssMiB: number }[];
  /** Least-squares slope: MiB per additional camera. */
  readonly perCameraMiB: number;
}

/** `fpsCap`: each camera hands only that many frames a second to its queue, so no queue fills however many cameras: per-camera state without a backlog. */
export async function rssSeries(counts: readonly number[], fpsCap?: number): Promise<RssSeries> {
  const points: { cameras: number; rssMiB: number }[] = [];
  for (const cameras of counts) points.push({ cameras, rssMiB: await agentRssMiB(cameras, fpsCap) });
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.cameras, 0) / n;
  const my = points.reduce((a, p) => a + p.rssMiB, 0) / n;
  const sxy = points.reduce((a, p) => a + (p.cameras - mx) * (p.rssMiB - my), 0);
  const sxx = points.reduce((a, p) => a + (p.cameras - mx) ** 2, 0);
  return { points, perCameraMiB: sxx > 0 ? sxy / sxx : Number.NaN };
}
