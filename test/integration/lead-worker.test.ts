import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
// Worker threads load compiled files, so an in-process agent comes from dist/ (built by `npm test`).
import { Agent } from '../../dist/agent/agent.js';
import { parseConfig } from '../../dist/agent/config/load.js';
import { createLogger } from '../../dist/agent/log.js';
import type { FrameResult } from '../../dist/agent/core/frame.js';
import { media, model } from '../helpers/testdata.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The default CPU plan (worker-plan.ts): one single-share worker per core,
 * and the lead also holds wide sessions (twice the threads). While the pool
 * keeps up (latency mode) a frame runs on the lead's wide sessions (on
 * another, idle worker when the lead is busy: worker-choice.test.ts); once
 * frames keep waiting (throughput mode) every frame runs single-share on
 * whichever worker is free, as the raw limit does. A camera at its live
 * rate keeps the pool in latency mode; a file read as fast as inference
 * goes switches it to throughput mode within about a second.
 */
/** Share of results that ran on the lead's wide sessions, once the pool has settled. */
async function wideShare(pace: 'realtime' | 'on_demand', frames: number): Promise<number> {
  const config = parseConfig(
    [
      'log: { level: warn }',
      'http: { port: 0 }',
      'inference: { providers: [cpu] }',
      `detector: { model: ${model('yolox_nano.onnx')}, labels: ${model('coco80_labels.txt')} }`,
      `cameras: [{ name: a, url: ${media('vtest.avi')}, file_pace: ${pace}, queue_capacity: 4 }]`,
    ].join('\n'),
    '/tmp/lead.yaml',
  );
  const results: { at: number; wide: boolean }[] = [];
  const sink = { name: 'wide', handle: (r: FrameResult) => void results.push({ at: r.completedAt, wide: r.timings.wide }) };
  const agent = new Agent(config, createLogger('warn'), [sink]);
  await agent.start();
  try {
    // The mode follows the last second or so: judge `frames` results after the first 2 s.
    await waitFor(() => results.length > 0 && results.filter((r) => r.at > results[0]!.at + 2000).length >= frames, `${frames} results after 2 s`, 60_000);
  } finally {
    await agent.stop();
  }
  const steady = results.filter((r) => r.at > results[0]!.at + 2000).slice(0, frames);
  return steady.filter((r) => r.wide).length / steady.length;
}

describe.skipIf(availableParallelism() < 2)('lead inference worker', () => {
  it('runs the frames of a live-rate camera on its wide sessions', async () => {
    expect(await wideShare('realtime', 20)).toBe(1);
  });

  it('runs none of them wide once frames keep waiting for a worker', async () => {
    expect(await wideShare('on_demand', 200)).toBe(0);
  });
});
