import { describe, expect, it } from 'vitest';
import type { CapturedFrame, DetectedObject, FrameResult, FrameSkip, InferenceOutcome } from '../../agent/core/frame.js';
import type { InferencePool, ResultSink, SceneAnalyser, SceneTracker } from '../../agent/core/pipeline-ports.js';
import type { TrackedObject } from '../../agent/core/scene.js';
import { createLogger } from '../../agent/log.js';
import { InferenceDispatcher, type CameraLane } from '../../agent/pipeline/dispatcher.js';
import { LaneScene } from '../../agent/pipeline/lane-scene.js';
import { SinkFanout } from '../../agent/pipeline/sinks.js';
import { FrameQueue } from '../../agent/queue/frame-queue.js';
import { EMPTY_SCENE } from '../helpers/scene-update.js';

/**
 * Frames the detector skipped (issue 16: interval, motion gating) go through
 * the dispatcher without inference, behind the camera's queued frames, take
 * no queue slot, and come out of the lane's tracker as predicted boxes.
 */

const silent = createLogger('silent');
const EMPTY = EMPTY_SCENE;

/** One track per detection index; predict() shifts every box 5 px right; `moving` while any track exists. */
class ShiftTracker implements SceneTracker {
  ended: number[] = [];
  readonly calls: string[] = [];
  private tracks: TrackedObject[] = [];

  get activeCount(): number {
    return this.tracks.length;
  }

  get moving(): boolean {
    return this.tracks.length > 0;
  }

  anyPending(): boolean {
    return false;
  }

  update(detections: readonly Pick<DetectedObject, 'box' | 'score' | 'label'>[]): TrackedObject[] {
    this.calls.push('update');
    this.tracks = detections.map((d, i) => ({ trackId: i + 1, label: d.label, score: d.score, box: d.box, objectIndex: i }));
    return this.tracks;
  }

  predict(): TrackedObject[] {
    this.calls.push('predict');
    this.tracks = this.tracks.map((t, i) => ({ ...t, box: [t.box[0] + 5, t.box[1], t.box[2] + 5, t.box[3]], objectIndex: i }));
    return this.tracks;
  }

  clear(): void {
    this.ended = this.tracks.map((t) => t.trackId);
    this.tracks = [];
  }
}

const analyser: SceneAnalyser = {
  update: (_frame, tracks, _ended, tracksActive) => ({ ...EMPTY, tracks, tracksActive }),
  end: () => ({ ...EMPTY, tracks: [], tracksActive: 0 }),
};

/** Inference whose frames finish when the test says; one frame at a time. */
class OneAtATime implements InferencePool {
  readonly pending: { frame: CapturedFrame; resolve: (o: InferenceOutcome) => void }[] = [];

  hasRoom(): boolean {
    return this.pending.length === 0;
  }

  infer(frame: CapturedFrame): Promise<InferenceOutcome> {
    return new Promise((resolve) => this.pending.push({ frame, resolve }));
  }

  finishNext(objects: DetectedObject[]): void {
    const job = this.pending.shift()!;
    job.resolve({ frame: job.frame, objects, timings: { detectSeconds: 0.01, batchFrames: 1, wide: false, classifySeconds: 0, classifiedObjects: 0 } });
  }
}

class Recorder implements ResultSink {
  readonly name = 'recorder';
  readonly results: FrameResult[] = [];
  /** Pixel bytes each result carried while the sink handled it. */
  readonly pixelBytes: number[] = [];
  handle(result: FrameResult): void {
    this.results.push(result);
    this.pixelBytes.push(result.frame.data.byteLength);
  }
}

const person: DetectedObject = { label: 'person', score: 0.9, box: [10, 10, 50, 90], class: null };
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

function setup(capacity = 4) {
  const pool = new OneAtATime();
  const sink = new Recorder();
  const tracker = new ShiftTracker();
  const moving: boolean[] = [];
  const dispatcher = new InferenceDispatcher(pool, new SinkFanout([sink], silent), silent);
  const dropped: number[] = [];
  const returned: ArrayBuffer[] = [];
  const lane: CameraLane & { queue: FrameQueue<CapturedFrame> } = {
    source: { name: 'plaza', grantCredit: () => {}, returnPixels: (data) => returned.push(data) },
    queue: new FrameQueue<CapturedFrame>(
      capacity,
      (frame) => {
        dropped.push(frame.meta.seq);
        dispatcher.frameDropped(lane, frame);
      },
      () => dispatcher.skippedWaiting(lane),
    ),
    onDemand: false,
    frameFailed: () => {},
    scene: new LaneScene(tracker, analyser, (m) => moving.push(m)),
  };
  dispatcher.addLane(lane);
  dispatcher.start();
  /** A frame from capture: detected frames carry a tensor and queue; skipped ones carry nothing and pass. */
  const capture = (seq: number, skip?: FrameSkip, pixels = 0): void => {
    const meta = { camera: 'plaza', seq, capturedAt: 1e12 + seq * 100, videoIndex: 0, width: 640, height: 480, ...(skip ? { skip } : {}) };
    const frame = { meta, data: new ArrayBuffer(pixels), tensor: new ArrayBuffer(skip ? 0 : 16) };
    if (skip) {
      dispatcher.passSkipped(lane, frame);
      return lane.queue.trim();
    }
    lane.queue.push(frame);
    dispatcher.pump();
  };
  return { pool, sink, tracker, moving, dropped, returned, lane, capture };
}

