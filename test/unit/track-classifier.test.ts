import { describe, expect, it } from 'vitest';
import { SceneAnalytics } from '../../agent/analytics/scene-analytics.js';
import { trackerSchema } from '../../agent/config/tracking-schema.js';
import type { CapturedFrame, DetectedObject, Frame, FrameResult, FrameSkip, InferenceOutcome } from '../../agent/core/frame.js';
import type { Box } from '../../agent/core/letterbox.js';
import type { ClassifyOutcome, InferencePool, ResultSink } from '../../agent/core/pipeline-ports.js';
import type { TrackEvent } from '../../agent/core/scene.js';
import { createLogger } from '../../agent/log.js';
import { InferenceDispatcher, type CameraLane } from '../../agent/pipeline/dispatcher.js';
import { LaneScene } from '../../agent/pipeline/lane-scene.js';
import { SinkFanout } from '../../agent/pipeline/sinks.js';
import { TrackClassPlanner, type TrackClassPlannerOptions } from '../../agent/pipeline/track-classes.js';
import { RETRY_AFTER_FAILURE_MS, TrackClassifier, type ClassifyJob } from '../../agent/pipeline/track-classifier.js';
import { FrameQueue } from '../../agent/queue/frame-queue.js';
import { createTracker } from '../../agent/tracking/tracker.js';

/**
 * Per-track classification (issue 16, classifier.mode per_track) in a
 * camera's LaneScene, with the real tracker and analytics and a classify job
 * the test answers: each track classified once, its class on every later
 * detection (detected or predicted) and on its events, the frame's timings
 * those of the job that ran.
 */

const T0 = 1_700_000_000_000;
const silent = createLogger('silent');
const OPTIONS: TrackClassPlannerOptions = { apply_to: [], min_box_pixels: 16, max_objects_per_frame: 32, reclassify_seconds: 0, reclassify_area_ratio: 1.5 };
const PIXELS = 1280 * 720 * 3;
const TIMINGS = { detectSeconds: 0.01, batchFrames: 1, wide: false, classifySeconds: 0, classifiedObjects: 0 };

/** A classify job that answers with `label <n>` per crop (n counting jobs) and new pixels; the first `failing` jobs fail. */
class FakeClassifier {
  readonly jobs: { seq: number; boxes: readonly Box[] }[] = [];
  failing = 0;

  readonly job: ClassifyJob = (frame: Frame, boxes: readonly Box[]): Promise<ClassifyOutcome> => {
    this.jobs.push({ seq: frame.meta.seq, boxes });
    if (this.jobs.length <= this.failing) return Promise.reject(new Error('classifier down'));
    const n = this.jobs.length;
    return Promise.resolve({ frame: { meta: frame.meta, data: new ArrayBuffer(7) }, classes: boxes.map(() => ({ label: `label ${n}`, score: 0.75 })), seconds: 0.002 * boxes.length });
  };
}

/** Two people walking right, 8 px a frame, 100 × 200 px boxes; `grow` widens the second from frame `growFrom`. */
function detections(f: number, grow = 0, growFrom = Number.POSITIVE_INFINITY): DetectedObject[] {
  const widen = f >= growFrom ? grow : 0;
  return [
    { label: 'person', score: 0.9, box: [100 + 8 * f, 100, 200 + 8 * f, 300], class: null },
    { label: 'person', score: 0.8, box: [600 + 8 * f, 100, 700 + 8 * f + widen, 300 + widen], class: null },
  ];
}

function result(seq: number, objects: DetectedObject[], skip?: FrameSkip): FrameResult {
  const meta = { camera: 'plaza', seq, capturedAt: T0 + seq * 100, videoIndex: 0, width: 1280, height: 720, ...(skip ? { skip } : {}) };
  return { frame: { meta, data: new ArrayBuffer(skip ? 0 : PIXELS) }, objects: skip ? [] : objects, timings: TIMINGS, dequeuedAt: 0, completedAt: 0 };
}

