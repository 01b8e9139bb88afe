import type { TrackerConfig } from '../config/tracking-schema.js';
import type { TrackedObject } from '../core/scene.js';
import type { Pair } from './assignment.js';
import { solveGated } from './gated-assignment.js';
import { KalmanFilter } from './kalman.js';
import { aspectHeightToBox, boxOf, boxToAspectHeight, bufferedIou, BYTETRACK_MODEL, hasArea, iou, moves } from './motion-models.js';
import { TrackerBase } from './tracker-base.js';
import type { Detection } from './tracker-types.js';

/**
 * ByteTrack (Zhang et al. 2022, BYTETracker in github.com/ifzhang/ByteTrack):
 * 1. predict every track (a lost one with its height velocity zeroed);
 * 2. high-score detections against confirmed tracks, tracked or lost, by
 *    IoU (weighed by the score with fuse_score);
 * 3. low-score detections against the tracked ones still unmatched, by IoU:
 *    a weak detection keeps an occluded object's track alive; tracks
 *    unmatched after that become lost;
 * 4. the high-score detections left against tentative tracks, which are
 *    confirmed after confirm_frames matches in a row and dropped on a miss;
 * 5. a track from each high-score detection left that scores at least
 *    new_track_score; lost tracks older than lost_frames end; a tracked and
 *    a lost track on the same box: the younger one goes.
 * Every stage is an optimal assignment with lapjv's cost limit (solved per
 * group of tracks and detections that could pair at all), and a
 * detection never pairs with a track of another label. Differences from
 * BYTETracker: ids are given at confirmation (tentative tracks that never
 * confirm use none), tentative tracks are predicted too, and confirmation
 * may take more than two frames; and frames without detections (predict(),
 * issue 16) step the filters but age nothing, and widen the next match (see
 * BUFFER_PER_PREDICTED_FRAME).
 */

type TrackState = 'tentative' | 'tracked' | 'lost' | typeof DROPPED;

/** A tentative track that missed its frame, on its way out of the list. */
const DROPPED = 'dropped';

interface ByteTrack {
  readonly kf: KalmanFilter;
  readonly label: string;
  /** 0 while tentative. */
  id: number;
  state: TrackState;
  hits: number;
  score: number;
  detection: number;
  readonly startFrame: number;
  lastFrame: number;
  readonly box: Float64Array;
}

/**
 * After frames without detections, the boxes are matched with their sides
 * pushed out by this share of their width and height per predicted frame
 * (C-BIoU, Yang et al., WACV 2023: a buffered IoU for motion the Kalman
 * filter did not foresee): a prediction over several frames is less sure
 * than over one. Every frame detected (interval 1), nothing changes. On
 * MOT15 (docs/tracking.md, Detector interval) 0.1 took interval 3 from MOTA
 * 31.0 to 32.6 and 136 ID switches to 95 with the MOT15 settings; 0.15–0.3
 * did no better.
 */
const BUFFER_PER_PREDICTED_FRAME = 0.1;

/** IoU at which a tracked and a lost track count as one object (ByteTrack's remove_duplicate_stracks: distance < 0.15). */
const DUPLICATE_IOU = 0.85;

const z = new Float64Array(4);

export class ByteTracker extends TrackerBase<ByteTrack> {
  /** The assignment's cost matrix, reused frame to frame. */
  private cost = new Float64Array(256);
  /** predict() calls since the last update(). */
  private predicted = 0;

  constructor(private readonly config: TrackerConfig) {
    super();
  }

  update(detections: readonly Detection[]): TrackedObject[] {
    const c = this.config;
    this.frame++;
    this.endedIds = [];
    const high: number[] = [];
    const low: number[] = [];
    for (let i = 0; i < detections.length; i++) {
      const { score, box } = detections[i]!;
      if (!hasArea(box)) continue;
      if (score >= c.high_score) high.push(i);
      else if (score >= c.low_score) low.push(i);
    }
    const pool: ByteTrack[] = [];
    const tentative: ByteTrack[] = [];
    for (const track of this.tracks) {
      step(track);
      (track.state === 'tentative' ? tentative : pool).push(track);
    }

    const first = this.match(pool, high, detections, 1 - c.match_iou, c.fuse_score);
    for (const [t, d] of first.pairs) this.hit(pool[t]!, detections, d);
    const unmatchedTracked: ByteTrack[] = [];
    for (const t of first.tracks) if (pool[t]!.state === 'tracked') unmatchedTracked.push(pool[t]!);
    const second = this.match(unmatchedTracked, low, detections, 1 - c.low_match_iou, false);
    for (const [t, d] of second.pairs) this.hit(unmatchedTracked[t]!, detections, d);
    for (const t of second.tracks) unmatchedTracked[t]!.state = 'lost';

    const left = first.detections;
    for (let i = 0; i < left.length; i++) left[i] = high[left[i]!]!;
    const third = this.match(tentative, left, detections, 1 - c.confirm_iou, c.fuse_score);
    for (const [t, d] of third.pairs) this.hit(tentative[t]!, detections, d);
    for (const t of third.tracks) tentative[t]!.state = DROPPED;
    const born: ByteTrack[] = [];
    for (const i of third.detections) {
      const d = left[i]!;
      if (detections[d]!.score >= c.new_track_score) born.push(this.start(detections, d));
    }
    let kept = 0;
    for (const t of this.tracks) {
      if (t.state === DROPPED) continue;
      if (t.state === 'lost' && this.frame - t.lastFrame > c.lost_frames) this.end(t);
      else this.tracks[kept++] = t;
    }
    this.tracks.length = kept;
    for (const t of born) this.tracks.push(t);
    this.removeDuplicates();
    this.predicted = 0;
    return this.report();
  }

