import type { CapturedFrame, FrameResult, InferenceTimings } from '../core/frame.js';
import type { DispatchMode, FrameSource, InferencePool } from '../core/pipeline-ports.js';
import { errorMessage, ErrorCode, VigilError } from '../errors.js';
import type { Logger } from '../log.js';
import type { FrameQueue } from '../queue/frame-queue.js';
import { LogThrottle } from '../util/log-throttle.js';
import type { LaneScene } from './lane-scene.js';
import { SaturationMeter } from './saturation.js';
import type { SinkFanout } from './sinks.js';

/**
 * Share of the last second that frames waited for a worker above which the
 * pool switches to throughput mode, and below which it switches back (apart,
 * so it does not flap at the boundary).
 */
const ENTER_THROUGHPUT = 0.5;
const LEAVE_THROUGHPUT = 0.2;

export interface CameraLane {
  readonly source: FrameSource;
  readonly queue: FrameQueue<CapturedFrame>;
  readonly onDemand: boolean;
  /** Inference failed on one of this lane's frames: the lane's owner counts the drop. */
  frameFailed(): void;
  /** The camera's tracker and zone/line analytics, run on its results in capture order before the fan-out; absent: results pass unchanged. */
  readonly scene?: LaneScene;
}

/**
 * What a frame the detector skipped (issue 16: FrameMeta.skip) carries as its
 * result before the tracker predicts it: no detector run, no classification.
 */
const SKIPPED_TIMINGS: InferenceTimings = { detectSeconds: 0, batchFrames: 0, wide: false, classifySeconds: 0, classifiedObjects: 0 };

/** Per camera: results are published in capture order even when several workers finish out of order. */
interface LaneState {
  readonly lane: CameraLane;
  published: Promise<void>;
  /**
   * Skipped frames that arrived behind a queued frame, by that frame: they
   * are published right after it (dispatched or dropped), so they take no
   * queue slot and keep capture order.
   */
  readonly followers: WeakMap<CapturedFrame, CapturedFrame[]>;
  /** How many skipped frames ride behind queued ones: they count toward the queue's bound. */
  riders: number;
  /** The camera went away with frames still queued: its tracks end once the last of them is dispatched. */
  endWhenDrained?: boolean;
}

/**
 * Moves frames from the camera queues to the inference workers, round-robin
 * across cameras, in latency or throughput mode (chooseMode), keeping frames
 * in each worker (`pipeline_depth`, more with batching:
 * InferencePool.hasRoom) so it
 * starts the next frame the moment it finishes one instead of waiting a
 * round trip to the main thread. Results go to the sink fan-out, per camera
 * in capture order.
 */
export class InferenceDispatcher {
  /** Round-robin order. */
  private readonly lanes: LaneState[] = [];
  /** The same states by lane: every skipped frame looks its lane up. */
  private readonly byLane = new Map<CameraLane, LaneState>();
  private next = 0;
  private running = false;
  private readonly errorLog = new LogThrottle(10_000);
  private readonly sceneErrorLog = new LogThrottle(60_000);
  private readonly saturation = new SaturationMeter(() => performance.now());
  private mode: DispatchMode = 'latency';

  constructor(
    private engine: InferencePool,
    private readonly sinks: SinkFanout,
    private readonly logger: Logger,
  ) {}

  addLane(lane: CameraLane): void {
    const state: LaneState = { lane, published: Promise.resolve(), followers: new WeakMap(), riders: 0 };
    this.lanes.push(state);
    this.byLane.set(lane, state);
  }

  /** New inference workers from a config reload: frames from now on go to them; those in flight finish on the old ones. */
  setEngine(engine: InferencePool): void {
    this.engine = engine;
    this.pump();
  }

  /** A camera taken out by a config reload: its queued frames are left behind; those in flight are still published. */
  removeLane(lane: CameraLane): void {
    const state = this.byLane.get(lane);
    if (!state) return;
    this.byLane.delete(lane);
    const index = this.lanes.indexOf(state);
    this.lanes.splice(index, 1);
    if (this.next > index) this.next -= 1;
    if (this.next >= this.lanes.length) this.next = 0;
  }

  start(): void {
    this.running = true;
    this.pump();
  }

  stop(): void {
    this.running = false;
  }

  /** Call whenever a queue gained a frame or a slot freed up. */
  pump(): void {
    if (!this.running) return;
    this.chooseMode();
    let state: LaneState | undefined;
    while (this.engine.hasRoom(this.mode) && (state = this.nextLane())) {
      const { lane } = state;
      const frame = lane.queue.shift()!;
      if (lane.onDemand) lane.source.grantCredit(1);
      this.dispatch(state, frame);
      this.releaseFollowers(state, frame);
      if (state.endWhenDrained && lane.queue.size === 0) this.endScene(lane);
    }
    // Frames still queued now wait for a worker.
    this.saturation.update(this.lanes.some((s) => s.lane.queue.size > 0));
  }

  /**
   * A frame the detector skipped (interval, no motion): no inference, so it
   * never waits for a worker, only for the camera's earlier frames: published
   * at once when none is queued, else right after the newest queued one.
   */
  passSkipped(lane: CameraLane, frame: CapturedFrame): void {
    const state = this.byLane.get(lane);
    if (!state) return;
    const newest = lane.queue.peekNewest();
    if (!newest) {
      if (lane.onDemand) lane.source.grantCredit(1);
      return this.publishSkipped(state, frame);
    }
    const followers = state.followers.get(newest);
    if (followers) followers.push(frame);
    else state.followers.set(newest, [frame]);
    state.riders += 1;
  }

