import { describe, expect, it } from 'vitest';
import { trackerSchema, type TrackerConfig } from '../../agent/config/tracking-schema.js';
import type { Box } from '../../agent/core/letterbox.js';
import { bufferedIou, iou, moves } from '../../agent/tracking/motion-models.js';
import { createTracker, type Detection, type Tracker } from '../../agent/tracking/tracker.js';

/**
 * Frames without detections (issue 16: detector interval, motion gating):
 * predict() carries the tracks, ages nothing, and `moving` tells the
 * capture thread's gate whether something moves.
 */

const config = (overrides: Record<string, unknown> = {}): TrackerConfig => trackerSchema.parse(overrides);
const person = (x: number, y = 100, score = 0.9): Detection => ({ box: [x, y, x + 40, y + 100] as Box, score, label: 'person' });
const TYPES = ['bytetrack', 'sort'] as const;

/** A person walking right at `speed` px a frame, detected on frames 0…frames-1; the tracker after the last. */
function walker(type: (typeof TYPES)[number], speed: number, frames: number, overrides: Record<string, unknown> = {}): Tracker {
  const tracker = createTracker(config({ type, ...overrides }));
  for (let f = 0; f < frames; f++) tracker.update([person(100 + speed * f)]);
  return tracker;
}

/** Deterministic ±amplitude jitter (a small LCG), so the test is the same every run. */
function jitter(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return (state / 2 ** 31) * 2 - 1;
  };
}

describe.each(TYPES)('%s: predict()', (type) => {
  it('moves each box along its velocity, keeps its id and last score, objectIndex its place in the result', () => {
    const tracker = createTracker(config({ type }));
    for (let f = 0; f < 20; f++) tracker.update([person(100 + 5 * f), person(400, 300, 0.8)]);
    // Frame 20 onwards without detections: the walker goes on at 5 px a frame, the other stays.
    for (let f = 20; f < 23; f++) {
      const out = tracker.predict();
      expect(out.map((t) => [t.trackId, t.score, t.objectIndex])).toEqual([
        [1, 0.9, 0],
        [2, 0.8, 1],
      ]);
      expect(out[0]!.box[0]).toBeCloseTo(100 + 5 * f, 0);
      expect(out[0]!.box[2] - out[0]!.box[0]).toBeCloseTo(40, 0);
      expect(out[1]!.box[0]).toBeCloseTo(400, 0);
      expect(tracker.ended).toEqual([]);
    }
    // Detected again where the walker really is: the same ids.
    expect(tracker.update([person(100 + 5 * 23), person(400, 300, 0.8)]).map((t) => [t.trackId, t.objectIndex])).toEqual([
      [1, 0],
      [2, 1],
    ]);
  });

  it('steps the motion model exactly once a frame: update() after predicted frames does not predict twice', () => {
    // Interval 3 from frame 12 on: one update, two predictions. A model stepped twice for a
    // frame would put the predicted boxes a frame's travel (6 px) ahead of the walker.
    const speed = 6;
    const tracker = walker(type, speed, 12);
    for (let f = 12; f < 60; f++) {
      if (f % 3 === 0) {
        tracker.update([person(100 + speed * f)]);
        continue;
      }
      const [track] = tracker.predict();
      expect(track!.trackId).toBe(1);
      expect(Math.abs(track!.box[0] - (100 + speed * f))).toBeLessThan(1);
    }
  });

  it('ages nothing: a track survives 100 predicted frames and the same id matches again', () => {
    const tracker = walker(type, 0, 10);
    for (let f = 0; f < 100; f++) {
      expect(tracker.predict().map((t) => t.trackId)).toEqual([1]);
      expect(tracker.ended).toEqual([]);
    }
    expect(tracker.activeCount).toBe(1);
    expect(tracker.update([person(100)]).map((t) => t.trackId)).toEqual([1]);
  });

  it('reports only tracks matched at the last update, and predicts the others on', () => {
    const tracker = walker(type, 3, 10, { lost_frames: 30, sort: { max_age: 3 } });
    tracker.update([]); // the walker missed: lost (SORT: unmatched)
    expect(tracker.predict()).toEqual([]);
    expect(tracker.predict()).toEqual([]);
    // Frame 13: it is found again where its velocity carried it.
    tracker.update([person(100 + 3 * 13)]);
    expect(tracker.activeCount).toBe(1);
    if (type === 'bytetrack') expect(tracker.predict().map((t) => t.trackId)).toEqual([1]);
  });
});

