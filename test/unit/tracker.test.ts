import { describe, expect, it } from 'vitest';
import { trackerSchema, type TrackerConfig } from '../../agent/config/tracking-schema.js';
import type { Box } from '../../agent/core/letterbox.js';
import { createTracker, type Detection } from '../../agent/tracking/tracker.js';

const config = (overrides: Record<string, unknown> = {}): TrackerConfig => trackerSchema.parse(overrides);
const person = (x: number, y = 100, score = 0.9, label = 'person'): Detection => ({ box: [x, y, x + 40, y + 100] as Box, score, label });
const ids = (tracks: readonly { trackId: number }[]) => tracks.map((t) => t.trackId);

describe('ByteTrack mode: life cycle', () => {
  it('a track is tentative on its first frame, confirmed with id 1 on its second, and its box is the filtered one', () => {
    const tracker = createTracker(config());
    expect(tracker.update([])).toEqual([]); // frame 1: nothing, so frame 2's object is not confirmed at once
    expect(tracker.update([person(100)])).toEqual([]);
    expect(tracker.activeCount).toBe(0);
    const [track] = tracker.update([person(104)]);
    expect(track).toMatchObject({ trackId: 1, label: 'person', score: 0.9, objectIndex: 0 });
    // The Kalman estimate lies between the first box (x1 100) and the second (104).
    expect(track!.box[0]).toBeGreaterThan(100);
    expect(track!.box[0]).toBeLessThan(104);
    expect(tracker.activeCount).toBe(1);
  });

  it('what is there in the first frame is confirmed at once', () => {
    const tracker = createTracker(config());
    expect(ids(tracker.update([person(100), person(300)]))).toEqual([1, 2]);
  });

  it('a lost track is kept for lost_frames, resumes under its id, and ends after that; ids are never reused', () => {
    const tracker = createTracker(config({ lost_frames: 3 }));
    expect(ids(tracker.update([person(100)]))).toEqual([1]);
    for (let i = 0; i < 3; i++) {
      expect(tracker.update([])).toEqual([]);
      expect(tracker.ended).toEqual([]);
      expect(tracker.activeCount).toBe(1);
    }
    expect(ids(tracker.update([person(100)]))).toEqual([1]); // back within the buffer
    for (let i = 0; i < 3; i++) tracker.update([]);
    expect(tracker.ended).toEqual([]);
    tracker.update([]);
    expect(tracker.ended).toEqual([1]);
    expect(tracker.activeCount).toBe(0);
    tracker.update([]);
    expect(tracker.ended).toEqual([]); // reported once
    tracker.update([person(100)]);
    expect(ids(tracker.update([person(100)]))).toEqual([2]);
  });

  it('a tentative track that misses a frame is dropped without an id or an end', () => {
    const tracker = createTracker(config());
    tracker.update([]);
    tracker.update([person(100)]);
    tracker.update([]);
    expect(tracker.ended).toEqual([]);
    tracker.update([person(100)]);
    expect(ids(tracker.update([person(100)]))).toEqual([1]);
  });

  it('clear() ends every confirmed track and ids keep counting', () => {
    const tracker = createTracker(config());
    tracker.update([person(100), person(300)]);
    tracker.clear();
    expect([...tracker.ended].sort()).toEqual([1, 2]);
    expect(tracker.activeCount).toBe(0);
    expect(ids(tracker.update([person(100)]))).toEqual([3]);
  });
});