  /** Skipped frames of the lane waiting behind its queued frames (FrameQueue's `alsoWaiting`). */
  skippedWaiting(lane: CameraLane): number {
    return this.byLane.get(lane)?.riders ?? 0;
  }

  /** A queued frame was dropped (queue full): the skipped frames behind it are published now, in order. */
  frameDropped(lane: CameraLane, frame: CapturedFrame): void {
    const state = this.byLane.get(lane);
    if (state) this.releaseFollowers(state, frame);
    lane.source.returnPixels(frame.data);
  }

  private releaseFollowers(state: LaneState, frame: CapturedFrame): void {
    const followers = state.followers.get(frame);
    if (!followers) return;
    state.followers.delete(frame);
    state.riders -= followers.length;
    // on_demand: a rider's credit comes back when it leaves, so riders and queue never hold more than the credits (nothing trimmed).
    if (state.lane.onDemand) state.lane.source.grantCredit(followers.length);
    for (const follower of followers) this.publishSkipped(state, follower);
  }

  private publishSkipped(state: LaneState, frame: CapturedFrame): void {
    const dequeuedAt = performance.now();
    state.published = state.published.then(() => {
      // Ready once the camera's earlier frames are: the tracker predicts it now.
      const completedAt = performance.now();
      return this.publish(state.lane, { frame, objects: [], timings: SKIPPED_TIMINGS, dequeuedAt, completedAt });
    });
  }

  /**
   * Latency mode while the pool keeps up (a lone frame runs on the lead's
   * wide sessions: sooner), throughput mode once frames keep waiting (every
   * worker single-share: more frames a second). Measured on 2 cores: a
   * camera at a live 10 fps, frame_latency p95 ~22 ms in latency mode
   * against ~29 ms single-share; full load 10-13 % more frames a second in
   * throughput mode than with a two-thread lead.
   */
  private chooseMode(): void {
    const waited = this.saturation.fraction;
    if (this.mode === 'latency' && waited > ENTER_THROUGHPUT) this.mode = 'throughput';
    else if (this.mode === 'throughput' && waited < LEAVE_THROUGHPUT) this.mode = 'latency';
  }

  private nextLane(): LaneState | undefined {
    for (let i = 0; i < this.lanes.length; i++) {
      const state = this.lanes[(this.next + i) % this.lanes.length]!;
      if (state.lane.queue.size > 0) {
        this.next = (this.next + i + 1) % this.lanes.length;
        return state;
      }
    }
    return undefined;
  }

  /**
   * The lane's tracks end (its camera disconnected or stopped): once every
   * frame of it now in flight has been published, so those frames are
   * tracked first and no visit ends before a frame that still saw it.
   */
  endScene(lane: CameraLane): void {
    const state = this.byLane.get(lane);
    const scene = lane.scene;
    if (!state || !scene) return;
    // A file that ended (or a camera that dropped) can leave frames queued: they are tracked first, or they would start new tracks after the end.
    state.endWhenDrained = lane.queue.size > 0;
    if (state.endWhenDrained) return;
    state.published = state.published.then(() => {
      try {
        const update = scene.end();
        if (update) this.sinks.publishScene(lane.source.name, update);
      } catch (err) {
        this.sceneFailed(lane, err);
      }
    });
  }

  /** Tracking runs here, on the lane's publication chain: in capture order, and never rejecting it (which would stall the lane). */
  private async publish(lane: CameraLane, result: FrameResult): Promise<void> {
    if (!lane.scene) return this.publishAndRelease(lane, result);
    let tracked: FrameResult = result;
    try {
      // Per-track classification (issue 16) awaits a classify job here, still in capture order.
      const out = await lane.scene.process(result);
      if (out.ended) this.sinks.publishScene(lane.source.name, out.ended);
      tracked = out.result;
    } catch (err) {
      this.sceneFailed(lane, err);
    }
    this.publishAndRelease(lane, tracked);
  }

  /** Sinks read a frame's pixels, if at all, while they handle it: afterwards they go back to capture (FrameSource.returnPixels). */
  private publishAndRelease(lane: CameraLane, result: FrameResult): void {
    this.sinks.publish(result);
    lane.source.returnPixels(result.frame.data);
  }

  private sceneFailed(lane: CameraLane, err: unknown): void {
    if (this.sceneErrorLog.allow()) this.logger.error({ camera: lane.source.name, code: ErrorCode.TRACKING_FAILED, err: errorMessage(err) }, 'tracking failed on a frame');
  }

  private dispatch(state: LaneState, frame: CapturedFrame): void {
    const dequeuedAt = performance.now();
    // A camera that classifies per track (issue 16) gets the detector alone here.
    const outcome = this.engine.infer(frame, this.mode, { classify: !state.lane.scene?.classifiesTracks });
    // completedAt is when this frame's results were ready, even if an earlier frame holds its publication back.
    const ready = outcome.then((o) => ({ o, completedAt: performance.now() }));
    const previous = state.published;
    state.published = ready.then(
      async ({ o, completedAt }) => {
        await previous;
        await this.publish(state.lane, { frame: o.frame, objects: o.objects, timings: o.timings, dequeuedAt, completedAt });
      },
      () => previous,
    );
    void ready.then(
      () => this.pump(),
      (err: unknown) => {
        // Frames in flight at shutdown are not errors.
        if (!this.running) return;
        state.lane.frameFailed();
        if (this.errorLog.allow()) {
          const code = err instanceof VigilError ? err.code : ErrorCode.INFERENCE_FAILED;
          this.logger.error({ camera: frame.meta.camera, code, err: errorMessage(err) }, 'frame not analysed');
        }
        this.pump();
      },
    );
  }
}
