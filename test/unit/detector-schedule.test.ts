import { describe, expect, it } from 'vitest';
import { DetectorSchedule } from '../../agent/pipeline/detector-schedule.js';

/** The main thread's side of the detector interval: what the capture gate is told, and when. */
describe('DetectorSchedule', () => {
  const plans = () => {
    const told: [number, boolean][] = [];
    return { told, tell: (interval: number, moving: boolean) => told.push([interval, moving]) };
  };

  it('tells a fixed interval once and the moving flag when it flips; ticks change nothing', () => {
    const { told, tell } = plans();
    const schedule = new DetectorSchedule({ interval: 3, maxInterval: 5 }, 4, tell, true);
    schedule.announce();
    schedule.setMoving(true);
    schedule.setMoving(true);
    for (let t = 0; t < 5; t++) {
      schedule.queued(4);
      schedule.dropped();
      schedule.tick(t * 1000, 4);
    }
    schedule.setMoving(false);
    expect(told).toEqual([
      [3, false],
      [3, true],
      [3, false],
    ]);
    expect(schedule.interval).toBe(3);
  });

  it('detects every frame without a tracker, whatever the config says', () => {
    const { told, tell } = plans();
    const schedule = new DetectorSchedule({ interval: 'auto', maxInterval: 5 }, 4, tell, false);
    schedule.announce();
    for (let t = 0; t < 5; t++) {
      schedule.dropped();
      schedule.tick(t * 1000, 4);
    }
    expect(told).toEqual([[1, false]]);
  });

  it('auto: starts at 1, rises while the queue drops frames, falls back once it stays empty', () => {
    const { told, tell } = plans();
    const schedule = new DetectorSchedule({ interval: 'auto', maxInterval: 3 }, 4, tell, true);
    schedule.announce();
    let t = 0;
    for (; t < 5; t++) {
      schedule.queued(4);
      schedule.dropped();
      schedule.tick(t * 1000, 4);
    }
    expect(schedule.interval).toBe(3);
    for (; t < 60; t++) schedule.tick(t * 1000, 0);
    expect(schedule.interval).toBe(1);
    expect(told.map(([interval]) => interval)).toEqual([1, 2, 3, 2, 1]);
  });
});
