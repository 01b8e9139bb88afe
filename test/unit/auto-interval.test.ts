import { describe, expect, it } from 'vitest';
import { AutoInterval } from '../../agent/pipeline/auto-interval.js';

const CAPACITY = 4;
const PRESSURE = { queueFillMax: 1, dropped: 3 };
const HALF_FULL = { queueFillMax: 0.75, dropped: 0 }; // 3 of 4 frames, nothing dropped
const BETWEEN = { queueFillMax: 0.5, dropped: 0 }; // 2 of 4: neither
const CALM = { queueFillMax: 0.25, dropped: 0 }; // 1 frame at most

const auto = (options: Partial<ConstructorParameters<typeof AutoInterval>[0]> = {}): AutoInterval =>
  new AutoInterval({ queueCapacity: CAPACITY, maxInterval: 5, ...options });

/** Feeds one sample a second from `startS`; returns the interval after each. */
function feed(a: AutoInterval, startS: number, windows: readonly { queueFillMax: number; dropped: number }[]): number[] {
  return windows.map((w, i) => a.sample({ ...w, nowMs: (startS + i) * 1000 }));
}

const times = <T>(n: number, value: T): T[] => Array.from({ length: n }, () => value);

describe('AutoInterval', () => {
  it('starts at 1 and climbs a step per second under sustained pressure, to max_interval and not beyond', () => {
    const a = auto();
    expect(a.interval).toBe(1);
    expect(feed(a, 0, times(8, PRESSURE))).toEqual([2, 3, 4, 5, 5, 5, 5, 5]);
  });

  it('a queue more than half full raises without drops', () => {
    expect(feed(auto(), 0, [HALF_FULL, HALF_FULL])).toEqual([2, 3]);
  });

  it('holds between half full and near empty', () => {
    const a = auto();
    feed(a, 0, [PRESSURE, PRESSURE]);
    expect(feed(a, 2, times(60, BETWEEN))).toEqual(times(60, 3));
  });

  it('lowers one step per calm period once the load is gone', () => {
    const a = auto();
    feed(a, 0, times(3, PRESSURE)); // 4
    // calm from t = 3 s: the calm clock starts at the first calm sample
    const after = feed(a, 3, times(40, CALM));
    const loweredAt = after.flatMap((v, i) => (v < (i === 0 ? 4 : after[i - 1]!) ? [3 + i] : []));
    expect(loweredAt).toEqual([13, 23, 33]);
    expect(after.at(-1)).toBe(1);
  });

  it('a window of anything but calm restarts the calm clock', () => {
    const a = auto();
    feed(a, 0, [PRESSURE]); // 2
    const after = feed(a, 1, [...times(9, CALM), BETWEEN, ...times(10, CALM), CALM]);
    expect(after.slice(0, 20)).toEqual(times(20, 2)); // 9 s calm, broken, then 10 s calm from t = 11 s
    expect(after[20]).toBe(1); // t = 21 s
  });

  it('does not flap on a load right at a boundary: the calm period doubles to 60 s', () => {
    // A load interval 1 cannot carry (the queue overflows in the first second) and interval 2 carries easily.
    const a = auto();
    const history: number[] = [];
    let current = 1;
    for (let s = 0; s < 600; s++) {
      current = a.sample({ ...(current === 1 ? PRESSURE : CALM), nowMs: s * 1000 });
      history.push(current);
    }
    const lowered = history.flatMap((v, i) => (i > 0 && v < history[i - 1]! ? [i] : []));
    // Each lowering is undone the next second; the calm wait after it grows 20, 40, then 60 s (gaps add the raise's second and the first calm window).
    const gaps = lowered.slice(1).map((t, i) => t - lowered[i]!);
    expect(lowered[0]).toBe(11);
    expect(gaps.slice(0, 3)).toEqual([22, 42, 62]);
    expect(new Set(gaps.slice(3))).toEqual(new Set([62]));
    expect(lowered.length).toBeLessThanOrEqual(12); // vs ~54 with a fixed 10 s period
    expect(history.filter((v) => v === 2).length / history.length).toBeGreaterThan(0.97);
    expect(Math.max(...history)).toBe(2);
    expect(a.calmPeriodMs).toBe(60_000);
  });

  it('is back to the base calm period after a long stable stretch', () => {
    const a = auto({ stableMs: 300_000 });
    // flap twice: 10 s → 20 s → 40 s
    let s = 0;
    const step = (w: { queueFillMax: number; dropped: number }): number => a.sample({ ...w, nowMs: s++ * 1000 });
    step(PRESSURE); // 2 at 0 s
    while (a.interval === 2) step(CALM); // lowered at 10 s
    step(PRESSURE); // raised at once: 20 s
    while (a.interval === 2) step(CALM); // lowered 20 s later
    step(PRESSURE);
    expect(a.calmPeriodMs).toBe(40_000);
    const raisedAt = s - 1;
    // a steady load interval 2 carries, for five minutes
    while (s < raisedAt + 300) step(BETWEEN);
    expect(a.calmPeriodMs).toBe(40_000);
    step(BETWEEN);
    expect(a.calmPeriodMs).toBe(10_000);
    // the load goes: down after 10 s again
    const calmFrom = s;
    while (a.interval === 2) step(CALM);
    expect(s - 1 - calmFrom).toBe(10);
  });

  it('a raise long after a lowering is not a flap', () => {
    const a = auto();
    feed(a, 0, [PRESSURE]);
    feed(a, 1, times(11, CALM)); // lowered at 11 s
    expect(a.interval).toBe(1);
    feed(a, 12, times(15, CALM));
    feed(a, 27, [PRESSURE]); // 16 s after the lowering
    expect(a.interval).toBe(2);
    expect(a.calmPeriodMs).toBe(10_000);
  });

  it('never changes a fixed interval', () => {
    for (const interval of [1, 3]) {
      const a = auto({ interval });
      expect(feed(a, 0, [...times(5, PRESSURE), ...times(60, CALM)])).toEqual(times(65, interval));
    }
  });

  it('small queues: capacity 1 rises only on drops, capacity 2 when full', () => {
    const one = new AutoInterval({ queueCapacity: 1, maxInterval: 3 });
    expect(feed(one, 0, [{ queueFillMax: 1, dropped: 0 }, { queueFillMax: 1, dropped: 1 }])).toEqual([1, 2]);
    const two = new AutoInterval({ queueCapacity: 2, maxInterval: 3 });
    expect(feed(two, 0, [{ queueFillMax: 0.5, dropped: 0 }, { queueFillMax: 1, dropped: 0 }])).toEqual([1, 2]);
  });
});
