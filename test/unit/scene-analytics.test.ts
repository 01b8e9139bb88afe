import { describe, expect, it } from 'vitest';
import { SceneAnalytics, SUMMARY_LIMIT } from '../../agent/analytics/scene-analytics.js';
import type { LineConfig, ZoneConfig } from '../../agent/config/zones-schema.js';
import type { Box } from '../../agent/core/letterbox.js';
import type { SceneUpdate, TrackedObject } from '../../agent/core/scene.js';

const W = 640;
const H = 480;
const T0 = 1_700_000_000_000;
const at = (frame: number): number => T0 + frame * 100;

/** The lower half of the middle: x 160-480, y 240-480 px. */
const counter: ZoneConfig = {
  name: 'counter',
  polygon: [
    [0.25, 0.5],
    [0.75, 0.5],
    [0.75, 1],
    [0.25, 1],
  ],
  labels: [],
  inertia: 3,
};
/** Left to right at y 120 px across x 64-576: upwards is `in`. */
const door: LineConfig = {
  name: 'door',
  points: [
    [0.1, 0.25],
    [0.9, 0.25],
  ],
  directions: ['in', 'out'],
  labels: [],
  hysteresis: 0.02,
};

/** A person whose box's bottom centre is (x, y). */
const person = (trackId: number, x: number, y: number, score = 0.8, label = 'person'): TrackedObject => ({
  trackId,
  label,
  score,
  box: [x - 20, y - 100, x + 20, y] as Box,
  objectIndex: 0,
});

function analytics(zones: ZoneConfig[] = [counter], lines: LineConfig[] = [door]): SceneAnalytics {
  return new SceneAnalytics({ zones, lines, anchor: 'bottom_center' });
}

