import { describe, expect, it } from 'vitest';
// Worker threads load compiled files, so an in-process agent comes from dist/ (built by `npm test`).
import { Agent } from '../../dist/agent/agent.js';
import { parseConfig } from '../../dist/agent/config/load.js';
import { createLogger } from '../../dist/agent/log.js';
import type { FrameResult } from '../../dist/agent/core/frame.js';
import { media, model } from '../helpers/testdata.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Several inference workers finish frames out of order; sinks (metrics,
 * later MQTT and the preview) must still see each camera's frames in capture
 * order.
 */
describe('results with a pool of inference workers', () => {
  it('reach the sinks in capture order per camera, with every worker busy', async () => {
    const config = parseConfig(
      [
        'log: { level: warn }',
        'http: { port: 0 }',
        'inference: { providers: [cpu], workers: 3, intra_op_threads: 1 }',
        `detector: { model: ${model('yolox_nano.onnx')}, labels: ${model('coco80_labels.txt')} }`,
        `cameras:`,
        `  - { name: a, url: ${media('vtest.avi')}, file_pace: on_demand, queue_capacity: 4 }`,
        `  - { name: b, url: ${media('vtest.avi')}, file_pace: on_demand, queue_capacity: 4 }`,
      ].join('\n'),
      '/tmp/order.yaml',
    );
    const seen: Record<string, number[]> = { a: [], b: [] };
    const sink = { name: 'order', handle: (r: FrameResult) => void seen[r.frame.meta.camera]!.push(r.frame.meta.seq) };
    const agent = new Agent(config, createLogger('warn'), [sink]);
    await agent.start();
    try {
      await waitFor(() => seen.a!.length >= 60 && seen.b!.length >= 60, '60 results per camera', 60_000);
    } finally {
      await agent.stop();
    }
    for (const seqs of Object.values(seen)) {
      // on_demand never drops, so the sequence is complete as well as ordered.
      expect(seqs.slice(0, 60)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    }
  });
});
