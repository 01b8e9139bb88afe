import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { densityConfig } from '../../bench/density-config.js';
import { searchMost } from '../../bench/density-search.js';
import { STATIC_FPS, STATIC_FRAMES, STATIC_LINE, staticActors } from '../../bench/static-clip.js';
import { DARK_COAT, feetAt, RED_JACKET, WIDTH } from '../helpers/synthetic-video.js';

/** A trial that sustains up to `limit` cameras, recording what it was asked. */
function threshold(limit: number): { asked: number[]; trial: (n: number) => Promise<{ sustained: boolean; n: number }> } {
  const asked: number[] = [];
  return { asked, trial: (n) => (asked.push(n), Promise.resolve({ sustained: n <= limit, n })) };
}

describe('the density search', () => {
  it('doubles from the start until a count fails, then bisects to within 10 %', async () => {
    const { asked, trial } = threshold(13);
    const result = await searchMost(trial, 2, 96);
    expect(asked).toEqual([2, 4, 8, 16, 12, 14]);
    // 12 sustained, 14 failed: a step of 2 is within 10 % of 12.
    expect(result.cameras).toBe(12);
    expect(result.best?.n).toBe(12);
    expect(result.failed?.n).toBe(14);
  });

  it('finds the exact count where steps of one are needed', async () => {
    const { asked, trial } = threshold(5);
    const result = await searchMost(trial, 2, 96);
    expect(asked).toEqual([2, 4, 8, 6, 5]);
    expect(result.cameras).toBe(5);
    expect(result.failed?.n).toBe(6);
  });

  it('says 0 when one camera is already too many, and goes down from a start that fails', async () => {
    expect((await searchMost(threshold(0).trial, 1, 96)).cameras).toBe(0);
    const { asked, trial } = threshold(3);
    expect((await searchMost(trial, 8, 96)).cameras).toBe(3);
    expect(asked).toEqual([8, 4, 2, 3]);
  });

  it('stops at the cap without a failure', async () => {
    const { asked, trial } = threshold(1000);
    const result = await searchMost(trial, 16, 40);
    expect(asked).toEqual([16, 32, 40]);
    expect(result.cameras).toBe(40);
    expect(result.failed).toBeUndefined();
  });
});

describe('the density configs', () => {
  it('set the issue 16 keys the rows measure, per camera', () => {
    const config = densityConfig({
      groups: [
        { prefix: 'busy', count: 2, url: 'vtest.avi', interval: 3, line: '[[0, 0.55], [1, 0.55]]' },
        { prefix: 'auto', count: 1, url: 'vtest.avi', interval: 'auto', maxInterval: 4 },
        { prefix: 'still', count: 1, url: 'still.mp4', motion: true, pace: 'on_demand', loop: false },
      ],
      classifier: 'per_track',
    });
    expect(config.cameras.map((c) => c.name)).toEqual(['busy0', 'busy1', 'auto0', 'still0']);
    expect(config.cameras.map((c) => c.detector.interval)).toEqual([3, 3, 'auto', undefined]);
    expect(config.cameras[2]!.detector.max_interval).toBe(4);
    expect(config.cameras.map((c) => c.motion.enabled)).toEqual([false, false, false, true]);
    expect(config.cameras[0]!.lines[0]!.points).toEqual([[0, 0.55], [1, 0.55]]);
    expect(config.cameras[3]).toMatchObject({ file_pace: 'on_demand', loop: false });
    expect(config.classifier?.mode).toBe('per_track');
    expect(config.detector.classes).toEqual(['person']);
    expect(densityConfig({ groups: [{ prefix: 'c', count: 1, url: 'vtest.avi' }] }).classifier).toBeUndefined();
    const shifted = densityConfig({ groups: [{ prefix: 's', count: 3, url: 'a.mp4', copies: ['a.mp4', 'b.mp4'] }] });
    expect(shifted.cameras.map((c) => basename(String(c.url)))).toEqual(['a.mp4', 'b.mp4', 'a.mp4']);
  });
});

describe('the static clip', () => {
  it('has each burst cross its line once, 2.5 s long, at least 15 s apart, inside the clip', () => {
    const lineX = STATIC_LINE[0][0] * WIDTH;
    const actors = staticActors(DARK_COAT, RED_JACKET);
    expect(actors).toHaveLength(3);
    const starts = actors.map((a) => a.path[0]!.frame);
    for (const actor of actors) {
      const first = actor.path[0]!;
      const last = actor.path.at(-1)!;
      expect((last.frame - first.frame + 1) / STATIC_FPS).toBe(2.5);
      expect(last.frame).toBeLessThan(STATIC_FRAMES - 5 * STATIC_FPS);
      // Well clear of the line at both ends: a crossing, not a touch.
      expect(Math.sign(feetAt(actor, first.frame)!.x - lineX)).toBe(-Math.sign(feetAt(actor, last.frame)!.x - lineX));
      expect(Math.min(Math.abs(first.x - lineX), Math.abs(last.x - lineX))).toBeGreaterThan(100);
    }
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(15 * STATIC_FPS);
  });
});