describe('SceneAnalytics: zones', () => {
  it('enters after the inertia, dates entry and exit at the first frame of each run, and counts dwell between them', () => {
    const scene = analytics();
    const updates: SceneUpdate[] = [];
    // Frames 0-1 outside (y 200), 2-21 inside (y 300), 22-29 outside again.
    for (let f = 0; f < 30; f++) updates.push(scene.update({ width: W, height: H, at: at(f) }, [person(1, 320, f >= 2 && f < 22 ? 300 : 200)], [], 1));

    expect(updates[0]!.confirmed).toEqual([{ trackId: 1, label: 'person' }]);
    expect(updates.flatMap((u) => u.zoneEntries)).toEqual([{ zone: 'counter', label: 'person', trackId: 1, at: at(2) }]);
    expect(updates[4]!.zoneEntries).toHaveLength(1); // confirmed on the 3rd frame inside
    expect(updates.flatMap((u) => u.zoneExits)).toEqual([{ zone: 'counter', label: 'person', trackId: 1, at: at(22), dwellSeconds: 2 }]);
    expect(updates[24]!.zoneExits).toHaveLength(1);

    expect(updates[3]!.counts.zones.counter).toEqual({});
    expect(updates[4]!.counts.zones.counter).toEqual({ person: 1 });
    expect(updates[23]!.counts.zones.counter).toEqual({ person: 1 });
    expect(updates[24]!.counts.zones.counter).toEqual({ person: 0 });
    expect(updates.map((u, f) => (u.countsChanged ? f : -1)).filter((f) => f >= 0)).toEqual([0, 4, 24]);
    // An unchanged frame hands out the same frozen snapshot.
    expect(updates[10]!.counts).toBe(updates[5]!.counts);
    expect(Object.isFrozen(updates[10]!.counts.zones.counter)).toBe(true);
  });

  it('emits new on first sight and update only when a zone is entered or left, never per frame', () => {
    const scene = analytics();
    const events = [];
    for (let f = 0; f < 30; f++) events.push(...scene.update({ width: W, height: H, at: at(f) }, [person(1, 320, f >= 2 && f < 22 ? 300 : 200)], [], 1).events);
    expect(events.map((e) => [e.type, e.last_seen])).toEqual([
      ['new', at(0)],
      ['update', at(4)],
      ['update', at(24)],
    ]);
    expect(events[1]!.zones).toEqual([{ zone: 'counter', entered_at: at(2), exited_at: null, dwell_seconds: 0.2 }]);
    expect(events[2]!.zones).toEqual([{ zone: 'counter', entered_at: at(2), exited_at: at(22), dwell_seconds: 2 }]);
  });

  it('ends a track inside a zone at its last sighting, with its whole summary', () => {
    const scene = analytics();
    scene.update({ width: W, height: H, at: at(0) }, [person(7, 320, 300, 0.6)], [], 1);
    scene.update({ width: W, height: H, at: at(1) }, [person(7, 320, 310, 0.9)], [], 1);
    scene.update({ width: W, height: H, at: at(2) }, [person(7, 320, 320, 0.7)], [], 1);
    // Lost for 3 s (not matched, still alive): no change, still counted inside.
    const lost = scene.update({ width: W, height: H, at: at(20) }, [], [], 1);
    expect(lost.counts.zones.counter).toEqual({ person: 1 });
    expect(lost.events).toEqual([]);
    const ended = scene.update({ width: W, height: H, at: at(32) }, [], [7], 0);
    expect(ended.zoneExits).toEqual([{ zone: 'counter', label: 'person', trackId: 7, at: at(2), dwellSeconds: 0.2 }]);
    expect(ended.events).toEqual([
      {
        type: 'end',
        track_id: 7,
        label: 'person',
        first_seen: at(0),
        last_seen: at(2),
        best: { score: 0.9, box: [300, 210, 340, 310] },
        zones: [{ zone: 'counter', entered_at: at(0), exited_at: at(2), dwell_seconds: 0.2 }],
        crossings: [],
      },
    ]);
    expect(ended.counts.zones.counter).toEqual({ person: 0 });
    expect(ended.countsChanged).toBe(true);
  });

  it('survives a change of resolution: zones are fractions of the frame', () => {
    const scene = analytics();
    for (let f = 0; f < 4; f++) scene.update({ width: W, height: H, at: at(f) }, [person(1, 320, 300)], [], 1);
    // The same place in a 1280x960 frame: still inside, no exit.
    const updates = [4, 5, 6, 7].map((f) => scene.update({ width: 2 * W, height: 2 * H, at: at(f) }, [person(1, 640, 600)], [], 1));
    expect(updates.flatMap((u) => u.zoneExits)).toEqual([]);
    expect(updates.at(-1)!.counts.zones.counter).toEqual({ person: 1 });
  });

  it('counts only the labels in the filter, which show at 0 from the start', () => {
    const scene = analytics([{ ...counter, labels: ['car'] }], []);
    let update: SceneUpdate | undefined;
    for (let f = 0; f < 5; f++) update = scene.update({ width: W, height: H, at: at(f) }, [person(1, 320, 300), person(2, 400, 300, 0.8, 'car')], [], 2);
    expect(update!.counts.zones.counter).toEqual({ car: 1 });
    expect(scene.update({ width: W, height: H, at: at(5) }, [], [], 2).counts.zones).toEqual({ counter: { car: 1 } });
  });
});

describe('SceneAnalytics: lines', () => {
  it('counts a crossing upwards as `in` once, per label, in counts and the track summary', () => {
    const scene = analytics([], [{ ...door, labels: ['person'] }]);
    const path = [180, 160, 140, 125, 118, 124, 116, 100, 80];
    const updates = path.map((y, f) => scene.update({ width: W, height: H, at: at(f) }, [person(3, 320, y), person(4, 200, y, 0.8, 'car')], [], 2));
    const crossings = updates.flatMap((u) => u.lineCrossings);
    expect(crossings).toHaveLength(1);
    expect(crossings[0]).toMatchObject({ line: 'door', direction: 'in', label: 'person', trackId: 3 });
    expect(updates.at(-1)!.counts.lines).toEqual({ door: { in: { person: 1 }, out: { person: 0 } } });
    const update = updates.flatMap((u) => u.events).find((e) => e.type === 'update');
    expect(update?.crossings).toEqual([{ line: 'door', direction: 'in', at: crossings[0]!.at }]);
  });

  it('keeps crossings cumulative across tracks and directions', () => {
    const scene = analytics([], [door]);
    let last: SceneUpdate | undefined;
    const walk = (id: number, ys: number[], from: number): void => {
      ys.forEach((y, i) => (last = scene.update({ width: W, height: H, at: at(from + i) }, [person(id, 320, y)], [], 1)));
      last = scene.update({ width: W, height: H, at: at(from + ys.length) }, [], [id], 0);
    };
    walk(1, [200, 150, 100, 50], 0);
    walk(2, [200, 150, 100, 50], 10);
    walk(3, [50, 100, 150, 200], 20);
    expect(last!.counts.lines).toEqual({ door: { in: { person: 2 }, out: { person: 1 } } });
  });
});

