import type { ClassifierConfig } from '../config/schema.js';
import type { DetectedObject } from '../core/frame.js';
import type { Box } from '../core/letterbox.js';
import type { TrackedObject } from '../core/scene.js';

/** The classifier's verdict on an object (DetectedObject.class, TrackedObject.class). */
export type TrackClass = NonNullable<DetectedObject['class']>;

/** One track to classify now: the box to crop (its detection's this frame), and the track's own box to record(). */
export interface PlannedClassification {
  readonly trackId: number;
  readonly box: Box;
  readonly trackBox: Box;
}

export type TrackClassPlannerOptions = Pick<ClassifierConfig, 'apply_to' | 'min_box_pixels' | 'max_objects_per_frame' | 'reclassify_seconds' | 'reclassify_area_ratio'>;

interface Classified {
  readonly class: TrackClass;
  readonly area: number;
  readonly at: number;
}

/**
 * Which of a camera's tracks to classify on a detected frame (issue 16,
 * classifier.mode per_track), so an object is classified once, not on every
 * frame: a confirmed track never classified yet; one whose box area grew or
 * shrank by reclassify_area_ratio since its last classification (it came
 * closer, turned, or was half hidden then); one classified more than
 * reclassify_seconds ago (0: never on time alone). Only labels in apply_to
 * (all when empty), boxes whose shorter side is at least min_box_pixels, and
 * at most max_objects_per_frame a frame: tracks never classified first (an
 * object without a class is worse off than one with an old class), then
 * the highest detection score; the rest are due again on the next frame.
 *
 * Pure: times are the frames' capture times (epoch ms), nothing here reads
 * a clock. One per camera, fed in capture order.
 */
export class TrackClassPlanner {
  private readonly applyTo: ReadonlySet<string>;
  private readonly classified = new Map<number, Classified>();

  constructor(private readonly options: TrackClassPlannerOptions) {
    this.applyTo = new Set(options.apply_to);
  }

  /** Whether an object of this label and box is ever classified (apply_to, min_box_pixels). */
  eligible(label: string, box: Box): boolean {
    if (this.applyTo.size > 0 && !this.applyTo.has(label)) return false;
    return Math.min(box[2] - box[0], box[3] - box[1]) >= this.options.min_box_pixels;
  }

  /** `tracks`: the tracker's confirmed tracks matched this frame; `objects`: the frame's detections they index. */
  plan(tracks: readonly TrackedObject[], objects: readonly Pick<DetectedObject, 'box'>[], nowMs: number): PlannedClassification[] {
    const due: { trackId: number; box: Box; trackBox: Box; score: number; fresh: boolean }[] = [];
    for (const track of tracks) {
      const box = objects[track.objectIndex]?.box ?? track.box;
      if (!this.eligible(track.label, box)) continue;
      const last = this.classified.get(track.trackId);
      if (last && !this.isStale(last, area(track.box), nowMs)) continue;
      due.push({ trackId: track.trackId, box, trackBox: track.box, score: track.score, fresh: last === undefined });
    }
    due.sort((a, b) => Number(b.fresh) - Number(a.fresh) || b.score - a.score);
    return due.slice(0, this.options.max_objects_per_frame).map(({ trackId, box, trackBox }) => ({ trackId, box, trackBox }));
  }

  /**
   * A classification that ran on the frame captured at `nowMs`; `box` is the
   * track's box then (PlannedClassification.trackBox), whose area later
   * frames are compared with: the tracker's filtered box, so a detection's
   * frame-to-frame jitter (a person half hidden for a frame) does not count
   * as a change.
   */
  record(trackId: number, classification: TrackClass, box: Box, nowMs: number): void {
    this.classified.set(trackId, { class: classification, area: area(box), at: nowMs });
  }

  /** The track's latest class; null until it was classified. */
  classOf(trackId: number): TrackClass | null {
    return this.classified.get(trackId)?.class ?? null;
  }

  /** Tracks the tracker removed: their classes go with them. */
  forget(endedIds: readonly number[]): void {
    for (const id of endedIds) this.classified.delete(id);
  }

  /** Tracks with a class now (bounded by the tracks alive). */
  get size(): number {
    return this.classified.size;
  }

  private isStale(last: Classified, areaNow: number, nowMs: number): boolean {
    const { reclassify_area_ratio: ratio, reclassify_seconds: seconds } = this.options;
    if (last.area > 0 && areaNow > 0 && Math.max(areaNow / last.area, last.area / areaNow) >= ratio) return true;
    return seconds > 0 && nowMs - last.at > seconds * 1000;
  }
}

function area(box: Box): number {
  return Math.max(0, box[2] - box[0]) * Math.max(0, box[3] - box[1]);
}
