import { SceneAnalytics } from './analytics/scene-analytics.js';
import { CameraSource } from './capture/camera-source.js';
import type { CaptureWorkerPool } from './capture/capture-worker-pool.js';
import type { PreviewImage } from './capture/preview-encoder.js';
import type { CameraConfig, CaptureConfig } from './config/schema.js';
import type { IntervalSetting } from './config/density-schema.js';
import type { TrackerConfig } from './config/tracking-schema.js';
import type { TensorRecipe } from './core/detector-recipe.js';
import type { CapturedFrame, FrameMeta } from './core/frame.js';
import { CameraHealthTracker } from './health/camera-health.js';
import type { Logger } from './log.js';
import type { CameraStats, DropReason } from './metrics/camera-stats.js';
import type { VigilMetrics } from './metrics/registry.js';
import type { SceneSeriesOptions } from './metrics/scene-stats.js';
import type { CameraLane } from './pipeline/dispatcher.js';
import { DetectorSchedule } from './pipeline/detector-schedule.js';
import { LaneScene } from './pipeline/lane-scene.js';
import { TrackClassPlanner, type TrackClassPlannerOptions } from './pipeline/track-classes.js';
import { TrackClassifier, type ClassifyJob } from './pipeline/track-classifier.js';
import { LogThrottle } from './util/log-throttle.js';
import { errorMessage, ErrorCode } from './errors.js';
import { FrameQueue } from './queue/frame-queue.js';
import { createTracker } from './tracking/tracker.js';

export interface CameraPipelineDeps {
  readonly camera: CameraConfig;
  readonly capture: CaptureConfig;
  /** The capture worker threads the cameras share (issue 16). */
  readonly capturePool?: CaptureWorkerPool;
  /** Whether a classifier runs (its confidence series exist from the start). */
  readonly classifier: boolean;
  /** classifier.mode per_track (issue 16): tracked cameras classify their tracks with these, not every box inline. */
  readonly trackClasses?: TrackClasses | undefined;
  readonly tracker: TrackerConfig;
  /** The camera's detector interval, resolved against the top-level `detector` section (config/density-schema.ts). */
  readonly interval: IntervalSetting;
  /** `detector.classes`: the labels whose tracking series exist from the start ([]: every class, series appear with a label's first object). */
  readonly classes: readonly string[];
  readonly metrics: VigilMetrics;
  readonly logger: Logger;
  /** The queue gained a frame: the dispatcher may take it. */
  readonly onQueued: () => void;
  /** A JPEG for the live preview, before its frame. */
  readonly onPreview: (meta: FrameMeta, image: PreviewImage) => void;
  /** The camera went away (disconnected, ended, stopped): its tracks end once its frames in flight are published (InferenceDispatcher.endScene). */
  readonly onTracksEnd: (lane: CameraPipeline) => void;
  /** A frame the detector skipped (issue 16): published from the tracks, behind the camera's queued frames (InferenceDispatcher.passSkipped). */
  readonly onSkipped: (lane: CameraPipeline, frame: CapturedFrame) => void;
  /** Skipped frames waiting behind the queued ones (InferenceDispatcher.skippedWaiting): the queue's bound counts them. */
  readonly skippedWaiting: (lane: CameraPipeline) => number;
  /** The queue dropped a frame: skipped frames waiting behind it go now (InferenceDispatcher.frameDropped). */
  readonly onDropped: (lane: CameraPipeline, frame: CapturedFrame) => void;
}

/** Per-track classification's settings and the pool's classify job (the root's engine in use). */
export interface TrackClasses {
  readonly config: TrackClassPlannerOptions;
  readonly classify: ClassifyJob;
}

/** Capture states in which no frame comes: the tracks seen so far are over. */
const GONE = new Set(['disconnected', 'ended', 'stopped']);

/**
 * One camera, wired: its capture source, its bounded queue, its health for
 * /readyz and its stats, and the dispatcher lane it is. It owns the frame
 * counts: every frame sent to the queue and every frame dropped, whatever
 * the reason.
 */
export class CameraPipeline implements CameraLane {
  readonly source: CameraSource;
  readonly queue: FrameQueue<CapturedFrame>;
  readonly health: CameraHealthTracker;
  readonly onDemand: boolean;
  /** Tracking and zones/lines; undefined when `tracker.enabled` is false (results pass unchanged). Replaced by a reload (applyScene). */
  scene: LaneScene | undefined;
  private readonly stats: CameraStats;
  /** Which frames get the detector (issue 16): interval, auto interval, moving tracks for motion gating. */
  private readonly schedule: DetectorSchedule;
  private scheduleTicker: ReturnType<typeof setInterval> | undefined;
  private trackClasses: TrackClasses | undefined;
  private readonly classifyErrorLog = new LogThrottle(60_000);
  private readonly logger: Logger;
  private readonly skippedWaiting: () => number;
  private stopping = false;

