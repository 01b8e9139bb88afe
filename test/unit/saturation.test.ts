import { describe, expect, it } from 'vitest';
import { SaturationMeter } from '../../agent/pipeline/saturation.js';

describe('SaturationMeter', () => {
  const meter = () => {
    let now = 0;
    const m = new SaturationMeter(() => now, 1000);
    return { m, at: (ms: number) => (now = ms) };
  };

  it('is 0 while nothing waits, and rises toward 1 with the time constant while frames wait', () => {
    const { m, at } = meter();
    at(5000);
    expect(m.fraction).toBe(0);
    m.update(true);
    at(6000);
    expect(m.fraction).toBeCloseTo(1 - Math.exp(-1), 6);
    at(10000);
    expect(m.fraction).toBeCloseTo(1 - Math.exp(-5), 6);
  });

  it('decays once nothing waits', () => {
    const { m, at } = meter();
    m.update(true);
    at(10_000);
    const full = m.fraction;
    m.update(false);
    at(11_000);
    expect(m.fraction).toBeCloseTo(full * Math.exp(-1), 6);
  });

  it('averages short waits by their share of time: bursts of 5 ms every 100 ms stay near 0.05', () => {
    const { m, at } = meter();
    for (let t = 0; t < 10_000; t += 100) {
      at(t);
      m.update(true);
      at(t + 5);
      m.update(false);
    }
    at(10_000);
    expect(m.fraction).toBeGreaterThan(0.03);
    expect(m.fraction).toBeLessThan(0.07);
  });

  it('is the same however often it is told the same state', () => {
    const a = meter();
    const b = meter();
    a.m.update(true);
    b.m.update(true);
    for (let t = 10; t <= 700; t += 10) {
      b.at(t);
      b.m.update(true);
    }
    a.at(700);
    expect(b.m.fraction).toBeCloseTo(a.m.fraction, 9);
  });
});
