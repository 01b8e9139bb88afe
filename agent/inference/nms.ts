import type { Box } from '../core/letterbox.js';

export interface Candidate {
  readonly box: Box;
  readonly score: number;
  readonly classId: number;
}

export function boxArea(b: Box): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

export function iou(a: Box, b: Box): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = boxArea(a) + boxArea(b) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Class-wise greedy non-maximum suppression: a box only suppresses boxes of
 * its own class, so a person standing in front of a car keeps both.
 * Returns survivors ordered by descending score, at most `maxDetections`.
 */
export function classwiseNms(candidates: readonly Candidate[], iouThreshold: number, maxDetections: number): Candidate[] {
  const sorted = [...candidates].sort((a, b) => b.score - a.score);
  const kept: Candidate[] = [];
  const suppressed = new Uint8Array(sorted.length);
  for (let i = 0; i < sorted.length && kept.length < maxDetections; i++) {
    if (suppressed[i]) continue;
    const winner = sorted[i]!;
    kept.push(winner);
    for (let j = i + 1; j < sorted.length; j++) {
      if (suppressed[j]) continue;
      const other = sorted[j]!;
      if (other.classId === winner.classId && iou(winner.box, other.box) > iouThreshold) suppressed[j] = 1;
    }
  }
  return kept;
}