  predict(): TrackedObject[] {
    this.predicted++;
    this.endedIds = [];
    const out: TrackedObject[] = [];
    for (const t of this.tracks) {
      step(t);
      if (t.state === 'tracked' && t.lastFrame === this.frame) out.push({ trackId: t.id, label: t.label, score: t.score, box: boxOf(t.box), objectIndex: out.length });
    }
    return out;
  }

  protected override moves(track: ByteTrack): boolean {
    // A lost track is out of sight as far as the detector knows: were it back and moving, the frame's own motion says so.
    if (track.state !== 'tracked') return track.state === 'tentative';
    const x = track.kf.x;
    return moves(x[4]!, x[5]!, x[7]!, x[3]!);
  }

  /**
   * Pairs tracks with the detections whose indices are in `candidates`; cost
   * 1 − IoU (buffered after predicted frames; × score with fuse), pairs costing more than `limit` never made.
   * Returns the pairs as [track, detection index into `detections`], and the
   * unmatched tracks and candidates as positions in their lists.
   */
  private match(
    tracks: readonly ByteTrack[],
    candidates: readonly number[],
    detections: readonly Detection[],
    limit: number,
    fuse: boolean,
  ): { pairs: Pair[]; tracks: number[]; detections: number[] } {
    const rows = tracks.length;
    const cols = candidates.length;
    if (this.cost.length < rows * cols) this.cost = new Float64Array(2 * rows * cols);
    const cost = this.cost;
    const buffer = BUFFER_PER_PREDICTED_FRAME * this.predicted;
    for (let t = 0; t < rows; t++) {
      const track = tracks[t]!;
      for (let i = 0; i < cols; i++) {
        const det = detections[candidates[i]!]!;
        cost[t * cols + i] = det.label === track.label ? 1 - bufferedIou(track.box, det.box, buffer) * (fuse ? det.score : 1) : Infinity;
      }
    }
    const pairs = solveGated(cost, rows, cols, limit);
    const trackUsed = new Uint8Array(tracks.length);
    const detUsed = new Uint8Array(candidates.length);
    for (const [t, d] of pairs) {
      trackUsed[t] = 1;
      detUsed[d] = 1;
    }
    return {
      pairs: pairs.map(([t, d]): Pair => [t, candidates[d]!]),
      tracks: unused(trackUsed),
      detections: unused(detUsed),
    };
  }

  private hit(track: ByteTrack, detections: readonly Detection[], index: number): void {
    const det = detections[index]!;
    track.kf.update(boxToAspectHeight(det.box, z));
    aspectHeightToBox(track.kf.x, track.box);
    track.score = det.score;
    track.detection = index;
    track.lastFrame = this.frame;
    track.hits++;
    if (track.state === 'lost') track.state = 'tracked';
    if (track.state === 'tentative' && track.hits >= this.config.confirm_frames) this.confirm(track);
  }

  private start(detections: readonly Detection[], index: number): ByteTrack {
    const det = detections[index]!;
    const kf = new KalmanFilter(BYTETRACK_MODEL, boxToAspectHeight(det.box, z));
    const track: ByteTrack = {
      kf,
      label: det.label,
      id: 0,
      state: 'tentative',
      hits: 1,
      score: det.score,
      detection: index,
      startFrame: this.frame,
      lastFrame: this.frame,
      box: aspectHeightToBox(kf.x, new Float64Array(4)),
    };
    // As BYTETracker: what is there in the first frame is confirmed at once.
    if (this.frame === 1 || this.config.confirm_frames <= 1) this.confirm(track);
    return track;
  }

  private confirm(track: ByteTrack): void {
    track.state = 'tracked';
    track.id = this.takeId();
  }

  /** A tracked and a lost track on the same box: the one that lived shorter goes. */
  private removeDuplicates(): void {
    const gone = new Set<ByteTrack>();
    for (const a of this.tracks) {
      if (a.state !== 'tracked') continue;
      for (const b of this.tracks) {
        if (b.state !== 'lost' || gone.has(b) || a.label !== b.label || iou(a.box, b.box) <= DUPLICATE_IOU) continue;
        const younger = this.frame - a.startFrame > this.frame - b.startFrame ? b : a;
        gone.add(younger);
        if (younger === a) break;
      }
    }
    if (gone.size === 0) return;
    for (const t of gone) this.end(t);
    this.tracks = this.tracks.filter((t) => !gone.has(t));
  }

  private report(): TrackedObject[] {
    const out: TrackedObject[] = [];
    for (const t of this.tracks) {
      if (t.state !== 'tracked' || t.lastFrame !== this.frame) continue;
      out.push({ trackId: t.id, label: t.label, score: t.score, box: boxOf(t.box), objectIndex: t.detection });
    }
    return out;
  }
}

/** One frame of a track's motion: a lost track's height stops changing, as in BYTETracker. */
function step(track: ByteTrack): void {
  if (track.state === 'lost') track.kf.x[7] = 0;
  track.kf.predict();
  aspectHeightToBox(track.kf.x, track.box);
}

function unused(used: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < used.length; i++) if (!used[i]) out.push(i);
  return out;
}
