import { describe, expect, it } from 'vitest';
import { softmax, topOne } from '../../agent/inference/softmax.js';

describe('softmax', () => {
  it('softmax([0, ln 3]) = [1/4, 3/4]', () => {
    const p = softmax([0, Math.log(3)]);
    expect(p).toBeInstanceOf(Float32Array);
    expect(p[0]).toBeCloseTo(0.25, 6);
    expect(p[1]).toBeCloseTo(0.75, 6);
  });

  it('is stable for large logits', () => {
    expect(Array.from(softmax([1000, 1000]))).toEqual([0.5, 0.5]);
    const p = softmax([1000, 1000 + Math.log(3)]);
    expect(p[0]).toBeCloseTo(0.25, 5);
    expect(p[1]).toBeCloseTo(0.75, 5);
    const n = softmax([-1000, -1000]);
    expect(Array.from(n)).toEqual([0.5, 0.5]);
  });

  it('is invariant to a constant shift and sums to 1', () => {
    const a = softmax([1, 2, 3]);
    const b = softmax([101, 102, 103]);
    for (let i = 0; i < 3; i++) expect(a[i]).toBeCloseTo(b[i]!, 6);
    expect(a[0]! + a[1]! + a[2]!).toBeCloseTo(1, 6);
    // e^1 : e^2 : e^3 → 0.0900, 0.2447, 0.6652
    expect(a[0]).toBeCloseTo(0.09003, 4);
    expect(a[2]).toBeCloseTo(0.66524, 4);
  });

  it('reads a view into a larger batch', () => {
    const batch = new Float32Array([5, 5, 0, Math.log(3)]);
    const p = softmax(batch.subarray(2, 4));
    expect(p).toHaveLength(2);
    expect(p[1]).toBeCloseTo(0.75, 6);
  });
});

describe('topOne', () => {
  it('returns the index and value of the largest probability', () => {
    expect(topOne([0.1, 0.6, 0.3])).toEqual({ index: 1, probability: 0.6 });
    expect(topOne([0.7, 0.2, 0.1])).toEqual({ index: 0, probability: 0.7 });
  });

  it('keeps the first of equal maxima', () => {
    expect(topOne([0.4, 0.4, 0.2])).toEqual({ index: 0, probability: 0.4 });
  });

  it('returns index 0, probability 0 for an empty list', () => {
    expect(topOne([])).toEqual({ index: 0, probability: 0 });
  });
});
