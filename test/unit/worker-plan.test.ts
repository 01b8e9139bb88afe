import { describe, expect, it } from 'vitest';
import { planWorkers } from '../../agent/inference/worker-plan.js';

describe('planWorkers', () => {
  it('runs one single-thread worker per core on a CPU', () => {
    expect(planWorkers('auto', 0, 'cpu', 2)).toEqual({ workers: 2, intraOpThreads: 1 });
    expect(planWorkers('auto', 0, 'cpu', 6)).toEqual({ workers: 6, intraOpThreads: 1 });
  });

  it('caps the worker count at 8 and shares the cores between them', () => {
    expect(planWorkers('auto', 0, 'cpu', 16)).toEqual({ workers: 8, intraOpThreads: 2 });
  });

  it('keeps an explicit thread count', () => {
    expect(planWorkers('auto', 3, 'cpu', 4)).toEqual({ workers: 4, intraOpThreads: 3 });
  });

  it('runs one worker on a GPU provider or a single core', () => {
    expect(planWorkers('auto', 0, 'cuda', 8)).toEqual({ workers: 1, intraOpThreads: 0 });
    expect(planWorkers('auto', 0, 'tensorrt', 8)).toEqual({ workers: 1, intraOpThreads: 0 });
    expect(planWorkers('auto', 0, 'cpu', 1)).toEqual({ workers: 1, intraOpThreads: 0 });
  });

  it('takes an explicit worker count as given', () => {
    expect(planWorkers(3, 0, 'cuda', 8)).toEqual({ workers: 3, intraOpThreads: 0 });
    expect(planWorkers(1, 2, 'cpu', 8)).toEqual({ workers: 1, intraOpThreads: 2 });
  });
});
