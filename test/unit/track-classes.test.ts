import { describe, expect, it } from 'vitest';
import type { Box } from '../../agent/core/letterbox.js';
import type { TrackedObject } from '../../agent/core/scene.js';
import { TrackClassPlanner, type TrackClassPlannerOptions } from '../../agent/pipeline/track-classes.js';

const T0 = 1_700_000_000_000;
const DEFAULTS: TrackClassPlannerOptions = { apply_to: [], min_box_pixels: 16, max_objects_per_frame: 32, reclassify_seconds: 5, reclassify_area_ratio: 1.5 };
const CAT = { label: 'tabby', score: 0.9 };

/** A 100 × 200 box at x, y unless given. */
function track(trackId: number, options: { label?: string; score?: number; box?: Box; objectIndex?: number } = {}): TrackedObject {
  const box = options.box ?? [10 * trackId, 0, 10 * trackId + 100, 200];
  return { trackId, label: options.label ?? 'person', score: options.score ?? 0.8, box, objectIndex: options.objectIndex ?? trackId - 1 };
}

/** The detections the tracks index: their own boxes, in trackId order. */
const objectsOf = (tracks: readonly TrackedObject[]): { box: Box }[] => tracks.map((t) => ({ box: t.box }));
const ids = (plan: readonly { trackId: number }[]): number[] => plan.map((p) => p.trackId);

