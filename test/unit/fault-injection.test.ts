import { describe, expect, it } from 'vitest';
import { inferenceFaults } from '../../agent/inference/fault-injection.js';

describe('inferenceFaults', () => {
  it('is inert without the variable', () => {
    expect(inferenceFaults(undefined)).toEqual({ wedgeAfterRuns: undefined, crashAfterRuns: undefined });
    expect(inferenceFaults('')).toEqual({ wedgeAfterRuns: undefined, crashAfterRuns: undefined });
  });

  it('reads each fault from a comma-separated list', () => {
    expect(inferenceFaults('inference_wedge_after=15')).toEqual({ wedgeAfterRuns: 15, crashAfterRuns: undefined });
    expect(inferenceFaults('inference_crash_after=0, inference_wedge_after=7')).toEqual({ wedgeAfterRuns: 7, crashAfterRuns: 0 });
  });

  it('ignores look-alikes and malformed counts', () => {
    expect(inferenceFaults('xinference_crash_after=3,inference_wedge_after=-1,inference_crash_after=3x')).toEqual({ wedgeAfterRuns: undefined, crashAfterRuns: undefined });
  });
});
