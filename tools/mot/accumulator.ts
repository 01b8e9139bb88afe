import { solveAssignment } from '../../agent/tracking/assignment.js';
import { rowsByFrame, type MotRow } from './mot-file.js';

/**
 * Per-frame CLEAR MOT matching of ground truth (objects) to tracker output
 * (hypotheses), as py-motmetrics' MOTAccumulator does it:
 * 1. an object matched in the previous frame keeps its hypothesis while the
 *    pair is still valid (IoU ≥ 0.5);
 * 2. the rest are paired by a min-cost assignment on 1 − IoU that first
 *    pairs as many valid pairs as it can (motmetrics' expensive edges);
 *    a pair whose object had another hypothesis before is an ID switch;
 * 3. objects left over are misses (FN), hypotheses left over are FP.
 * It also counts, per (object, hypothesis), the frames where the pair was
 * valid: the IDF1 assignment works on those.
 */

/** Everything the metrics are computed from, for one sequence (or summed over several). */
export interface MotCounts {
  frames: number;
  /** Ground-truth boxes (each object in each frame). */
  objects: number;
  /** Hypothesis boxes. */
  predictions: number;
  /** Matched pairs, switches included. */
  matches: number;
  switches: number;
  falsePositives: number;
  misses: number;
  /** Σ (1 − IoU) over matched pairs. */
  distanceSum: number;
  fragmentations: number;
  /**
   * Fragmentations as the MOT devkit counts them: a track interrupted between
   * two matched frames, also when the object was only absent from the
   * ground truth (occluded, or a conf-0 row) in between — SORT's table.
   */
  fragmentationsDevkit: number;
  /** Per ground-truth id: frames present, frames matched. */
  readonly objectFrames: Map<number, { present: number; tracked: number }>;
  /** Per hypothesis id: frames present. */
  readonly hypothesisFrames: Map<number, number>;
  /** Per object id → hypothesis id → frames in which the pair had IoU ≥ threshold. */
  readonly pairFrames: Map<number, Map<number, number>>;
}

export interface AccumulatorOptions {
  /** Least IoU for a valid pair (distance 1 − IoU ≤ 1 − this). Default 0.5. */
  readonly iouThreshold?: number;
}

export class MotAccumulator {
  private readonly maxDistance: number;
  private readonly counts: MotCounts = {
    frames: 0,
    objects: 0,
    predictions: 0,
    matches: 0,
    switches: 0,
    falsePositives: 0,
    misses: 0,
    distanceSum: 0,
    fragmentations: 0,
    fragmentationsDevkit: 0,
    objectFrames: new Map(),
    hypothesisFrames: new Map(),
    pairFrames: new Map(),
  };
  /** Object id → the hypothesis it was last matched to (ever). */
  private readonly assigned = new Map<number, number>();
  /** Objects matched in the previous update: the only ones whose pair carries over. */
  private matchedPrevious = new Set<number>();
  private readonly everTracked = new Set<number>();
  private readonly lastTracked = new Set<number>();
  /** Object id → frame number it was last matched in. */
  private readonly lastTrackedFrame = new Map<number, number>();

  constructor(options: AccumulatorOptions = {}) {
    this.maxDistance = 1 - (options.iouThreshold ?? 0.5);
  }

  /** One frame: the ground truth and the hypotheses present in it. */
  update(objects: readonly MotRow[], hypotheses: readonly MotRow[]): void {
    const c = this.counts;
    c.frames++;
    c.objects += objects.length;
    c.predictions += hypotheses.length;
    for (const o of objects) {
      const entry = c.objectFrames.get(o.id) ?? { present: 0, tracked: 0 };
      entry.present++;
      c.objectFrames.set(o.id, entry);
    }
    for (const h of hypotheses) c.hypothesisFrames.set(h.id, (c.hypothesisFrames.get(h.id) ?? 0) + 1);

    const dist = objects.map((o) => hypotheses.map((h) => this.distance(o, h)));
    this.countValidPairs(objects, hypotheses, dist);
    const objectDone = new Array<boolean>(objects.length).fill(false);
    const hypothesisDone = new Array<boolean>(hypotheses.length).fill(false);
    const matched: number[] = [];
    const match = (i: number, j: number): void => {
      objectDone[i] = true;
      hypothesisDone[j] = true;
      matched.push(objects[i]!.id);
      c.matches++;
      c.distanceSum += dist[i]![j]!;
    };

    // 1. carry over last frame's pairs that are still valid
    objects.forEach((o, i) => {
      if (!this.matchedPrevious.has(o.id)) return;
      const previous = this.assigned.get(o.id);
      const j = hypotheses.findIndex((h, index) => !hypothesisDone[index] && h.id === previous);
      if (j >= 0 && Number.isFinite(dist[i]![j]!)) match(i, j);
    });

    // 2. min-cost assignment of the rest, as many valid pairs as possible first
    for (const [i, j] of this.assignRest(dist, objectDone, hypothesisDone)) {
      const objectId = objects[i]!.id;
      const hypothesisId = hypotheses[j]!.id;
      const previous = this.assigned.get(objectId);
      if (previous !== undefined && previous !== hypothesisId) c.switches++;
      this.assigned.set(objectId, hypothesisId);
      match(i, j);
    }

    // 3. and 4. the rest are misses and false positives
    objects.forEach((o, i) => {
      if (objectDone[i]) return;
      c.misses++;
      this.lastTracked.delete(o.id);
    });
    c.falsePositives += hypothesisDone.filter((done) => !done).length;

    const frame = objects[0]?.frame ?? 0;
    for (const id of matched) {
      c.objectFrames.get(id)!.tracked++;
      const last = this.lastTrackedFrame.get(id);
      if (last !== undefined && last < frame - 1) c.fragmentationsDevkit++;
      this.lastTrackedFrame.set(id, frame);
      if (this.everTracked.has(id) && !this.lastTracked.has(id)) c.fragmentations++;
      this.everTracked.add(id);
      this.lastTracked.add(id);
    }
    this.matchedPrevious = new Set(matched);
  }