describe('ByteTrack mode: association', () => {
  it('class-aware: a car on the box of a person track never continues it', () => {
    const tracker = createTracker(config());
    expect(ids(tracker.update([person(100)]))).toEqual([1]);
    expect(tracker.update([person(100, 100, 0.9, 'car')])).toEqual([]); // a tentative car; the person is lost
    const [car] = tracker.update([person(100, 100, 0.9, 'car')]);
    expect(car).toMatchObject({ trackId: 2, label: 'car' });
    expect(ids(tracker.update([person(100)]))).toEqual([1]); // the person resumes
  });

  it('a low-score detection keeps a tracked object alive; below low_score it does not', () => {
    const tracker = createTracker(config({ low_score: 0.2 }));
    tracker.update([person(100)]);
    for (let x = 105; x <= 130; x += 5) {
      const [t] = tracker.update([person(x, 100, 0.35)]); // below high_score: the second stage
      expect(t).toMatchObject({ trackId: 1, score: 0.35 });
    }
    expect(tracker.update([person(135, 100, 0.15)])).toEqual([]);
    expect(tracker.activeCount).toBe(1); // lost, not ended
  });

  it('a low-score detection never starts a track, a high one below new_track_score neither', () => {
    const tracker = createTracker(config());
    tracker.update([]);
    for (let i = 0; i < 3; i++) expect(tracker.update([person(100, 100, 0.4), person(300, 100, 0.55)])).toEqual([]);
  });

  it('two people walking past each other keep their ids (optimal assignment on predicted boxes)', () => {
    const tracker = createTracker(config());
    const seen: number[][] = [];
    for (let f = 0; f < 40; f++) {
      const a = person(100 + 8 * f, 100);
      const b = person(420 - 8 * f, 110);
      const out = tracker.update(f % 2 ? [b, a] : [a, b]);
      const byIndex = new Map(out.map((t) => [t.objectIndex, t.trackId]));
      seen.push(f % 2 ? [byIndex.get(1)!, byIndex.get(0)!] : [byIndex.get(0)!, byIndex.get(1)!]);
    }
    for (const pair of seen) expect(pair).toEqual([1, 2]);
  });
});

describe('SORT mode', () => {
  const sort = () => createTracker(config({ type: 'sort' }));

  it('reports every track in the first min_hits frames, later ones only after min_hits matches in a row', () => {
    const tracker = sort();
    expect(ids(tracker.update([person(100)]))).toEqual([1]); // frame 1 ≤ min_hits
    tracker.update([person(102)]);
    tracker.update([person(104)]);
    // Frame 4: a second person appears; its streak is 0, then 1, 2, 3.
    expect(ids(tracker.update([person(106), person(400)]))).toEqual([1]);
    expect(ids(tracker.update([person(108), person(400)]))).toEqual([1]);
    expect(ids(tracker.update([person(110), person(400)]))).toEqual([1]);
    expect(ids(tracker.update([person(112), person(400)]))).toEqual([1, 2]);
  });

  it('max_age 1: one missed frame resets the streak but keeps the track; two end it', () => {
    const tracker = sort();
    for (let f = 0; f < 5; f++) tracker.update([person(100)]);
    tracker.update([]);
    expect(tracker.ended).toEqual([]);
    // Matched again but the streak restarts: not reported until 3 more matches.
    expect(tracker.update([person(100)])).toEqual([]);
    tracker.update([person(100)]);
    expect(ids(tracker.update([person(100)]))).toEqual([1]);
    tracker.update([]);
    tracker.update([]);
    expect(tracker.ended).toEqual([1]);
  });

  it('is class-aware and clear() ends its tracks', () => {
    const tracker = sort();
    tracker.update([person(100)]);
    const out = tracker.update([person(100, 100, 0.9, 'car')]);
    expect(out).toEqual([expect.objectContaining({ trackId: 2, label: 'car' })]); // frame 2 ≤ min_hits: reported at once
    tracker.clear();
    expect([...tracker.ended].sort()).toEqual([1, 2]);
    expect(ids(tracker.update([person(100)]))).toEqual([3]);
  });
});

describe('degenerate boxes', () => {
  it.each(['bytetrack', 'sort'] as const)('%s: a zero-height box starts no track and leaves the others as they were', (type) => {
    const tracker = createTracker(config({ type }));
    const flat: Detection = { box: [10, 50, 60, 50] as Box, score: 0.9, label: 'person' };
    for (let f = 0; f < 5; f++) {
      const out = tracker.update([flat, person(200 + 2 * f)]);
      expect(out.map((t) => [t.trackId, t.objectIndex])).toEqual([[1, 1]]);
      for (const t of out) expect(t.box.every(Number.isFinite)).toBe(true);
    }
  });
});