function lane(classifier: FakeClassifier, options = OPTIONS) {
  const failures: unknown[] = [];
  const scene = new LaneScene(
    createTracker(trackerSchema.parse({})),
    new SceneAnalytics({ zones: [], lines: [], anchor: 'bottom_center' }),
    () => {},
    new TrackClassifier(new TrackClassPlanner(options), classifier.job, (err) => failures.push(err)),
  );
  return { scene, failures };
}

describe('LaneScene with per-track classification', () => {
  it('wants pixels only while a track is unconfirmed or due; a due track waits for a frame with pixels', async () => {
    const classifier = new FakeClassifier();
    const wants: boolean[] = [];
    const scene = new LaneScene(
      createTracker(trackerSchema.parse({})),
      new SceneAnalytics({ zones: [], lines: [], anchor: 'bottom_center' }),
      () => {},
      new TrackClassifier(new TrackClassPlanner(OPTIONS), classifier.job, () => {}, (want) => wants.push(want)),
    );
    const withoutPixels = (r: FrameResult): FrameResult => ({ ...r, frame: { ...r.frame, data: new ArrayBuffer(0) } });
    // Nothing in view: no pixels wanted.
    await scene.process(result(0, []));
    expect(wants).toEqual([false]);
    // A detection under ByteTrack's new_track_score (0.6) starts no track: nothing to classify, no pixels.
    const faint: DetectedObject = { label: 'person', score: 0.45, box: [900, 100, 1000, 300], class: null };
    await scene.process(withoutPixels(result(1, [faint])));
    expect(wants).toEqual([false]);
    // Two people appear: their tentative tracks want pixels for the next frames.
    await scene.process(withoutPixels(result(2, [...detections(2), faint])));
    expect(wants).toEqual([false, true]);
    // Confirmed on a frame that came without pixels (the flag was still on its way): no job, still wanted.
    await scene.process(withoutPixels(result(3, detections(3))));
    expect(classifier.jobs).toHaveLength(0);
    expect(wants).toEqual([false, true]);
    // The next frame with pixels classifies both; then nothing is due and pixels are no longer wanted.
    await scene.process(result(4, detections(4)));
    expect(classifier.jobs.map((j) => j.seq)).toEqual([4]);
    expect(wants).toEqual([false, true, false]);
    for (let f = 5; f < 20; f++) await scene.process(withoutPixels(result(f, detections(f), f % 2 ? 'interval' : undefined)));
    expect(wants).toEqual([false, true, false]);
    expect(classifier.jobs).toHaveLength(1);
  });

  it('classifies each track once when confirmed; every later detection, predicted ones too, and its events carry the class', async () => {
    const classifier = new FakeClassifier();
    const { scene } = lane(classifier);
    expect(scene.classifiesTracks).toBe(true);
    const out: FrameResult[] = [];
    const events: TrackEvent[] = [];
    for (let f = 0; f < 40; f++) {
      const { result: tracked } = await scene.process(result(f, detections(f), f % 3 === 2 ? 'interval' : undefined));
      out.push(tracked);
      events.push(...tracked.scene!.events);
    }
    // Both confirmed on the same frame: one job, two crops, their detection boxes of that frame.
    expect(classifier.jobs).toHaveLength(1);
    const [job] = classifier.jobs;
    expect(job!.boxes).toEqual(detections(job!.seq).map((d) => d.box));
    const firstTracked = out.findIndex((r) => r.objects.some((o) => o.trackId != null));
    expect(job!.seq).toBe(firstTracked);
    for (const [f, r] of out.entries()) {
      expect(r.objects.length, `frame ${f}`).toBe(2);
      for (const o of r.objects) {
        if (f < firstTracked) expect(o.class, `frame ${f}`).toBeNull();
        else expect(o.class, `frame ${f}`).toEqual({ label: 'label 1', score: 0.75 });
      }
      // The timings are the job's on its frame, 0 elsewhere; its pixels came back.
      if (f === job!.seq) {
        expect(r.timings).toMatchObject({ classifiedObjects: 2, classifySeconds: 0.004 });
        expect(r.frame.data.byteLength).toBe(7);
      } else {
        expect(r.timings).toMatchObject({ classifiedObjects: 0, classifySeconds: 0 });
        expect(r.frame.data.byteLength).toBe(r.frame.meta.skip ? 0 : PIXELS);
      }
    }
    // Predicted frames (every third) carry the class from the tracks.
    const predicted = out.slice(firstTracked).filter((r) => r.frame.meta.skip === 'interval');
    expect(predicted.length).toBeGreaterThan(10);
    for (const r of predicted) expect(r.objects.map((o) => o.class?.label)).toEqual(['label 1', 'label 1']);
    expect(events.filter((e) => e.type === 'new').map((e) => e.class)).toEqual([
      { label: 'label 1', score: 0.75 },
      { label: 'label 1', score: 0.75 },
    ]);
    expect(out[39]!.scene!.tracks.map((t) => t.class?.label)).toEqual(['label 1', 'label 1']);
  });

  it('classifies a track again when its box area changed by the ratio, and the others not', async () => {
    const classifier = new FakeClassifier();
    const { scene } = lane(classifier);
    const out: FrameResult[] = [];
    // From frame 12 the second box is 160 × 260: 2.08 × the area.
    for (let f = 0; f < 20; f++) out.push((await scene.process(result(f, detections(f, 60, 12)))).result);
    expect(classifier.jobs.map((j) => j.boxes.length)).toEqual([2, 1]);
    // The track's (Kalman) box follows the jump within a frame or two.
    expect(classifier.jobs[1]!.seq).toBeGreaterThanOrEqual(12);
    expect(classifier.jobs[1]!.seq).toBeLessThanOrEqual(14);
    expect(out[19]!.objects.map((o) => o.class?.label)).toEqual(['label 1', 'label 2']);
  });

  it('a failed job leaves the tracks unclassified, is reported, never fails the frame, and is tried again a second later', async () => {
    const classifier = new FakeClassifier();
    classifier.failing = 1;
    const { scene, failures } = lane(classifier);
    const out: FrameResult[] = [];
    for (let f = 0; f < 30; f++) out.push((await scene.process(result(f, detections(f)))).result);
    expect(failures).toHaveLength(1);
    const [failed, retried] = classifier.jobs;
    expect(retried!.seq - failed!.seq).toBe(RETRY_AFTER_FAILURE_MS / 100);
    expect(classifier.jobs).toHaveLength(2);
    expect(out[failed!.seq]!.timings.classifiedObjects).toBe(0);
    expect(out[retried!.seq - 1]!.objects.every((o) => o.class === null)).toBe(true);
    expect(out[retried!.seq]!.objects.map((o) => o.class?.label)).toEqual(['label 2', 'label 2']);
  });

  it('sends no job for a frame that came without its pixels (a camera started before the classifier was added)', async () => {
    const classifier = new FakeClassifier();
    const { scene } = lane(classifier);
    for (let f = 0; f < 10; f++) {
      const r = result(f, detections(f));
      const { result: tracked } = await scene.process({ ...r, frame: { ...r.frame, data: new ArrayBuffer(0) } });
      expect(tracked.objects.every((o) => o.class === null)).toBe(true);
    }
    expect(classifier.jobs).toEqual([]);
  });

  it('forgets the classes of ended tracks: after a new video every track is classified anew', async () => {
    const classifier = new FakeClassifier();
    const { scene } = lane(classifier);
    for (let f = 0; f < 10; f++) await scene.process(result(f, detections(f)));
    for (let f = 10; f < 20; f++) {
      const r = result(f, detections(f));
      await scene.process({ ...r, frame: { ...r.frame, meta: { ...r.frame.meta, videoIndex: 1 } } });
    }
    expect(classifier.jobs.map((j) => j.boxes.length)).toEqual([2, 2]);
  });
});