describe("a frame's pixels", () => {
  it('go back to capture once every sink has handled the frame, and those of a dropped frame at once', async () => {
    const { pool, sink, dropped, returned, capture } = setup(1);
    capture(0, undefined, 100);
    capture(1, undefined, 200);
    // Frame 0 is in inference, 1 queued; 2 pushes 1 out of the full queue: its pixels go back unread.
    capture(2, undefined, 300);
    expect(dropped).toEqual([1]);
    expect(returned.map((b) => b.byteLength)).toEqual([200]);
    pool.finishNext([person]);
    await settle();
    // The sink saw frame 0's pixels whole; then they went back.
    expect(sink.pixelBytes).toEqual([100]);
    expect(returned.map((b) => b.byteLength)).toEqual([200, 100]);
    pool.finishNext([person]);
    await settle();
    expect(sink.results.map((r) => r.frame.meta.seq)).toEqual([0, 2]);
    expect(sink.pixelBytes).toEqual([100, 300]);
    expect(returned.map((b) => b.byteLength)).toEqual([200, 100, 300]);
  });
});

describe('frames the detector skipped', () => {
  it('are published in capture order behind the frames still queued or in inference, without a queue slot', async () => {
    const { pool, sink, lane, capture } = setup();
    capture(0);
    capture(1, 'interval');
    capture(2, 'interval');
    capture(3);
    capture(4, 'no_motion');
    // Frame 0 is in inference, 3 queued; the skipped ones wait, taking no slot.
    expect(lane.queue.size).toBe(1);
    await settle();
    expect(sink.results).toEqual([]);
    pool.finishNext([person]);
    await settle();
    expect(sink.results.map((r) => r.frame.meta.seq)).toEqual([0, 1, 2]);
    pool.finishNext([person]);
    await settle();
    expect(sink.results.map((r) => r.frame.meta.seq)).toEqual([0, 1, 2, 3, 4]);
  });

  it('are published at once when nothing of the camera waits', async () => {
    const { sink, capture } = setup();
    capture(0, 'no_motion');
    await settle();
    expect(sink.results.map((r) => r.frame.meta.seq)).toEqual([0]);
    expect(sink.results[0]!.timings).toMatchObject({ detectSeconds: 0, classifiedObjects: 0 });
  });

  it('come out of the tracker as predicted boxes with their track ids; detected frames update it', async () => {
    const { pool, sink, tracker, capture } = setup();
    capture(0);
    pool.finishNext([person]);
    capture(1, 'interval');
    capture(2, 'interval');
    await settle();
    expect(tracker.calls).toEqual(['update', 'predict', 'predict']);
    const boxes = sink.results.map((r) => r.objects.map((o) => [o.trackId, o.box[0]]));
    expect(boxes).toEqual([[[1, 10]], [[1, 15]], [[1, 20]]]);
    expect(sink.results[2]!.scene!.tracks[0]).toMatchObject({ trackId: 1, objectIndex: 0 });
  });

  it('behind a frame the full queue dropped, still go out in order', async () => {
    const { pool, sink, dropped, capture } = setup(1);
    capture(0);
    capture(1);
    capture(2, 'interval');
    // Frame 1 waits in the one slot with 2 behind it; frame 3 evicts it.
    capture(3);
    expect(dropped).toEqual([1]);
    await settle();
    pool.finishNext([person]);
    await settle();
    pool.finishNext([person]);
    await settle();
    expect(sink.results.map((r) => r.frame.meta.seq)).toEqual([0, 2, 3]);
  });

  it('count toward the queue bound: waiting behind a queued frame, they cannot stretch the time the queue holds', async () => {
    const { pool, sink, dropped, lane, capture } = setup(4);
    capture(0);
    capture(1);
    for (let seq = 2; seq <= 4; seq++) capture(seq, 'interval');
    // Frame 1 queued with three skipped frames behind it: 4 waiting, the bound.
    expect(dropped).toEqual([]);
    capture(5, 'interval');
    // A fifth: frame 1 goes (counted as a queue drop), the skipped ones behind it are published right after frame 0.
    expect(dropped).toEqual([1]);
    expect(lane.queue.size).toBe(0);
    pool.finishNext([person]);
    await settle();
    expect(sink.results.map((r) => r.frame.meta.seq)).toEqual([0, 2, 3, 4, 5]);
  });

  it("tell the camera when its tracker's moving flag flips", async () => {
    const { pool, moving, capture } = setup();
    capture(0);
    pool.finishNext([person]);
    await settle();
    capture(1);
    pool.finishNext([]);
    await settle();
    expect(moving).toEqual([true, false]);
  });
});