  constructor(deps: CameraPipelineDeps) {
    const camera = gatedCamera(deps.camera, deps.tracker);
    this.trackClasses = deps.trackClasses;
    this.logger = deps.logger;
    this.onDemand = camera.file_pace === 'on_demand';
    this.skippedWaiting = () => deps.skippedWaiting(this);
    const dropped = (frame: CapturedFrame): void => {
      this.dropped('queue_full');
      this.schedule.dropped();
      deps.onDropped(this, frame);
    };
    this.queue = new FrameQueue<CapturedFrame>(camera.queue_capacity, dropped, this.skippedWaiting);
    this.schedule = new DetectorSchedule(deps.interval, camera.queue_capacity, (...plan) => this.tellGate(...plan), deps.tracker.enabled);
    this.stats = deps.metrics.addCamera({
      camera: camera.name,
      queueCapacity: camera.queue_capacity,
      queueSize: () => this.queue.size,
      classifier: deps.classifier,
      motion: camera.motion.enabled,
      ...sceneSeries(camera, deps.tracker, deps.classes),
    });
    this.stats.detectorInterval = this.schedule.interval;
    this.scene = this.laneScene(camera, deps.tracker);
    this.health = new CameraHealthTracker(camera.name, () => performance.now(), () => this.queue.size);
    this.source = new CameraSource({ camera, capture: deps.capture, logger: deps.logger, stats: this.stats, ...(deps.capturePool ? { pool: deps.capturePool } : {}) });
    this.source.on('status', ({ state }) => {
      this.health.onState(state);
      if (this.scene && GONE.has(state)) deps.onTracksEnd(this);
    });
    this.source.on('preview', ({ meta, image }) => deps.onPreview(meta, image));
    this.source.on('skipped', ({ reason }) => this.dropped(reason));
    this.source.on('frame', (frame) => {
      this.health.onFrame();
      this.stats.framesSent += 1;
      if (frame.meta.skip) {
        deps.onSkipped(this, frame);
        // A skipped frame waits as long as the frames ahead of it: the queue's bound is on both.
        this.queue.trim();
      } else {
        this.queue.push(frame);
        deps.onQueued();
      }
      this.schedule.queued(this.queue.size + this.skippedWaiting());
    });
  }

  get name(): string {
    return this.source.name;
  }

  /** `recipe` comes from the loaded detector; pixels go along only when a classifier needs them. */
  start(recipe: TensorRecipe, sendPixels: boolean): void {
    this.source.start(recipe, sendPixels);
    this.schedule.announce();
    this.scheduleTicker = setInterval(() => this.schedule.tick(performance.now(), this.queue.size + this.skippedWaiting()), 1000);
    this.scheduleTicker.unref();
  }

  stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.scheduleTicker);
    return this.source.stop();
  }

  /**
   * New zones, lines, anchor or tracker from a config reload, applied to the
   * running stream: the next frame is tracked by a fresh tracker, and the
   * camera's tracking, zone and line counts start again at zero.
   */
  applyScene(camera: CameraConfig, tracker: TrackerConfig, classes: readonly string[]): void {
    this.scene = this.laneScene(camera, tracker);
    this.schedule.setMoving(false);
    this.stats.resetScene(sceneSeries(camera, tracker, classes).scene);
  }

  /** A reload changed the classifier section (new inference workers): per-track classification follows it on the running tracks. */
  applyClassifier(trackClasses: TrackClasses | undefined): void {
    this.trackClasses = trackClasses;
    // The new classifier (or none, or per_frame) starts out wanting every detected frame's pixels.
    this.schedule.setWantPixels(true);
    this.scene?.setClasses(this.trackClassifier());
  }

  frameFailed(): void {
    this.dropped('inference_error');
  }

  private trackClassifier(): TrackClassifier | undefined {
    const { trackClasses } = this;
    if (!trackClasses) return undefined;
    const failed = (err: unknown): void => {
      // Jobs still in flight when the agent stops are turned away by the retiring workers: not an error.
      if (this.stopping) return;
      if (this.classifyErrorLog.allow()) this.logger.error({ camera: this.name, code: ErrorCode.INFERENCE_FAILED, err: errorMessage(err) }, 'tracks not classified');
    };
    return new TrackClassifier(new TrackClassPlanner(trackClasses.config), trackClasses.classify, failed, (want) => this.schedule.setWantPixels(want));
  }

  private dropped(reason: DropReason): void {
    this.stats.framesDropped[reason] += 1;
  }

  private tellGate(interval: number, moving: boolean, wantPixels: boolean, confirming: boolean): void {
    this.stats.detectorInterval = interval;
    this.source.setGate(interval, moving, wantPixels, confirming);
  }

  private laneScene(camera: CameraConfig, tracker: TrackerConfig): LaneScene | undefined {
    if (!tracker.enabled) return undefined;
    const analytics = new SceneAnalytics({ zones: camera.zones, lines: camera.lines, anchor: camera.anchor });
    // Only motion gating reads moving and confirming tracks (detection-gate.ts): an ungated camera sends no gate message when they flip.
    const onTracks = camera.motion.enabled ? (moving: boolean, confirming: boolean) => this.schedule.setMoving(moving, confirming) : undefined;
    return new LaneScene(createTracker(tracker), analytics, onTracks, this.trackClassifier());
  }
}

/** Motion gating needs the tracker (it stands in for the frames it skips): without one the capture gate never measures motion. */
function gatedCamera(camera: CameraConfig, tracker: TrackerConfig): CameraConfig {
  return tracker.enabled || !camera.motion.enabled ? camera : { ...camera, motion: { ...camera.motion, enabled: false } };
}

function sceneSeries(camera: CameraConfig, tracker: TrackerConfig, classes: readonly string[]): { scene?: SceneSeriesOptions } {
  return tracker.enabled ? { scene: { labels: classes, zones: camera.zones, lines: camera.lines } } : {};
}
