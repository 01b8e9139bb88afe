import { describe, expect, it } from 'vitest';
import type { CapturedFrame, DetectedObject, FrameResult, InferenceOutcome } from '../../agent/core/frame.js';
import type { InferencePool, ResultSink, SceneAnalyser, SceneTracker } from '../../agent/core/pipeline-ports.js';
import type { SceneUpdate, TrackedObject } from '../../agent/core/scene.js';
import { createLogger } from '../../agent/log.js';
import { InferenceDispatcher, type CameraLane } from '../../agent/pipeline/dispatcher.js';
import { LaneScene } from '../../agent/pipeline/lane-scene.js';
import { SinkFanout } from '../../agent/pipeline/sinks.js';
import { FrameQueue } from '../../agent/queue/frame-queue.js';
import { SceneAnalytics } from '../../agent/analytics/scene-analytics.js';
import { trackerSchema } from '../../agent/config/tracking-schema.js';
import { createTracker } from '../../agent/tracking/tracker.js';
import { EMPTY_SCENE } from '../helpers/scene-update.js';

const T0 = 1_700_000_000_000;
const silent = createLogger('silent');

const EMPTY = EMPTY_SCENE;

/** Confirms every detection at once, one track per label (enough to see ids travel); clear() ends them all. */
class LabelTracker implements SceneTracker {
  ended: number[] = [];
  private readonly ids = new Map<string, number>();
  private next = 1;

  get activeCount(): number {
    return this.ids.size;
  }

  /** Every detection is confirmed at once: nothing waits. */
  anyPending(): boolean {
    return false;
  }

  update(detections: readonly Pick<DetectedObject, 'box' | 'score' | 'label'>[]): TrackedObject[] {
    this.ended = [];
    return detections.flatMap((d, objectIndex) => {
      if (d.score < 0.5) return [];
      let trackId = this.ids.get(d.label);
      if (trackId === undefined) this.ids.set(d.label, (trackId = this.next++));
      return [{ trackId, label: d.label, score: d.score, box: d.box, objectIndex }];
    });
  }

  clear(): void {
    this.ended = [...this.ids.values()];
    this.ids.clear();
  }

  readonly moving = false;

  predict(): TrackedObject[] {
    this.ended = [];
    return [];
  }
}

/** Records what it was given, in order. */
class RecordingAnalyser implements SceneAnalyser {
  readonly calls: string[] = [];

  update(frame: { at: number }, tracks: readonly TrackedObject[], _ended: readonly number[], tracksActive: number): SceneUpdate {
    this.calls.push(`update@${frame.at - T0}`);
    return { ...EMPTY, tracks, tracksActive };
  }

  end(at: number, ended: readonly number[]): SceneUpdate {
    this.calls.push(`end@${at - T0}:${ended.join(',')}`);
    return { ...EMPTY, tracks: [], tracksActive: 0, events: ended.map((id) => ({ type: 'end', track_id: id, label: '', first_seen: 0, last_seen: at, best: { score: 0, box: [0, 0, 0, 0] }, zones: [], crossings: [] })) };
  }
}

/** Inference whose frames finish when the test says, in any order. */
class ManualPool implements InferencePool {
  readonly pending: { frame: CapturedFrame; resolve: (o: InferenceOutcome) => void }[] = [];

  hasRoom(): boolean {
    return this.pending.length < 8;
  }

  infer(frame: CapturedFrame): Promise<InferenceOutcome> {
    return new Promise((resolve) => this.pending.push({ frame, resolve }));
  }

  finish(seq: number, objects: DetectedObject[]): void {
    const job = this.pending.find((p) => p.frame.meta.seq === seq)!;
    job.resolve({ frame: job.frame, objects, timings: { detectSeconds: 0.01, batchFrames: 1, wide: false, classifySeconds: 0, classifiedObjects: 0 } });
  }
}

class RecordingSink implements ResultSink {
  readonly name = 'recording';
  readonly log: string[] = [];
  readonly results: FrameResult[] = [];

  handle(result: FrameResult): void {
    this.results.push(result);
    this.log.push(`frame ${result.frame.meta.seq}`);
  }

  handleScene(camera: string, update: SceneUpdate): void {
    this.log.push(`scene ${camera} active=${update.tracksActive} ended=${update.events.map((e) => e.track_id).join(',')}`);
  }
}

const person = (score = 0.9): DetectedObject => ({ label: 'person', score, box: [10, 10, 50, 90], class: null });
const car: DetectedObject = { label: 'car', score: 0.8, box: [100, 50, 200, 120], class: null };