describe('predict(): expiry and confirmation count detected frames only', () => {
  it('bytetrack: a lost track ends after lost_frames detected misses, however many frames are predicted between', () => {
    const tracker = walker('bytetrack', 0, 5, { lost_frames: 3 });
    for (let miss = 0; miss < 3; miss++) {
      tracker.update([]);
      for (let f = 0; f < 100; f++) tracker.predict();
      expect(tracker.ended).toEqual([]);
      expect(tracker.activeCount).toBe(1);
    }
    tracker.update([]);
    expect(tracker.ended).toEqual([1]);
    expect(tracker.activeCount).toBe(0);
  });

  it('bytetrack: a tentative track is confirmed by its next detection, predicted frames between', () => {
    const tracker = createTracker(config());
    tracker.update([]);
    expect(tracker.update([person(100)])).toEqual([]); // tentative
    expect(tracker.predict()).toEqual([]); // not reported, not dropped
    expect(tracker.predict()).toEqual([]);
    expect(tracker.update([person(100)]).map((t) => t.trackId)).toEqual([1]);
    expect(tracker.predict().map((t) => t.trackId)).toEqual([1]);
  });

  it('sort: max_age and the hit streak ignore predicted frames', () => {
    const tracker = walker('sort', 0, 5);
    tracker.update([]); // one miss: max_age 1 keeps it
    for (let f = 0; f < 100; f++) expect(tracker.predict()).toEqual([]);
    expect(tracker.ended).toEqual([]);
    // The streak restarts on the next match (as sort.py): reported after min_hits detected frames.
    expect(tracker.update([person(100)])).toEqual([]);
    tracker.predict();
    expect(tracker.update([person(100)])).toEqual([]);
    tracker.predict();
    expect(tracker.update([person(100)]).map((t) => t.trackId)).toEqual([1]);
    expect(tracker.predict().map((t) => t.trackId)).toEqual([1]);
    tracker.update([]);
    tracker.update([]);
    expect(tracker.ended).toEqual([1]);
  });
});

describe.each(TYPES)('%s: moving', (type) => {
  it('is false with no tracks, true for a new detection (tentative) and for a walker', () => {
    const tracker = createTracker(config({ type }));
    expect(tracker.moving).toBe(false);
    tracker.update([]);
    tracker.update([person(100)]);
    expect(tracker.moving).toBe(true); // something just appeared
    expect(walker(type, 3, 10).moving).toBe(true); // 3 px a frame ≥ 1 px (1 % of 100)
  });

  it('is false for a parked box whose detections jitter by ±2 px, and turns false once a walker stops', () => {
    const noise = jitter(7);
    const tracker = createTracker(config({ type }));
    for (let f = 0; f < 40; f++) {
      const dx = 2 * noise();
      const dy = 2 * noise();
      tracker.update([{ box: [100 + dx, 100 + dy, 140 + dx + 2 * noise(), 200 + dy + 2 * noise()], score: 0.9, label: 'person' }]);
      if (f >= 10) expect(tracker.moving, `frame ${f}`).toBe(false);
    }
    const stopping = walker(type, 4, 15);
    expect(stopping.moving).toBe(true);
    let frames = 0;
    while (stopping.moving && frames < 50) {
      stopping.update([person(100 + 4 * 14)]);
      frames++;
    }
    expect(stopping.moving).toBe(false);
    // The filters trust their velocity (small velocity noise), so it decays over about a second
    // (12 frames for bytetrack, 14 for sort): the detector runs that much longer after a stop.
    expect(frames).toBeGreaterThan(1);
    expect(frames).toBeLessThanOrEqual(20);
  });

  it('follows the model on predicted frames: a walker carried by predict() still moves', () => {
    const tracker = walker(type, 3, 10);
    for (let f = 0; f < 5; f++) tracker.predict();
    expect(tracker.moving).toBe(true);
  });

  it('is false after clear()', () => {
    const tracker = walker(type, 3, 10);
    tracker.clear();
    expect(tracker.moving).toBe(false);
  });
});

