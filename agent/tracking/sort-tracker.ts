import type { TrackerConfig } from '../config/tracking-schema.js';
import type { TrackedObject } from '../core/scene.js';
import { solveAssignment, type Pair } from './assignment.js';
import { KalmanFilter } from './kalman.js';
import { areaRatioToBox, boxOf, boxToAreaRatio, hasArea, iou, SORT_MODEL } from './motion-models.js';
import type { Detection, Tracker } from './tracker-types.js';

/**
 * SORT as sort.py writes it (Bewley et al. 2016, github.com/abewley/sort), the
 * reference the ByteTrack mode is measured against: predict every track, pair
 * tracks and detections by IoU (optimal assignment, or the obvious pairs when
 * each row and column has at most one above the threshold, as sort.py does),
 * start a track on every unmatched detection, report a track when it was
 * matched this frame and its hit streak reached min_hits (or in the first
 * min_hits frames), drop it after max_age frames without a match. Only
 * additions: class-aware pairing and ids given when a track is first reported.
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

export class SortTracker implements Tracker {
  private tracks: SortTrack[] = [];
  private frame = 0;
  private nextId = 1;
  private endedIds: number[] = [];

  constructor(private readonly config: SortConfig) {}

  get ended(): readonly number[] {
    return this.endedIds;
  }

  get activeCount(): number {
    let count = 0;
    for (const t of this.tracks) if (t.id > 0) count++;
    return count;
  }

  update(detections: readonly Detection[]): TrackedObject[] {
    this.frame++;
    this.endedIds = [];
    this.predict();
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

  clear(): void {
    this.endedIds = [];
    for (const t of this.tracks) if (t.id > 0) this.endedIds.push(t.id);
    this.tracks = [];
    this.frame = 0;
  }

  private predict(): void {
    const kept: SortTrack[] = [];
    for (const track of this.tracks) {
      const x = track.kf.x;
      if (x[6]! + x[2]! <= 0) x[6] = 0;
      track.kf.predict();
      if (track.timeSinceUpdate > 0) track.hitStreak = 0;
      track.timeSinceUpdate++;
      const box = areaRatioToBox(x, track.box);
      if (Number.isNaN(box[0]) || Number.isNaN(box[1]) || Number.isNaN(box[2]) || Number.isNaN(box[3])) this.end(track);
      else kept.push(track);
    }
    this.tracks = kept;
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
    const { min_hits: minHits, max_age: maxAge } = this.config;
    const kept: SortTrack[] = [];
    for (const track of this.tracks) {
      if (track.timeSinceUpdate < 1 && (track.hitStreak >= minHits || this.frame <= minHits)) {
        if (track.id === 0) track.id = this.nextId++;
        out.push({ trackId: track.id, label: track.label, score: track.score, box: boxOf(track.box), objectIndex: track.detection });
      }
      if (track.timeSinceUpdate > maxAge) this.end(track);
      else kept.push(track);
    }
    this.tracks = kept;
    return out;
  }

  private end(track: SortTrack): void {
    if (track.id > 0) this.endedIds.push(track.id);
  }
}
