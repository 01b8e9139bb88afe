import { describe, expect, it } from 'vitest';
import { chooseWorker } from '../../agent/inference/worker-choice.js';

const pool = (...inFlight: (number | null)[]) => inFlight.map((n, index) => (n === null ? null : { index, inFlight: n }));
const pick = (workers: ReturnType<typeof pool>, mode: 'latency' | 'throughput', wideLead = true, depth = 2) => {
  const choice = chooseWorker(workers, mode, wideLead, depth);
  return choice && { index: choice.worker.index, wide: choice.wide };
};

describe('chooseWorker', () => {
  it('latency: an idle lead takes the frame on its wide sessions, even when others idle too', () => {
    expect(pick(pool(0, 0), 'latency')).toEqual({ index: 0, wide: true });
    expect(pick(pool(0, 1, 1), 'latency')).toEqual({ index: 0, wide: true });
  });

  it('latency: a frame goes to an idle worker, single-share, rather than queue behind the busy lead', () => {
    expect(pick(pool(1, 0), 'latency')).toEqual({ index: 1, wide: false });
    expect(pick(pool(2, 1, 0), 'latency')).toEqual({ index: 2, wide: false });
  });

  it('latency: with every worker busy the frame queues on the lead while it has room, then waits', () => {
    expect(pick(pool(1, 1), 'latency')).toEqual({ index: 0, wide: true });
    expect(pick(pool(2, 1), 'latency')).toBeUndefined();
  });

  it('throughput: the least busy worker with room, the lead first on a tie, never wide', () => {
    expect(pick(pool(0, 0), 'throughput')).toEqual({ index: 0, wide: false });
    expect(pick(pool(1, 0), 'throughput')).toEqual({ index: 1, wide: false });
    expect(pick(pool(1, 1), 'throughput')).toEqual({ index: 0, wide: false });
    expect(pick(pool(2, 2), 'throughput')).toBeUndefined();
  });

  it('a pool without a wide lead, or whose lead is being replaced, spreads frames as in throughput mode', () => {
    expect(pick(pool(1, 0), 'latency', false)).toEqual({ index: 1, wide: false });
    expect(pick(pool(1, 1, 1), 'latency', false, 3)).toEqual({ index: 0, wide: false });
    expect(pick(pool(null, 1, 0), 'latency')).toEqual({ index: 2, wide: false });
    expect(pick(pool(null, 2, 2), 'latency')).toBeUndefined();
    expect(pick(pool(null), 'latency')).toBeUndefined();
  });
});
