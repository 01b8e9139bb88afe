import type { DetectedObject, FrameResult } from '../core/frame.js';
import type { SceneAnalyser, SceneTracker } from '../core/pipeline-ports.js';
import type { SceneUpdate, TrackedObject } from '../core/scene.js';

/** One result after tracking, and the scene update of tracks that ended before it (a new video began), to publish first. */
export interface TrackedResult {
  readonly result: FrameResult;
  readonly ended?: SceneUpdate;
}

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

  constructor(
    private readonly tracker: SceneTracker,
    private readonly analyser: SceneAnalyser,
    /** The tracker's `moving` flipped (motion gating keeps the detector on while a track moves). */
    private readonly onMovingChange: (moving: boolean) => void = () => {},
  ) {}

  /**
   * A detected frame updates the tracker with its detections; a frame the
   * detector skipped (meta.skip, issue 16) is predicted: its objects are the
   * tracks' predicted boxes, so box_count, detections, zones and lines still
   * come out of every frame.
   */
  track(result: FrameResult): TrackedResult {
    const { meta } = result.frame;
    const ended = this.videoIndex !== undefined && meta.videoIndex !== this.videoIndex ? this.end() : undefined;
    this.videoIndex = meta.videoIndex;
    const { tracks, objects } = meta.skip ? this.predicted() : this.detected(result.objects);
    const scene = this.analyser.update({ width: meta.width, height: meta.height, at: meta.capturedAt }, tracks, this.tracker.ended, this.tracker.activeCount);
    this.lastAt = meta.capturedAt;
    this.noteMoving();
    const tracked = { ...result, objects, scene };
    return ended ? { result: tracked, ended } : { result: tracked };
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
    if (moving === this.moving) return;
    this.moving = moving;
    this.onMovingChange(moving);
  }

  /** Every track ends (the camera disconnected, stopped or its video changed); undefined when none can be alive. */
  end(): SceneUpdate | undefined {
    if (this.lastAt === undefined) return undefined;
    this.tracker.clear();
    const update = this.analyser.end(this.lastAt, this.tracker.ended);
    this.lastAt = undefined;
    this.noteMoving();
    return update;
  }
}