describe('TrackClassPlanner', () => {
  it('classifies a confirmed track once, then not again while its box and age stay within the limits', () => {
    const planner = new TrackClassPlanner(DEFAULTS);
    const tracks = [track(1), track(2)];
    const first = planner.plan(tracks, objectsOf(tracks), T0);
    expect(ids(first)).toEqual([1, 2]);
    for (const { trackId, box } of first) planner.record(trackId, CAT, box, T0);
    for (let f = 1; f <= 40; f++) expect(planner.plan(tracks, objectsOf(tracks), T0 + f * 100)).toEqual([]);
    expect(planner.classOf(1)).toEqual(CAT);
    expect(planner.classOf(3)).toBeNull();
  });

  it('crops the detection box of this frame, and measures the change of size on the Kalman box', () => {
    const planner = new TrackClassPlanner(DEFAULTS);
    const t = track(1, { box: [0, 0, 100, 200], objectIndex: 1 });
    const detections = [{ box: [500, 500, 520, 540] as Box }, { box: [2, 3, 98, 201] as Box }];
    expect(planner.plan([t], detections, T0)).toEqual([{ trackId: 1, box: [2, 3, 98, 201], trackBox: [0, 0, 100, 200] }]);
    planner.record(1, CAT, [0, 0, 100, 200], T0);
    // A detection half its size for a frame (half hidden) while the track's box holds: no new classification.
    expect(planner.plan([t], [{ box: [0, 0, 50, 200] }, { box: [0, 0, 50, 200] }], T0 + 100)).toEqual([]);
    // The track's box itself grew 1.6 ×: due, cropping the detection.
    const grown = track(1, { box: [0, 0, 160, 200], objectIndex: 0 });
    expect(planner.plan([grown], [{ box: [1, 1, 150, 190] }], T0 + 200)).toEqual([{ trackId: 1, box: [1, 1, 150, 190], trackBox: [0, 0, 160, 200] }]);
  });

  it("classifies again when the track's box area grew or shrank by reclassify_area_ratio since the last classification", () => {
    const planner = new TrackClassPlanner(DEFAULTS);
    planner.record(1, CAT, [0, 0, 100, 100], T0); // area 10 000
    const at = (box: Box): number[] => ids(planner.plan([track(1, { box, objectIndex: 0 })], [{ box }], T0 + 100));
    expect(at([0, 0, 122, 122])).toEqual([]); // 14 884: 1.49 ×
    expect(at([0, 0, 123, 123])).toEqual([1]); // 15 129: 1.51 ×
    expect(at([0, 0, 82, 82])).toEqual([]); // 6 724: 1 / 1.49
    expect(at([0, 0, 81, 81])).toEqual([1]); // 6 561: 1 / 1.52
    // Compared with the last classification, not the last frame: a slow drift adds up.
    planner.record(1, CAT, [0, 0, 123, 123], T0 + 100);
    expect(at([0, 0, 123, 123])).toEqual([]);
    expect(at([0, 0, 110, 110])).toEqual([]); // 12 100: 1 / 1.25 of the last
    expect(at([0, 0, 100, 100])).toEqual([1]); // 10 000: 1 / 1.51 of the last
  });

  it('classifies again after reclassify_seconds, and never on time alone with 0', () => {
    const timed = new TrackClassPlanner(DEFAULTS);
    const never = new TrackClassPlanner({ ...DEFAULTS, reclassify_seconds: 0 });
    const tracks = [track(1)];
    for (const planner of [timed, never]) planner.record(1, CAT, tracks[0]!.box, T0);
    expect(ids(timed.plan(tracks, objectsOf(tracks), T0 + 5000))).toEqual([]);
    expect(ids(timed.plan(tracks, objectsOf(tracks), T0 + 5001))).toEqual([1]);
    expect(ids(never.plan(tracks, objectsOf(tracks), T0 + 3_600_000))).toEqual([]);
    // The clock restarts at each classification.
    timed.record(1, { label: 'tiger', score: 0.6 }, tracks[0]!.box, T0 + 5001);
    expect(timed.classOf(1)).toEqual({ label: 'tiger', score: 0.6 });
    expect(ids(timed.plan(tracks, objectsOf(tracks), T0 + 9000))).toEqual([]);
  });

  it('leaves out labels outside apply_to and boxes whose shorter side is below min_box_pixels', () => {
    const planner = new TrackClassPlanner({ ...DEFAULTS, apply_to: ['person', 'car'], min_box_pixels: 20 });
    const tracks = [
      track(1, { label: 'dog' }),
      track(2, { label: 'car', box: [0, 0, 200, 19] }),
      track(3, { label: 'car', box: [0, 0, 200, 20] }),
      track(4, { label: 'person', box: [0, 0, 19.5, 400] }),
      track(5),
    ];
    expect(ids(planner.plan(tracks, objectsOf(tracks), T0))).toEqual([3, 5]);
    // An empty apply_to classifies every label.
    expect(ids(new TrackClassPlanner(DEFAULTS).plan([track(1, { label: 'dog' })], objectsOf([track(1)]), T0))).toEqual([1]);
  });

  it('takes at most max_objects_per_frame a frame, never-classified first, then the highest score; the rest on later frames', () => {
    const planner = new TrackClassPlanner({ ...DEFAULTS, max_objects_per_frame: 2 });
    const tracks = [track(1, { score: 0.5 }), track(2, { score: 0.9 }), track(3, { score: 0.7 }), track(4, { score: 0.95 })];
    planner.record(4, CAT, [0, 0, 10, 10], T0 - 1000); // area 100: due again (far smaller than now), but already has a class
    const first = planner.plan(tracks, objectsOf(tracks), T0);
    expect(ids(first)).toEqual([2, 3]);
    for (const { trackId, box } of first) planner.record(trackId, CAT, box, T0);
    const second = planner.plan(tracks, objectsOf(tracks), T0 + 100);
    expect(ids(second)).toEqual([1, 4]);
    for (const { trackId, box } of second) planner.record(trackId, CAT, box, T0 + 100);
    expect(planner.plan(tracks, objectsOf(tracks), T0 + 200)).toEqual([]);
  });

  it('forgets ended tracks: their class goes, and the planner holds only live tracks', () => {
    const planner = new TrackClassPlanner(DEFAULTS);
    for (let id = 1; id <= 100; id++) planner.record(id, CAT, [0, 0, 50, 50], T0);
    planner.forget(Array.from({ length: 99 }, (_, i) => i + 1));
    expect(planner.size).toBe(1);
    expect(planner.classOf(5)).toBeNull();
    expect(planner.classOf(100)).toEqual(CAT);
  });

  it('a classification that failed (nothing recorded) is tried again on the next frame', () => {
    const planner = new TrackClassPlanner(DEFAULTS);
    const tracks = [track(1)];
    expect(ids(planner.plan(tracks, objectsOf(tracks), T0))).toEqual([1]);
    expect(ids(planner.plan(tracks, objectsOf(tracks), T0 + 100))).toEqual([1]);
  });
});