/** Inference whose frames finish when the test says, recording whether each was to be classified inline. */
class ManualPool implements InferencePool {
  readonly pending: { frame: CapturedFrame; classify: boolean | undefined; resolve: (o: InferenceOutcome) => void }[] = [];

  hasRoom(): boolean {
    return this.pending.length < 4;
  }

  infer(frame: CapturedFrame, _mode: unknown, options?: { classify?: boolean }): Promise<InferenceOutcome> {
    return new Promise((resolve) => this.pending.push({ frame, classify: options?.classify, resolve }));
  }

  finish(seq: number, objects: DetectedObject[]): void {
    const index = this.pending.findIndex((p) => p.frame.meta.seq === seq);
    const [job] = this.pending.splice(index, 1);
    job!.resolve({ frame: job!.frame, objects, timings: TIMINGS });
  }
}

describe('the dispatcher with a camera that classifies per track', () => {
  const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

  function setup(withClasses: boolean) {
    const pool = new ManualPool();
    const results: FrameResult[] = [];
    const sink: ResultSink = { name: 'rec', handle: (r) => void results.push(r) };
    const dispatcher = new InferenceDispatcher(pool, new SinkFanout([sink], silent), silent);
    // A job that waits for the test: the lane's publication waits with it.
    const jobs: { seq: number; release: () => void }[] = [];
    const job: ClassifyJob = (frame, boxes) =>
      new Promise((resolve) => jobs.push({ seq: frame.meta.seq, release: () => resolve({ frame, classes: boxes.map(() => ({ label: 'tabby', score: 0.5 })), seconds: 0.001 }) }));
    const planner = new TrackClassPlanner(OPTIONS);
    const tracker = createTracker(trackerSchema.parse({}));
    const analytics = new SceneAnalytics({ zones: [], lines: [], anchor: 'bottom_center' });
    const camera: CameraLane = {
      source: { name: 'plaza', grantCredit: () => {}, returnPixels: () => {} },
      queue: new FrameQueue<CapturedFrame>(8, () => {}),
      onDemand: false,
      frameFailed: () => {},
      scene: new LaneScene(tracker, analytics, () => {}, withClasses ? new TrackClassifier(planner, job, () => {}) : undefined),
    };
    dispatcher.addLane(camera);
    dispatcher.start();
    const capture = (seq: number): void => {
      const meta = { camera: 'plaza', seq, capturedAt: T0 + seq * 100, videoIndex: 0, width: 1280, height: 720 };
      camera.queue.push({ meta, data: new ArrayBuffer(PIXELS), tensor: new ArrayBuffer(16) });
      dispatcher.pump();
    };
    return { pool, results, jobs, capture };
  }

  it('asks inference for the detector alone, and holds later results back until the classify job answered, in capture order', async () => {
    const { pool, results, jobs, capture } = setup(true);
    let seq = 0;
    // Until the tracks are confirmed, frame by frame.
    while (jobs.length === 0 && seq < 10) {
      capture(seq);
      pool.finish(seq, detections(seq));
      await settle();
      seq++;
    }
    expect(jobs).toHaveLength(1);
    expect(pool.pending).toEqual([]);
    const jobSeq = jobs[0]!.seq;
    // Two more frames finish inference while the job runs: none of them is published before it.
    capture(seq);
    capture(seq + 1);
    expect(pool.pending.map((p) => p.classify)).toEqual([false, false]);
    pool.finish(seq + 1, detections(seq + 1));
    pool.finish(seq, detections(seq));
    await settle();
    expect(results.map((r) => r.frame.meta.seq)).toEqual([...Array(jobSeq).keys()]);
    jobs[0]!.release();
    await settle();
    expect(results.map((r) => r.frame.meta.seq)).toEqual([...Array(seq + 2).keys()]);
    expect(results.slice(jobSeq).flatMap((r) => r.objects.map((o) => o.class?.label))).toEqual(Array(6).fill('tabby'));
    expect(jobs).toHaveLength(1);
  });

  it('without per-track classes, frames are classified inline as before', async () => {
    const { pool, capture } = setup(false);
    capture(0);
    expect(pool.pending.map((p) => p.classify)).toEqual([true]);
  });
});
