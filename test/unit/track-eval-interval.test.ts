import { describe, expect, it } from 'vitest';
import { trackerSchema } from '../../agent/config/tracking-schema.js';
import type { Tracker } from '../../agent/tracking/tracker.js';
import { createTracker } from '../../agent/tracking/tracker.js';
import { trackFrames } from '../../tools/mot/evaluate.js';
import type { MotRow } from '../../tools/mot/mot-file.js';

/** track-eval's frame loop (tools/mot/evaluate.ts trackFrames) with --interval and --every, on a hand-made sequence. */

/** Two people walking right at 4 px a frame, detected on every one of `length` frames. */
function sequence(length: number): Map<number, MotRow[]> {
  const byFrame = new Map<number, MotRow[]>();
  for (let frame = 1; frame <= length; frame++) {
    byFrame.set(frame, [
      { frame, id: -1, x: 100 + 4 * frame, y: 100, w: 40, h: 100, conf: 0.95 },
      { frame, id: -1, x: 400 + 4 * frame, y: 120, w: 40, h: 100, conf: 0.95 },
    ]);
  }
  return byFrame;
}

/** Counts the calls, so the test sees which frames got update() and which predict(). */
function counting(tracker: Tracker): { tracker: Tracker; calls: string[] } {
  const calls: string[] = [];
  const proxy: Tracker = {
    update: (d) => (calls.push(`u${d.length}`), tracker.update(d)),
    predict: () => (calls.push('p'), tracker.predict()),
    clear: () => tracker.clear(),
    anyPending: (test) => tracker.anyPending(test),
    get moving() {
      return tracker.moving;
    },
    get ended() {
      return tracker.ended;
    },
    get activeCount() {
      return tracker.activeCount;
    },
  };
  return { tracker: proxy, calls };
}

describe.each(['bytetrack', 'sort'] as const)('%s: track-eval --interval', (type) => {
  const config = trackerSchema.parse({ type });

  it('interval 3: update() on frames 1, 4, 7, …, predict() between, and a line per track and frame', () => {
    const { tracker, calls } = counting(createTracker(config));
    const out = trackFrames(tracker, sequence(12), 12, { every: 1, interval: 3 });
    expect(calls).toEqual(['u2', 'p', 'p', 'u2', 'p', 'p', 'u2', 'p', 'p', 'u2', 'p', 'p']);
    expect(out.detected).toBe(4);
    expect([...out.fed]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    // Both are there from frame 1 (confirmed at once): one line each in every frame, same ids throughout.
    for (let frame = 1; frame <= 12; frame++) {
      const rows = out.rows.filter((r) => r.frame === frame);
      expect(rows.map((r) => r.id), `frame ${frame}`).toEqual([1, 2]);
      // Predicted frames too: a new track has no velocity yet (frames 2 and 3 stay where frame 1 was), then the boxes follow.
      const error = rows[0]!.x - (100 + 4 * frame);
      if (frame <= 3) expect(error).toBeCloseTo(-4 * (frame - 1), 6);
      if (frame >= 10) expect(Math.abs(error), `frame ${frame}`).toBeLessThan(1);
    }
  });

  it('interval 1 is the plain loop, --every 2 feeds frames 1, 3, 5, … only', () => {
    const every = counting(createTracker(config));
    const out = trackFrames(every.tracker, sequence(6), 6, { every: 2, interval: 1 });
    expect(every.calls).toEqual(['u2', 'u2', 'u2']);
    expect([...new Set(out.rows.map((r) => r.frame))]).toEqual([1, 3, 5]);
    const plain = counting(createTracker(config));
    expect(trackFrames(plain.tracker, sequence(6), 6, { every: 1, interval: 1 }).detected).toBe(6);
    expect(plain.calls).toEqual(['u2', 'u2', 'u2', 'u2', 'u2', 'u2']);
  });
});