function setup(withScene = true) {
  const pool = new ManualPool();
  const sink = new RecordingSink();
  const analyser = new RecordingAnalyser();
  const dispatcher = new InferenceDispatcher(pool, new SinkFanout([sink], silent), silent);
  const lane: CameraLane & { queue: FrameQueue<CapturedFrame> } = {
    source: { name: 'plaza', grantCredit: () => {}, returnPixels: () => {} },
    queue: new FrameQueue<CapturedFrame>(8, () => {}),
    onDemand: false,
    frameFailed: () => {},
    ...(withScene ? { scene: new LaneScene(new LabelTracker(), analyser) } : {}),
  };
  dispatcher.addLane(lane);
  dispatcher.start();
  const capture = (seq: number, videoIndex = 0): void => {
    lane.queue.push({ meta: { camera: 'plaza', seq, capturedAt: T0 + seq * 100, videoIndex, width: 640, height: 480 }, data: new ArrayBuffer(0), tensor: new ArrayBuffer(0) });
    dispatcher.pump();
  };
  return { pool, sink, analyser, dispatcher, lane, capture };
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe('the lane tracking step (tracker and zone/line analytics before the fan-out)', () => {
  it('gives each detection its track id (null without a confirmed track) and each result its scene, in capture order', async () => {
    const { pool, sink, capture } = setup();
    capture(0);
    capture(1);
    // Frame 1 finishes first; it is still published (and tracked) after frame 0.
    pool.finish(1, [person(), car]);
    await settle();
    expect(sink.log).toEqual([]);
    pool.finish(0, [person(0.3), person()]);
    await settle();
    expect(sink.log).toEqual(['frame 0', 'scene plaza active=1 ended=', 'frame 1', 'scene plaza active=2 ended=']);
    const [first, second] = sink.results;
    expect(first!.objects.map((o) => o.trackId)).toEqual([null, 1]);
    expect(second!.objects.map((o) => o.trackId)).toEqual([1, 2]);
    expect(second!.scene!.tracks.map((t) => [t.trackId, t.objectIndex])).toEqual([
      [1, 0],
      [2, 1],
    ]);
    // What inference returned is not changed in place.
    expect(second!.objects[0]).toMatchObject({ label: 'person', score: 0.9, box: [10, 10, 50, 90] });
  });

  it('ends the tracks on a disconnect only after the frames still in flight were tracked and published', async () => {
    const { pool, sink, analyser, dispatcher, lane, capture } = setup();
    capture(0);
    capture(1);
    pool.finish(0, [person()]);
    await settle();
    // The camera goes away with frame 1 still in inference.
    dispatcher.endScene(lane);
    await settle();
    expect(sink.log).toEqual(['frame 0', 'scene plaza active=1 ended=']);
    pool.finish(1, [person(), car]);
    await settle();
    expect(sink.log.slice(2)).toEqual(['frame 1', 'scene plaza active=2 ended=', 'scene plaza active=0 ended=1,2']);
    // Visits close at the last frame's capture time, not at the disconnect's.
    expect(analyser.calls).toEqual(['update@0', 'update@100', 'end@100:1,2']);
    // A second disconnect (stopped after disconnected) has nothing left to end.
    dispatcher.endScene(lane);
    await settle();
    expect(sink.log).toHaveLength(5);
    // After the reconnect ids keep counting.
    capture(2, 1);
    pool.finish(2, [person()]);
    await settle();
    expect(sink.results.at(-1)!.objects[0]!.trackId).toBe(3);
  });

  it('ends every track before the first frame of a new video (loop, next file), so none spans the cut', async () => {
    const { pool, sink, analyser, capture } = setup();
    capture(0, 0);
    capture(1, 1);
    pool.finish(0, [person()]);
    pool.finish(1, [person()]);
    await settle();
    expect(sink.log).toEqual(['frame 0', 'scene plaza active=1 ended=', 'scene plaza active=0 ended=1', 'frame 1', 'scene plaza active=1 ended=']);
    expect(analyser.calls).toEqual(['update@0', 'end@0:1', 'update@100']);
    expect(sink.results[1]!.objects[0]!.trackId).toBe(2);
  });

  it('passes results unchanged without tracking, and a failing tracker costs the frame its scene, never the lane', async () => {
    const plain = setup(false);
    plain.capture(0);
    plain.pool.finish(0, [person()]);
    await settle();
    expect(plain.sink.results[0]!.objects[0]!.trackId).toBeUndefined();
    expect(plain.sink.results[0]!.scene).toBeUndefined();
    expect(plain.sink.log).toEqual(['frame 0']);

    const { pool, sink, lane, capture } = setup();
    const scene = lane.scene!;
    let fail = true;
    const track = scene.track.bind(scene);
    scene.track = (result) => {
      if (fail) throw new Error('boom');
      return track(result);
    };
    capture(0);
    capture(1);
    pool.finish(0, [person()]);
    await settle();
    fail = false;
    pool.finish(1, [person()]);
    await settle();
    expect(sink.log).toEqual(['frame 0', 'frame 1', 'scene plaza active=1 ended=']);
  });
});

describe('the lane tracking step with the real tracker and analytics', () => {
  it('follows a person walking down across a line and into a zone under one id, and closes the visit at the last frame on a disconnect', () => {
    const scene = new LaneScene(
      createTracker(trackerSchema.parse({})),
      new SceneAnalytics({
        zones: [{ name: 'lower', polygon: [[0, 0.5], [1, 0.5], [1, 1], [0, 1]], labels: [], inertia: 3 }],
        lines: [{ name: 'middle', points: [[0, 0.4], [1, 0.4]], directions: ['in', 'out'], labels: [], hysteresis: 0.02 }],
        anchor: 'bottom_center',
      }),
    );
    const crossings: string[] = [];
    const entries: string[] = [];
    const ids = new Set<number | null | undefined>();
    let seq = 0;
    // 1000 × 1000 frame, 10 fps: the box's bottom moves from y = 200 to 800, 10 px a frame.
    for (let bottom = 200; bottom <= 800; bottom += 10, seq++) {
      const result: FrameResult = {
        frame: { meta: { camera: 'plaza', seq, capturedAt: T0 + seq * 100, videoIndex: 0, width: 1000, height: 1000 }, data: new ArrayBuffer(0) },
        objects: [{ label: 'person', score: 0.9, box: [480, bottom - 150, 540, bottom], class: null }],
        timings: { detectSeconds: 0.01, batchFrames: 1, wide: false, classifySeconds: 0, classifiedObjects: 0 },
        dequeuedAt: 0,
        completedAt: 0,
      };
      const { result: tracked } = scene.track(result);
      if (seq >= 2) ids.add(tracked.objects[0]!.trackId);
      crossings.push(...tracked.scene!.lineCrossings.map((c) => `${c.line} ${c.direction} ${c.trackId}`));
      entries.push(...tracked.scene!.zoneEntries.map((e) => `${e.zone} ${e.trackId}`));
    }
    expect([...ids]).toEqual([1]);
    expect(crossings).toHaveLength(1);
    expect(crossings[0]).toMatch(/^middle (in|out) 1$/);
    expect(entries).toEqual(['lower 1']);
    const end = scene.end()!;
    // Entered at the first frame with the bottom past the zone's edge at 500 (seq 31: 510), last seen at seq 60: 2.9 s inside, no more.
    expect(end.zoneExits).toEqual([{ zone: 'lower', label: 'person', trackId: 1, at: T0 + 6000, dwellSeconds: 2.9 }]);
    expect(end.events.map((e) => e.type)).toEqual(['end']);
    expect(scene.end()).toBeUndefined();
  });

  it('tells motion gating when a track moves and while one waits for confirmation (ByteTrack: tentative until its second detection)', () => {
    const told: [boolean, boolean][] = [];
    const scene = new LaneScene(
      createTracker(trackerSchema.parse({})),
      new SceneAnalytics({ zones: [], lines: [], anchor: 'bottom_center' }),
      (moving, confirming) => told.push([moving, confirming]),
    );
    const frame = (seq: number, objects: DetectedObject[]): FrameResult => ({
      frame: { meta: { camera: 'plaza', seq, capturedAt: T0 + seq * 100, videoIndex: 0, width: 1000, height: 1000 }, data: new ArrayBuffer(0) },
      objects,
      timings: { detectSeconds: 0.01, batchFrames: 1, wide: false, classifySeconds: 0, classifiedObjects: 0 },
      dequeuedAt: 0,
      completedAt: 0,
    });
    // A parked car whose detections jitter by a pixel.
    const parked = (seq: number): DetectedObject[] => [{ label: 'car', score: 0.9, box: [100, 100, 300 + (seq % 2), 200], class: null }];
    scene.track(frame(0, []));
    expect(told).toEqual([]);
    // After a quiet stretch the parked car appears: tentative (moving, confirming); confirmed by the next detection.
    for (let seq = 1; seq <= 10; seq++) scene.track(frame(seq, []));
    scene.track(frame(11, parked(11)));
    expect(told).toEqual([[true, true]]);
    scene.track(frame(12, parked(12)));
    expect(told.at(-1)?.[1]).toBe(false);
    for (let seq = 13; seq < 30; seq++) scene.track(frame(seq, parked(seq)));
    expect(told.at(-1)).toEqual([false, false]);
  });
});
