import type { DetectedObject, Frame } from '../core/frame.js';
import type { Box } from '../core/letterbox.js';
import type { ClassifyOutcome, SceneTracker } from '../core/pipeline-ports.js';
import type { TrackedObject } from '../core/scene.js';
import type { TrackClassPlanner } from './track-classes.js';

/** Runs a classify job: InferencePool.classify of the engine in use (the root passes it, so a reload's new workers serve it). */
export type ClassifyJob = (frame: Frame, boxes: readonly Box[]) => Promise<ClassifyOutcome>;

/** A detected frame after its tracks were classified: its pixels (they went to a worker and came back) and what ran. */
export interface TrackClassRun {
  readonly frame: Frame;
  readonly classifySeconds: number;
  /** Crops classified on this frame; 0 when none was due (or the job failed). */
  readonly classifiedObjects: number;
}

/** After a failed job, the next one waits this long (capture time): the tracks stay unclassified meanwhile. */
export const RETRY_AFTER_FAILURE_MS = 1000;

/**
 * One camera's per-track classification (issue 16, classifier.mode
 * per_track), the async step of its LaneScene: after the tracker's update
 * on a detected frame, the planner picks the tracks due, the pool
 * classifies their crops, and every track and detection gets its track's
 * latest class. A failed job leaves those tracks unclassified (they are due
 * again a second later), is reported to `failed` and never fails the frame.
 */
export class TrackClassifier {
  /** Capture time before which no job is sent after a failure, so a broken classifier is not asked on every frame. */
  private pausedUntil = Number.NEGATIVE_INFINITY;
  private wanting = true;

  constructor(
    private readonly planner: TrackClassPlanner,
    private readonly classify: ClassifyJob,
    private readonly failed: (err: unknown) => void,
    /**
     * Whether capture should send the camera's pixels with its detected
     * frames flipped: only while a classification is due or about to be
     * (copying and moving a full frame costs ~1–2 ms of CPU, on every
     * detected frame otherwise).
     */
    private readonly wantPixels: (want: boolean) => void = () => {},
  ) {}

  /**
   * After each frame (labelled): pixels are wanted while a track is due
   * (never classified, grown, old) or the tracker holds a track it has not
   * confirmed yet that would be classified (the next detected frame may
   * confirm it, and then needs them). A detection that starts no track (on
   * vtest.avi most of those without an id: under ByteTrack's
   * new_track_score) wants none: wanting pixels for every such detection
   * had them on 45 % of the frames. A due track on a frame without pixels
   * waits for the next one with them.
   */
  note(objects: readonly DetectedObject[], tracks: readonly TrackedObject[], tracker: Pick<SceneTracker, 'anyPending'>, nowMs: number): void {
    const want = tracker.anyPending((label, box) => this.planner.eligible(label, box)) || this.planner.plan(tracks, objects, nowMs).length > 0;
    if (want === this.wanting) return;
    this.wanting = want;
    this.wantPixels(want);
  }

  /** `ended`: the tracker's ids removed by this frame's update; `tracks` index `objects`. */
  async run(frame: Frame, objects: readonly DetectedObject[], tracks: readonly TrackedObject[], ended: readonly number[]): Promise<TrackClassRun> {
    this.planner.forget(ended);
    const at = frame.meta.capturedAt;
    if (at < this.pausedUntil) return { frame, classifySeconds: 0, classifiedObjects: 0 };
    // Frames without their pixels (a camera started before a reload added the classifier) cannot be cropped.
    const { width, height } = frame.meta;
    if (frame.data.byteLength < width * height * 3) return { frame, classifySeconds: 0, classifiedObjects: 0 };
    const planned = this.planner.plan(tracks, objects, at);
    if (planned.length === 0) return { frame, classifySeconds: 0, classifiedObjects: 0 };
    try {
      const outcome = await this.classify(
        frame,
        planned.map((p) => p.box),
      );
      planned.forEach(({ trackId, trackBox }, k) => {
        const cls = outcome.classes[k];
        if (cls) this.planner.record(trackId, cls, trackBox, at);
      });
      return { frame: outcome.frame, classifySeconds: outcome.seconds, classifiedObjects: planned.length };
    } catch (err) {
      this.failed(err);
      this.pausedUntil = at + RETRY_AFTER_FAILURE_MS;
      // The pixels went with the failed job; nothing after the classifier reads them.
      return { frame, classifySeconds: 0, classifiedObjects: 0 };
    }
  }

  /**
   * Each track's latest class on it and on its detection (null until
   * classified; detections without a track keep null). For predicted frames
   * too, whose objects are the tracks.
   */
  label(objects: readonly DetectedObject[], tracks: readonly TrackedObject[]): { objects: DetectedObject[]; tracks: TrackedObject[] } {
    const labelled = [...objects];
    const classed = tracks.map((track) => {
      const cls = this.planner.classOf(track.trackId);
      const object = labelled[track.objectIndex];
      if (object) labelled[track.objectIndex] = { ...object, class: cls };
      return { ...track, class: cls };
    });
    return { objects: labelled, tracks: classed };
  }

  /** Every track ended (tracker.clear): their classes go. */
  forget(ended: readonly number[]): void {
    this.planner.forget(ended);
  }
}
