import { solveAssignment } from '../../agent/tracking/assignment.js';
import type { MotCounts } from './accumulator.js';

/**
 * CLEAR MOT (Bernardin & Stiefelhagen 2008) and the identity measures
 * (Ristani et al. 2016) from a sequence's counts, defined as py-motmetrics
 * defines them (its motchallenge_metrics), so its expected values check us.
 */
export interface MotMetrics {
  /** Identity F1, precision, recall (fractions 0–1). */
  readonly idf1: number;
  readonly idp: number;
  readonly idr: number;
  readonly recall: number;
  readonly precision: number;
  /** Distinct ground-truth objects. */
  readonly gt: number;
  /** Mostly tracked (≥ 80 % of its frames matched), partially, mostly lost (< 20 %). */
  readonly mt: number;
  readonly pt: number;
  readonly ml: number;
  readonly fp: number;
  readonly fn: number;
  readonly idSwitches: number;
  readonly fragmentations: number;
  /** Fragmentations as the MOT devkit counts them (absence from the ground truth interrupts too). */
  readonly fragmentationsDevkit: number;
  /** 1 − (FN + FP + IDs) / GT boxes (fraction; may be negative). */
  readonly mota: number;
  /** motmetrics' MOTP: mean 1 − IoU over matched pairs (lower is better). */
  readonly motp: number;
  /** The MOT devkit's MOTP: mean IoU over matched pairs, in percent (SORT's table). */
  readonly motpIouPercent: number;
  readonly frames: number;
  readonly gtBoxes: number;
  readonly predictedBoxes: number;
  readonly matches: number;
  readonly idtp: number;
  readonly idfp: number;
  readonly idfn: number;
}

/** What the overall row sums: each sequence's counts, and its IDTP (the identity assignment is per sequence). */
interface Totals {
  counts: Omit<MotCounts, 'objectFrames' | 'hypothesisFrames' | 'pairFrames'>;
  gt: number;
  mt: number;
  pt: number;
  ml: number;
  idtp: number;
}

export function sequenceMetrics(counts: MotCounts): MotMetrics {
  return fromTotals(totals(counts));
}

/** The overall row: counts summed over the sequences, ratios recomputed from the sums (motmetrics' generate_overall). */
export function overallMetrics(sequences: readonly MotCounts[]): MotMetrics {
  const sum = sequences.map(totals).reduce((a, b) => ({
    counts: {
      frames: a.counts.frames + b.counts.frames,
      objects: a.counts.objects + b.counts.objects,
      predictions: a.counts.predictions + b.counts.predictions,
      matches: a.counts.matches + b.counts.matches,
      switches: a.counts.switches + b.counts.switches,
      falsePositives: a.counts.falsePositives + b.counts.falsePositives,
      misses: a.counts.misses + b.counts.misses,
      distanceSum: a.counts.distanceSum + b.counts.distanceSum,
      fragmentations: a.counts.fragmentations + b.counts.fragmentations,
      fragmentationsDevkit: a.counts.fragmentationsDevkit + b.counts.fragmentationsDevkit,
    },
    gt: a.gt + b.gt,
    mt: a.mt + b.mt,
    pt: a.pt + b.pt,
    ml: a.ml + b.ml,
    idtp: a.idtp + b.idtp,
  }));
  return fromTotals(sum);
}

function totals(counts: MotCounts): Totals {
  let mt = 0;
  let pt = 0;
  let ml = 0;
  for (const { present, tracked } of counts.objectFrames.values()) {
    const ratio = present === 0 ? 0 : tracked / present;
    if (ratio >= 0.8) mt++;
    else if (ratio >= 0.2) pt++;
    else ml++;
  }
  const { frames, objects, predictions, matches, switches, falsePositives, misses, distanceSum, fragmentations, fragmentationsDevkit } = counts;
  const plain = { frames, objects, predictions, matches, switches, falsePositives, misses, distanceSum, fragmentations, fragmentationsDevkit };
  return { counts: plain, gt: counts.objectFrames.size, mt, pt, ml, idtp: identityTruePositives(counts) };
}

/**
 * IDTP of the best one-to-one mapping of object ids to hypothesis ids over
 * the whole sequence. motmetrics' id_global_assignment minimises IDFP + IDFN
 * on an (objects + hypotheses)² matrix with a dummy per id; as
 * IDFP + IDFN = (GT boxes + predicted boxes) − 2·IDTP, that optimum is the
 * mapping with the most frames in which the pair overlaps (IoU ≥ 0.5) —
 * solved here on the objects × hypotheses matrix alone.
 */
function identityTruePositives(counts: MotCounts): number {
  const objectIds = [...counts.pairFrames.keys()];
  const hypothesisIds = [...new Set(objectIds.flatMap((o) => [...counts.pairFrames.get(o)!.keys()]))];
  if (objectIds.length === 0) return 0;
  const cost = objectIds.map((o) => {
    const row = counts.pairFrames.get(o)!;
    return hypothesisIds.map((h) => -(row.get(h) ?? 0));
  });
  return solveAssignment(cost).reduce((sum, [r, c]) => sum - cost[r]![c]!, 0);
}

function fromTotals(t: Totals): MotMetrics {
  const c = t.counts;
  const idfn = c.objects - t.idtp;
  const idfp = c.predictions - t.idtp;
  return {
    idf1: ratio(2 * t.idtp, c.objects + c.predictions),
    idp: ratio(t.idtp, t.idtp + idfp),
    idr: ratio(t.idtp, t.idtp + idfn),
    recall: ratio(c.matches, c.objects),
    precision: ratio(c.matches, c.matches + c.falsePositives),
    gt: t.gt,
    mt: t.mt,
    pt: t.pt,
    ml: t.ml,
    fp: c.falsePositives,
    fn: c.misses,
    idSwitches: c.switches,
    fragmentations: c.fragmentations,
    fragmentationsDevkit: c.fragmentationsDevkit,
    mota: 1 - ratio(c.misses + c.falsePositives + c.switches, c.objects),
    motp: ratio(c.distanceSum, c.matches),
    motpIouPercent: 100 * (1 - ratio(c.distanceSum, c.matches)),
    frames: c.frames,
    gtBoxes: c.objects,
    predictedBoxes: c.predictions,
    matches: c.matches,
    idtp: t.idtp,
    idfp,
    idfn,
  };
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? Number.NaN : numerator / denominator;
}
