import { describe, expect, it } from 'vitest';
import { FpsCap, RealtimeSchedule } from '../../agent/capture/pacing.js';

/** Times (ms) at which `cap` admits frames arriving every `periodMs` from `start` (inclusive) to `end` (exclusive). */
function admitted(cap: FpsCap, periodMs: number, start: number, end: number): number[] {
  const out: number[] = [];
  for (let t = start; t < end; t += periodMs) if (cap.admit(t)) out.push(t);
  return out;
}

describe('FpsCap', () => {
  it('admits ~100 of 250 frames from a 25 fps source capped at 10 fps over 10 s (a minimum gap would give ~84)', () => {
    const times = admitted(new FpsCap(10), 40, 0, 10_000);
    expect(times.length).toBeGreaterThanOrEqual(99);
    expect(times.length).toBeLessThanOrEqual(101);
    expect(times[0]).toBe(0);
  });

  it('admits every frame when the source is slower than the cap', () => {
    expect(admitted(new FpsCap(10), 200, 0, 10_000)).toHaveLength(50);
  });

  it('admits every frame when fps is undefined (or 0)', () => {
    expect(admitted(new FpsCap(undefined), 40, 0, 10_000)).toHaveLength(250);
    expect(admitted(new FpsCap(0), 40, 0, 1000)).toHaveLength(25);
  });

  it('rejects a frame that arrives well before the next slot once the schedule is running', () => {
    const cap = new FpsCap(10);
    admitted(cap, 40, 0, 1000); // warm up: the schedule now runs on 100 ms slots
    expect(cap.admit(1000)).toBe(true);
    expect(cap.admit(1040)).toBe(false);
    expect(cap.admit(1080)).toBe(false);
    expect(cap.admit(1100)).toBe(true);
  });

  it('in steady state admits one frame per 100 ms slot: the first frame at or after each slot', () => {
    const cap = new FpsCap(10);
    admitted(cap, 40, 0, 1000);
    // slots at 1000, 1100, 1200, 1300, 1400: frames every 40 ms from 1000
    expect(admitted(cap, 40, 1000, 1500)).toEqual([1000, 1120, 1200, 1320, 1400]);
  });

  it('rejects the second frame 40 ms after the first at 10 fps', () => {
    const cap = new FpsCap(10);
    expect(cap.admit(0)).toBe(true);
    expect(cap.admit(40)).toBe(false);
  });

  it('a 30 fps source capped at 1 fps passes 10 frames in 10 s, not 11', () => {
    expect(admitted(new FpsCap(1), 1000 / 30, 0, 10_000 - 1)).toHaveLength(10);
  });

  it('restarts the schedule after a stall instead of bursting', () => {
    const cap = new FpsCap(10);
    expect([cap.admit(0), cap.admit(40), cap.admit(80), cap.admit(120)]).toEqual([true, false, false, true]);
    // stall of 5 s, then frames every 40 ms again: one frame, then the next slot 100 ms later
    expect([cap.admit(5000), cap.admit(5040), cap.admit(5080), cap.admit(5120)]).toEqual([true, false, false, true]);
  });
});

describe('RealtimeSchedule', () => {
  it('waits until each frame is due at the file frame rate (25 fps → 40 ms)', () => {
    const s = new RealtimeSchedule(25);
    s.reset(1000);
    expect(s.waitAfterFrame(1000)).toBe(40); // frame 1 due at 1040
    expect(s.waitAfterFrame(1045)).toBe(35); // frame 2 due at 1080
    expect(s.waitAfterFrame(1080)).toBe(40); // frame 3 due at 1120
  });

  it('returns 0 when running behind, without resetting the schedule', () => {
    const s = new RealtimeSchedule(25);
    s.reset(0);
    expect(s.waitAfterFrame(100)).toBe(0); // due 40, 60 ms late
    expect(s.waitAfterFrame(100)).toBe(0); // due 80
    expect(s.waitAfterFrame(100)).toBe(20); // due 120: caught up
  });

  it('restarts the schedule when more than 1 s behind instead of bursting', () => {
    const s = new RealtimeSchedule(25);
    s.reset(0);
    expect(s.waitAfterFrame(0)).toBe(40);
    // frame 2 due at 80; read at 1081 → 1001 ms late → restart at 1081
    expect(s.waitAfterFrame(1081)).toBe(0);
    expect(s.waitAfterFrame(1091)).toBe(30); // frame 1 of the new schedule due at 1121
    // exactly 1000 ms late is not yet a restart
    const t = new RealtimeSchedule(10);
    t.reset(0);
    expect(t.waitAfterFrame(1100)).toBe(0); // due 100, 1000 ms late
    expect(t.waitAfterFrame(1100)).toBe(0); // due 200, 900 ms late: still on the old schedule
  });

  it('handles fractional frame rates (29.97 fps)', () => {
    const s = new RealtimeSchedule(29.97);
    s.reset(0);
    expect(s.waitAfterFrame(0)).toBeCloseTo(1000 / 29.97, 9);
  });
});
