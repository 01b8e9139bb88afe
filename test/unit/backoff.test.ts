import { describe, expect, it } from 'vitest';
import { backoffDelaySeconds, type BackoffPolicy } from '../../agent/util/backoff.js';

const policy: BackoffPolicy = { initial_seconds: 0.5, max_seconds: 30, jitter: 0.2 };
const half = (): number => 0.5; // random() * 2 - 1 = 0: no jitter
const low = (): number => 0; // -jitter
const high = (): number => 0.999999; // almost +jitter

describe('backoffDelaySeconds', () => {
  it('doubles from initial_seconds without jitter when random() = 0.5, capped at max', () => {
    const delays = Array.from({ length: 10 }, (_, attempt) => backoffDelaySeconds(policy, attempt, half));
    expect(delays).toEqual([0.5, 1, 2, 4, 8, 16, 30, 30, 30, 30]);
  });

  it('random() = 0 gives base × (1 − jitter)', () => {
    expect(backoffDelaySeconds(policy, 0, low)).toBeCloseTo(0.4, 12);
    expect(backoffDelaySeconds(policy, 3, low)).toBeCloseTo(3.2, 12);
    expect(backoffDelaySeconds(policy, 20, low)).toBeCloseTo(24, 12);
  });

  it('random() → 1 gives up to base × (1 + jitter), but never above max', () => {
    expect(backoffDelaySeconds(policy, 0, high)).toBeCloseTo(0.6, 5);
    expect(backoffDelaySeconds(policy, 4, high)).toBeCloseTo(9.6, 4);
    expect(backoffDelaySeconds(policy, 6, high)).toBe(30); // base 30, +6 clipped
  });

  it('treats a negative attempt as attempt 0', () => {
    expect(backoffDelaySeconds(policy, -3, half)).toBe(0.5);
  });

  it('jitter 0 is deterministic whatever random() returns', () => {
    const p = { initial_seconds: 1, max_seconds: 10, jitter: 0 };
    expect(backoffDelaySeconds(p, 2, low)).toBe(4);
    expect(backoffDelaySeconds(p, 2, high)).toBe(4);
  });

  it('jitter 1 can reach 0 but never goes negative', () => {
    const p = { initial_seconds: 1, max_seconds: 10, jitter: 1 };
    expect(backoffDelaySeconds(p, 0, low)).toBe(0);
    expect(backoffDelaySeconds(p, 0, () => -0.5)).toBe(0); // out-of-range random still clamped
  });

  it('stays within [0, max] over many attempts with Math.random', () => {
    for (let attempt = 0; attempt < 200; attempt++) {
      const d = backoffDelaySeconds(policy, attempt % 40);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(30);
    }
  });
});
