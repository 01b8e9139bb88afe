import { describe, expect, it } from 'vitest';
import { planWorkers } from '../../agent/inference/worker-plan.js';

describe('planWorkers', () => {
  it('runs a worker per core on a CPU, the lead with wide sessions of twice the threads for lone frames', () => {
    expect(planWorkers('auto', 0, 'cpu', 2)).toEqual({ threads: [1, 1], leadWideThreads: 2 });
    expect(planWorkers('auto', 0, 'cpu', 6)).toEqual({ threads: [1, 1, 1, 1, 1, 1], leadWideThreads: 2 });
  });

  it('caps the worker count at 8 and shares the cores between them', () => {
    expect(planWorkers('auto', 0, 'cpu', 16)).toEqual({ threads: [2, 2, 2, 2, 2, 2, 2, 2], leadWideThreads: 4 });
  });

  it('keeps an explicit thread count, the same for every worker', () => {
    expect(planWorkers('auto', 3, 'cpu', 4)).toEqual({ threads: [3, 3, 3, 3], leadWideThreads: 0 });
  });

  it('runs one worker on a GPU provider or a single core', () => {
    expect(planWorkers('auto', 0, 'cuda', 8)).toEqual({ threads: [0], leadWideThreads: 0 });
    expect(planWorkers('auto', 0, 'tensorrt', 8)).toEqual({ threads: [0], leadWideThreads: 0 });
    expect(planWorkers('auto', 0, 'cpu', 1)).toEqual({ threads: [0], leadWideThreads: 0 });
  });

  it('takes an explicit worker count as given', () => {
    expect(planWorkers(3, 0, 'cuda', 8)).toEqual({ threads: [0, 0, 0], leadWideThreads: 0 });
    expect(planWorkers(1, 2, 'cpu', 8)).toEqual({ threads: [2], leadWideThreads: 0 });
  });
});