  /** Scores a whole sequence: every frame that has ground truth or hypotheses, in order. */
  static scoreSequence(groundTruth: readonly MotRow[], hypotheses: readonly MotRow[], options?: AccumulatorOptions): MotCounts {
    const accumulator = new MotAccumulator(options);
    const gtFrames = rowsByFrame(groundTruth);
    const hypFrames = rowsByFrame(hypotheses);
    const frames = [...new Set([...gtFrames.keys(), ...hypFrames.keys()])].sort((a, b) => a - b);
    for (const frame of frames) accumulator.update(gtFrames.get(frame) ?? [], hypFrames.get(frame) ?? []);
    return accumulator.result();
  }

  result(): MotCounts {
    return this.counts;
  }

  /** 1 − IoU, or NaN where the pair is not valid (motmetrics' iou_matrix). */
  private distance(a: MotRow, b: MotRow): number {
    const d = 1 - iou(a, b);
    return d > this.maxDistance ? Number.NaN : d;
  }

  private countValidPairs(objects: readonly MotRow[], hypotheses: readonly MotRow[], dist: readonly (readonly number[])[]): void {
    objects.forEach((o, i) => {
      hypotheses.forEach((h, j) => {
        if (!Number.isFinite(dist[i]![j]!)) return;
        let row = this.counts.pairFrames.get(o.id);
        if (!row) this.counts.pairFrames.set(o.id, (row = new Map()));
        row.set(h.id, (row.get(h.id) ?? 0) + 1);
      });
    });
  }

  /**
   * motmetrics' linear_sum_assignment on a sparse matrix: forbidden pairs
   * cost more than any all-valid assignment could (2·r·(max|c| + 1) + 1),
   * so the optimum pairs as many valid pairs as possible; forbidden pairs
   * it still chose are dropped.
   */
  private assignRest(dist: readonly (readonly number[])[], objectDone: readonly boolean[], hypothesisDone: readonly boolean[]): [number, number][] {
    const rows = objectDone.flatMap((done, i) => (done ? [] : [i]));
    const cols = hypothesisDone.flatMap((done, j) => (done ? [] : [j]));
    const valid = rows.map((i) => cols.map((j) => Number.isFinite(dist[i]![j]!)));
    let maxAbs = -1;
    rows.forEach((i, r) => cols.forEach((j, k) => valid[r]![k] && (maxAbs = Math.max(maxAbs, Math.abs(dist[i]![j]!)))));
    if (maxAbs < 0) return [];
    const forbidden = 2 * Math.min(rows.length, cols.length) * (maxAbs + 1) + 1;
    const cost = rows.map((i, r) => cols.map((j, k) => (valid[r]![k] ? dist[i]![j]! : forbidden)));
    return solveAssignment(cost)
      .filter(([r, k]) => valid[r]![k])
      .map(([r, k]): [number, number] => [rows[r]!, cols[k]!]);
  }
}

/** Intersection over union of two (x, y, w, h) boxes, as motmetrics' boxiou (no +1 pixel). */
export function iou(a: Pick<MotRow, 'x' | 'y' | 'w' | 'h'>, b: Pick<MotRow, 'x' | 'y' | 'w' | 'h'>): number {
  const iw = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const ih = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const inter = iw * ih;
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : 0;
}
