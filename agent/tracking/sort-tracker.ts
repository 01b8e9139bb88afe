import type { TrackerConfig } from '../config/tracking-schema.js';
import type { TrackedObject } from '../core/scene.js';
import { solveAssignment, type Pair } from './assignment.js';
import { KalmanFilter } from './kalman.js';
import { areaRatioToBox, boxOf, boxToAreaRatio, hasArea, iou, moves, SORT_MODEL } from './motion-models.js';
import { TrackerBase } from './tracker-base.js';
import type { Detection } from './tracker-types.js';

/**
 * SORT as sort.py writes it (Bewley et al. 2016, github.com/abewley/sort), the
 * reference the ByteTrack mode is measured against: predict every track, pair
 * tracks and detections by IoU (optimal assignment, or the obvious pairs when
 * each row and column has at most one above the threshold, as sort.py does),
 * start a track on every unmatched detection, report a track when it was
 * matched this frame and its hit streak reached min_hits (or in the first
 * min_hits frames), drop it after max_age frames without a match. Only
 * additions: class-aware pairing, ids given when a track is first reported,
 * and frames without detections (predict(), issue 16), which step the
 * filters but count for neither max_age nor the hit streak.
 */

type SortConfig = TrackerConfig['sort'];

interface SortTrack {
  readonly kf: KalmanFilter;
  readonly label: string;
  /** 0 until first reported. */
  id: number;
  timeSinceUpdate: number;
  hitStreak: number;
  score: number;
  detection: number;
  readonly box: Float64Array;
}

const z = new Float64Array(4);

export class SortTracker extends TrackerBase<SortTrack> {
  constructor(private readonly config: SortConfig) {
    super();
  }

  update(detections: readonly Detection[]): TrackedObject[] {
    this.frame++;
    this.endedIds = [];
    this.age();
    const matched = this.associate(detections);
    for (const [d, t] of matched) {
      const track = this.tracks[t]!;
      const det = detections[d]!;
      track.timeSinceUpdate = 0;
      track.hitStreak++;
      track.score = det.score;
      track.detection = d;
      track.kf.update(boxToAreaRatio(det.box, z));
      areaRatioToBox(track.kf.x, track.box);
    }
    const used = new Uint8Array(detections.length);
    for (const [d] of matched) used[d] = 1;
    for (let d = 0; d < detections.length; d++) if (!used[d] && hasArea(detections[d]!.box)) this.tracks.push(this.start(detections[d]!, d));
    return this.report();
  }

  predict(): TrackedObject[] {
    this.endedIds = [];
    const out: TrackedObject[] = [];
    const kept: SortTrack[] = [];
    for (const track of this.tracks) {
      if (!step(track)) {
        this.end(track);
        continue;
      }
      kept.push(track);
      if (this.reportable(track)) out.push({ trackId: track.id, label: track.label, score: track.score, box: boxOf(track.box), objectIndex: out.length });
    }
    this.tracks = kept;
    return out;
  }

  protected override moves(track: SortTrack): boolean {
    // A streak short of min_hits: just appeared (or just found again), detections decide its fate.
    if (track.hitStreak < this.config.min_hits) return true;
    const x = track.kf.x;
    // h = √(s / r): at a fixed aspect its rate is h · ṡ / 2s.
    const height = track.box[3]! - track.box[1]!;
    return moves(x[4]!, x[5]!, (height * x[6]!) / (2 * x[2]!), height);
  }

  /** sort.py's predict step of a detected frame: the motion, then the track ages. */
  private age(): void {
    const kept: SortTrack[] = [];
    for (const track of this.tracks) {
      const ok = step(track);
      if (track.timeSinceUpdate > 0) track.hitStreak = 0;
      track.timeSinceUpdate++;
      if (ok) kept.push(track);
      else this.end(track);
    }
    this.tracks = kept;
  }

  /** sort.py's condition for output: matched this frame and a long enough streak (or the first min_hits frames). */
  private reportable(track: SortTrack): boolean {
    const minHits = this.config.min_hits;
    return track.timeSinceUpdate < 1 && (track.hitStreak >= minHits || this.frame <= minHits);
  }

  /** [detection, track] pairs with IoU at least the threshold, as sort.py's associate_detections_to_trackers. */
  private associate(detections: readonly Detection[]): Pair[] {
    const tracks = this.tracks;
    if (detections.length === 0 || tracks.length === 0) return [];
    const threshold = this.config.iou_threshold;
    const overlap = detections.map((det) => tracks.map((t) => (t.label === det.label ? iou(det.box, t.box) : 0)));
    const rowHits = overlap.map((row) => row.filter((v) => v > threshold).length);
    const colHits = tracks.map((_, t) => overlap.filter((row) => row[t]! > threshold).length);
    let pairs: Pair[];
    if (Math.max(...rowHits) === 1 && Math.max(...colHits) === 1) {
      pairs = [];
      overlap.forEach((row, d) => row.forEach((v, t) => v > threshold && pairs.push([d, t])));
    } else {
      pairs = solveAssignment(overlap.map((row) => row.map((v) => -v)));
    }
    return pairs.filter(([d, t]) => overlap[d]![t]! >= threshold);
  }

  private start(det: Detection, index: number): SortTrack {
    const box = new Float64Array(4);
    const kf = new KalmanFilter(SORT_MODEL, boxToAreaRatio(det.box, z));
    areaRatioToBox(kf.x, box);
    return { kf, label: det.label, id: 0, timeSinceUpdate: 0, hitStreak: 0, score: det.score, detection: index, box };
  }

  private report(): TrackedObject[] {
    const out: TrackedObject[] = [];
    const maxAge = this.config.max_age;
    const kept: SortTrack[] = [];
    for (const track of this.tracks) {
      if (this.reportable(track)) {
        if (track.id === 0) track.id = this.takeId();
        out.push({ trackId: track.id, label: track.label, score: track.score, box: boxOf(track.box), objectIndex: track.detection });
      }
      if (track.timeSinceUpdate > maxAge) this.end(track);
      else kept.push(track);
    }
    this.tracks = kept;
    return out;
  }
}

/** One frame of a track's motion, as sort.py's KalmanBoxTracker.predict (its area never goes below 0); false where the box came out NaN. */
function step(track: SortTrack): boolean {
  const x = track.kf.x;
  if (x[6]! + x[2]! <= 0) x[6] = 0;
  track.kf.predict();
  const box = areaRatioToBox(x, track.box);
  return !(Number.isNaN(box[0]) || Number.isNaN(box[1]) || Number.isNaN(box[2]) || Number.isNaN(box[3]));
}
