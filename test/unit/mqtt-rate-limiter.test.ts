import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../agent/mqtt/rate-limiter.js';

/** Calls allow(key, t) at t = 0, step, 2·step, … below untilMs and returns the times that passed. */
function passedAt(limiter: RateLimiter, key: string, stepMs: number, untilMs: number): number[] {
  const passed: number[] = [];
  for (let t = 0; t < untilMs; t += stepMs) if (limiter.allow(key, t)) passed.push(t);
  return passed;
}

describe('RateLimiter', () => {
  it('perSecond 5 with a frame every 100 ms for 10 s passes 50, every other frame', () => {
    // starts with 1 token; each 100 ms adds 0.5, so a token is back every 200 ms
    const passed = passedAt(new RateLimiter(5), 'gate', 100, 10_000);
    expect(passed).toHaveLength(50);
    expect(passed.slice(0, 4)).toEqual([0, 200, 400, 600]);
    expect(passed.at(-1)).toBe(9_800);
  });

  it('perSecond 0.5 passes one frame every 2 s', () => {
    const limiter = new RateLimiter(0.5);
    expect(limiter.allow('gate', 0)).toBe(true);
    expect(limiter.allow('gate', 1_000)).toBe(false); // 0.5 token
    expect(limiter.allow('gate', 1_999)).toBe(false); // 0.9995 token
    expect(limiter.allow('gate', 2_000)).toBe(true); // 1 token
    expect(limiter.allow('gate', 2_500)).toBe(false);
    // 500 ms steps for 10 s: 0, 2000, 4000, 6000, 8000
    expect(passedAt(new RateLimiter(0.5), 'gate', 500, 10_000)).toEqual([0, 2_000, 4_000, 6_000, 8_000]);
  });

  it('starts each key with one token, not a full bucket', () => {
    const limiter = new RateLimiter(10);
    expect(limiter.allow('gate', 0)).toBe(true);
    expect(limiter.allow('gate', 0)).toBe(false);
    expect(limiter.allow('gate', 50)).toBe(false); // 0.5 token
    expect(limiter.allow('gate', 100)).toBe(true); // 1 token
  });

  it('lets a burst of up to one second’s worth through after a pause, and no more', () => {
    const limiter = new RateLimiter(5);
    expect(limiter.allow('gate', 0)).toBe(true);
    // 60 s idle refills to the capacity of 5, not to 300
    const burst = Array.from({ length: 7 }, () => limiter.allow('gate', 60_000));
    expect(burst).toEqual([true, true, true, true, true, false, false]);
  });

  it('caps the bucket at 1 when perSecond is below 1', () => {
    const limiter = new RateLimiter(0.5);
    expect(limiter.allow('gate', 0)).toBe(true);
    expect([limiter.allow('gate', 100_000), limiter.allow('gate', 100_000)]).toEqual([true, false]);
  });

  it('keeps keys independent', () => {
    const limiter = new RateLimiter(1);
    expect(limiter.allow('gate', 0)).toBe(true);
    expect(limiter.allow('gate', 10)).toBe(false);
    expect(limiter.allow('yard', 10)).toBe(true);
    expect(limiter.allow('yard', 20)).toBe(false);
    expect(limiter.allow('gate', 1_000)).toBe(true);
    expect(limiter.allow('yard', 1_000)).toBe(false); // yard's clock started at 10 ms
    expect(limiter.allow('yard', 1_010)).toBe(true);
  });
});
