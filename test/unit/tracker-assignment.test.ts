import { describe, expect, it } from 'vitest';
import { solveAssignment } from '../../agent/tracking/assignment.js';
import { solveGated } from '../../agent/tracking/gated-assignment.js';
import { seededRandom } from '../helpers/seeded-random.js';

const flat = (cost: number[][]): Float64Array => Float64Array.from(cost.flat());
const total = (cost: number[][], pairs: readonly (readonly [number, number])[], limit: number): number => {
  const rows = cost.length;
  const cols = cost[0]!.length;
  // lapjv's extended cost: each unmatched row or column costs limit / 2.
  return pairs.reduce((sum, [r, c]) => sum + cost[r]![c]!, 0) + ((rows - pairs.length) * limit) / 2 + ((cols - pairs.length) * limit) / 2;
};

describe('solveGated', () => {
  it('pairs two separate groups on their own: a lone pair at once, a contested pair by the cheapest total', () => {
    const cost = [
      [0.1, 0.9, Infinity],
      [0.9, 0.2, 0.3],
      [Infinity, 0.25, 0.9],
    ];
    // Row 0 / col 0 alone within the limit 0.8; rows 1-2 contest cols 1-2: 0.3 + 0.25 beats 0.2 + 0.9.
    expect(solveGated(flat(cost), 3, 3, 0.8)).toEqual([
      [0, 0],
      [1, 2],
      [2, 1],
    ]);
  });

  it('never pairs above the limit, and leaves rows without a candidate unmatched', () => {
    expect(solveGated(flat([[0.95, 0.9]]), 1, 2, 0.8)).toEqual([]);
    expect(solveGated(new Float64Array(0), 0, 3, 0.8)).toEqual([]);
  });

  it('costs what solveAssignment with the same limit costs, on 300 random sparse matrices', () => {
    const random = seededRandom(15);
    for (let trial = 0; trial < 300; trial++) {
      const rows = 1 + Math.floor(random() * 7);
      const cols = 1 + Math.floor(random() * 7);
      const limit = 0.5 + random() * 0.4;
      const cost = Array.from({ length: rows }, () =>
        Array.from({ length: cols }, () => (random() < 0.6 ? Infinity : random())),
      );
      const gated = solveGated(flat(cost), rows, cols, limit);
      const full = solveAssignment(cost, limit);
      expect(total(cost, gated, limit)).toBeCloseTo(total(cost, full, limit), 9);
      for (const [r, c] of gated) expect(cost[r]![c]!).toBeLessThanOrEqual(limit);
      expect(new Set(gated.map(([, c]) => c)).size).toBe(gated.length);
    }
  });
});