describe('SceneAnalytics: a long-lived track', () => {
  it(`keeps its last ${SUMMARY_LIMIT} crossings in its events, and counts every one`, () => {
    const scene = analytics([], [door]);
    let f = 0;
    for (let i = 0; i < 40; i++) for (const y of [200, 50]) scene.update({ width: W, height: H, at: at(f++) }, [person(1, 320, y)], [], 1);
    const end = scene.end(at(f), [1]);
    expect(end.counts.lines).toEqual({ door: { in: { person: 40 }, out: { person: 39 } } });
    const crossings = end.events[0]!.crossings;
    expect(crossings).toHaveLength(SUMMARY_LIMIT);
    expect(crossings.at(-1)).toMatchObject({ direction: 'in' });
    expect(crossings.at(-1)!.at).toBeGreaterThan(at(f - 2));
  });
});

describe('SceneAnalytics: camera disconnect', () => {
  it('closes open visits at the last sighting, not at the disconnect: no phantom dwell', () => {
    const scene = analytics();
    for (let f = 0; f < 10; f++) scene.update({ width: W, height: H, at: at(f) }, [person(1, 320, 300), person(2, 200, 200)], [], 2);
    // Noticed five minutes later (a stall timeout, a long outage).
    const update = scene.end(at(9) + 300_000, [1, 2]);
    expect(update.zoneExits).toEqual([{ zone: 'counter', label: 'person', trackId: 1, at: at(9), dwellSeconds: 0.9 }]);
    expect(update.events.map((e) => [e.type, e.track_id, e.last_seen])).toEqual([
      ['end', 1, at(9)],
      ['end', 2, at(9)],
    ]);
    expect(update.counts.zones.counter).toEqual({ person: 0 });
    expect(update.tracksActive).toBe(0);
    // After the reconnect, new ids start from nothing; the old ones are gone.
    const after = scene.update({ width: W, height: H, at: at(3100) }, [person(3, 320, 300)], [], 1);
    expect(after.confirmed).toEqual([{ trackId: 3, label: 'person' }]);
    expect(scene.end(at(3101), []).events.map((e) => e.track_id)).toEqual([3]);
  });

  it('ends tracks the tracker did not name too, and ignores ids it never saw', () => {
    const scene = analytics();
    scene.update({ width: W, height: H, at: at(0) }, [person(5, 320, 300)], [], 1);
    expect(scene.update({ width: W, height: H, at: at(1) }, [], [99], 1).events).toEqual([]);
    expect(scene.end(at(2), []).events.map((e) => e.track_id)).toEqual([5]);
  });
});

describe("SceneAnalytics: a track's class (issue 16, classifier.mode per_track)", () => {
  const frame = (f: number) => ({ width: W, height: H, at: at(f) });
  const classified = (trackId: number, y: number, cls: TrackedObject['class']): TrackedObject => ({ ...person(trackId, 320, y), class: cls });

  it("events carry the track's latest class: null before its first classification, kept on frames that bring none", () => {
    const scene = analytics();
    const events = [];
    events.push(...scene.update(frame(0), [classified(1, 200, null)], [], 1).events);
    events.push(...scene.update(frame(1), [classified(1, 200, { label: 'tabby', score: 0.4 })], [], 1).events);
    // Frames 2-5 enter the zone (inertia 3: the update event at frame 4); the class stays the last one given.
    for (let f = 2; f <= 5; f++) events.push(...scene.update(frame(f), [classified(1, 300, f === 3 ? { label: 'jeep', score: 0.7 } : null)], [], 1).events);
    events.push(...scene.update(frame(6), [], [1], 0).events);
    expect(events.map((e) => [e.type, e.class])).toEqual([
      ['new', null],
      ['update', { label: 'jeep', score: 0.7 }],
      ['end', { label: 'jeep', score: 0.7 }],
    ]);
  });

  it('leaves class out of the events of tracks that carry none (per_frame, or no classifier): payloads as before', () => {
    const scene = analytics();
    const events = [...scene.update(frame(0), [person(1, 320, 200)], [], 1).events, ...scene.update(frame(1), [], [1], 0).events];
    expect(events.map((e) => e.type)).toEqual(['new', 'end']);
    for (const event of events) expect('class' in event).toBe(false);
  });
});