describe('anyPending(): tracks the next detected frame may confirm (per-track classification wants its pixels)', () => {
  const any = (tracker: Tracker): boolean => tracker.anyPending(() => true);

  it('bytetrack: a detection under new_track_score starts nothing; one above is pending until confirmed; the test sees label and box', () => {
    const tracker = createTracker(config({ type: 'bytetrack' }));
    tracker.update([person(100, 100, 0.5)]);
    expect(any(tracker)).toBe(false);
    tracker.update([person(300, 100, 0.9)]);
    const seen: [string, Box][] = [];
    expect(tracker.anyPending((label, box) => (seen.push([label, box]), false))).toBe(false);
    expect(seen).toEqual([['person', [300, 100, 340, 200]]]);
    expect(any(tracker)).toBe(true);
    tracker.update([person(302, 100, 0.9)]);
    expect(any(tracker)).toBe(false);
  });

  it('sort: a new track is pending until a streak of min_hits matches after its first detection reports it', () => {
    const tracker = createTracker(config({ type: 'sort', sort: { min_hits: 3 } }));
    // sort.py reports every track in the first min_hits frames: start past them.
    for (let f = 0; f < 3; f++) tracker.update([]);
    for (let f = 0; f < 3; f++) {
      tracker.update([person(100 + 2 * f)]);
      expect(any(tracker), `after detection ${f + 1}`).toBe(true);
    }
    expect(tracker.update([person(106)])).toHaveLength(1);
    expect(any(tracker)).toBe(false);
  });
});

it('bytetrack: a lost walker does not count as moving (out of sight; its return shows as motion in the frame)', () => {
  const tracker = walker('bytetrack', 3, 10, { lost_frames: 30 });
  expect(tracker.moving).toBe(true);
  tracker.update([]);
  expect(tracker.activeCount).toBe(1);
  expect(tracker.moving).toBe(false);
});

describe('moves(): max(0.5 px, 1 % of the height) a frame', () => {
  it.each([
    // vx, vy, vHeight, height → moves
    [1, 0, 0, 100, true], // 1 px ≥ 1 % of 100
    [0.6, 0.6, 0, 100, false], // 0.85 px < 1 px
    [0.8, 0.8, 0, 100, true], // 1.13 px
    [0, 0, -1.2, 100, true], // shrinking (walking away) counts too
    [0.45, 0, 0, 20, false], // small box: the 0.5 px floor, not 0.2 px
    [0.5, 0, 0, 20, true],
    [3, 0, 0, 400, false], // a large box needs 4 px
  ])('v (%d, %d), height velocity %d, height %d → %s', (vx, vy, vh, h, expected) => {
    expect(moves(vx, vy, vh, h)).toBe(expected);
  });
});

describe('bufferedIou(): the match after predicted frames', () => {
  it('pushes each side out by buffer × width or height (C-BIoU); 0 is plain IoU', () => {
    const a = [0, 0, 10, 10];
    const b = [10, 0, 20, 10]; // touching: IoU 0
    expect(bufferedIou(a, b, 0)).toBe(0);
    // 0.1: [-1, -1, 11, 11] and [9, -1, 21, 11] overlap 2 × 12 = 24 of 144 + 144 − 24.
    expect(bufferedIou(a, b, 0.1)).toBeCloseTo(24 / 264, 12);
    const c = [2, 0, 12, 10];
    expect(bufferedIou(a, c, 0)).toBe(iou(a, c));
    expect(bufferedIou(a, c, 0.2)).toBeGreaterThan(iou(a, c));
  });
});
