import type { DetectedObject, FrameResult } from '../core/frame.js';
import type { SceneAnalyser, SceneTracker } from '../core/pipeline-ports.js';
import type { SceneUpdate, TrackedObject } from '../core/scene.js';
import type { TrackClassifier } from './track-classifier.js';

/** One result after tracking, and the scene update of tracks that ended before it (a new video began), to publish first. */
export interface TrackedResult {
  readonly result: FrameResult;
  readonly ended?: SceneUpdate;
}

const ANY_TRACK = (): boolean => true;

/**
 * One camera's tracker and zone/line analytics, run on its results in
 * capture order before the fan-out (issue 15): each detection gets its
 * confirmed track's id (null without one) and the result its scene.
 *
 * A new video (file loop, next playlist item, reconnect: FrameMeta.videoIndex
 * moved) and a disconnect both end every track, at the last frame's capture
 * time, so no visit outlives the frames that saw it (no phantom dwell over
 * an outage).
 */
export class LaneScene {
  private videoIndex: number | undefined;
  /** Capture time of the last frame tracked since the tracks last ended; undefined: nothing to end. */
  private lastAt: number | undefined;

  private moving = false;
  private confirming = false;

  constructor(
    private readonly tracker: SceneTracker,
    private readonly analyser: SceneAnalyser,
    /**
     * The tracker's `moving` or `confirming` (a track waits for confirmation: Tracker.anyPending) flipped:
     * motion gating keeps the detector on while a track moves, and on every frame while one is confirmed.
     */
    private readonly onMovingChange: (moving: boolean, confirming: boolean) => void = () => {},
    /** classifier.mode per_track (issue 16): the tracks' classes; absent: detections keep what inference gave them. */
    private classes?: TrackClassifier,
  ) {}

  /** A reload changed the classifier: the tracks keep going, their classes start again (each is classified anew). */
  setClasses(classes: TrackClassifier | undefined): void {
    this.classes = classes;
  }

  /** The detector runs without inline classification for this camera: its tracks are classified here instead (process()). */
  get classifiesTracks(): boolean {
    return this.classes !== undefined;
  }

  /**
   * track(), with the tracks due classified first on a detected frame when
   * the camera classifies per track (the pool's classify job, awaited: the
   * zone and line events of this frame carry the classes), and the frame's
   * timings those of that job (0 when none ran).
   */
  async process(result: FrameResult): Promise<TrackedResult> {
    if (!this.classes) return this.track(result);
    const step = this.step(result);
    if (result.frame.meta.skip) return this.finish(result, step);
    const run = await this.classes.run(result.frame, step.objects, step.tracks, this.tracker.ended);
    const timings = { ...result.timings, classifySeconds: run.classifySeconds, classifiedObjects: run.classifiedObjects };
    return this.finish({ ...result, frame: run.frame, timings }, step);
  }

  /**
   * A detected frame updates the tracker with its detections; a frame the
   * detector skipped (meta.skip, issue 16) is predicted: its objects are the
   * tracks' predicted boxes, so box_count, detections, zones and lines still
   * come out of every frame.
   */
  track(result: FrameResult): TrackedResult {
    return this.finish(result, this.step(result));
  }

  /** The tracker's part: a new video ends the tracks first, then update (detected) or predict (skipped). */
  private step(result: FrameResult): { tracks: TrackedObject[]; objects: DetectedObject[]; ended: SceneUpdate | undefined } {
    const { meta } = result.frame;
    const ended = this.videoIndex !== undefined && meta.videoIndex !== this.videoIndex ? this.end() : undefined;
    this.videoIndex = meta.videoIndex;
    return { ...(meta.skip ? this.predicted() : this.detected(result.objects)), ended };
  }

  /** The tracks' classes (per_track), then zones and lines. */
  private finish(result: FrameResult, step: { tracks: TrackedObject[]; objects: DetectedObject[]; ended: SceneUpdate | undefined }): TrackedResult {
    const { meta } = result.frame;
    let { tracks, objects } = step;
    if (this.classes) {
      this.classes.forget(this.tracker.ended);
      ({ tracks, objects } = this.classes.label(objects, tracks));
      this.classes.note(objects, tracks, this.tracker, meta.capturedAt);
    }
    const scene = this.analyser.update({ width: meta.width, height: meta.height, at: meta.capturedAt }, tracks, this.tracker.ended, this.tracker.activeCount);
    this.lastAt = meta.capturedAt;
    this.noteMoving();
    const tracked = { ...result, objects, scene };
    return step.ended ? { result: tracked, ended: step.ended } : { result: tracked };
  }

  private detected(detections: readonly DetectedObject[]): { tracks: TrackedObject[]; objects: DetectedObject[] } {
    const tracks = this.tracker.update(detections);
    const ids = new Array<number | null>(detections.length).fill(null);
    for (const track of tracks) ids[track.objectIndex] = track.trackId;
    return { tracks, objects: detections.map((o, i): DetectedObject => ({ ...o, trackId: ids[i]! })) };
  }

  /** The tracks' predicted boxes stand in for detections; objectIndex is each track's index among them. */
  private predicted(): { tracks: TrackedObject[]; objects: DetectedObject[] } {
    const tracks = this.tracker.predict();
    const objects = tracks.map((t): DetectedObject => ({ label: t.label, score: t.score, box: t.box, class: t.class ?? null, trackId: t.trackId }));
    return { tracks, objects };
  }

  private noteMoving(): void {
    const moving = this.tracker.moving;
    const confirming = this.tracker.anyPending(ANY_TRACK);
    if (moving === this.moving && confirming === this.confirming) return;
    this.moving = moving;
    this.confirming = confirming;
    this.onMovingChange(moving, confirming);
  }

  /** Every track ends (the camera disconnected, stopped or its video changed); undefined when none can be alive. */
  end(): SceneUpdate | undefined {
    if (this.lastAt === undefined) return undefined;
    this.tracker.clear();
    this.classes?.forget(this.tracker.ended);
    const update = this.analyser.end(this.lastAt, this.tracker.ended);
    this.lastAt = undefined;
    this.noteMoving();
    return update;
  }
}
