import { describe, expect, it } from 'vitest';
import { solveAssignment, type Pair } from '../../agent/tracking/assignment.js';
import { seededRandom } from '../helpers/seeded-random.js';

const total = (cost: number[][], pairs: readonly Pair[]): number => pairs.reduce((sum, [r, c]) => sum + cost[r]![c]!, 0);

/** Every way to give each row a distinct column (rows ≤ cols), the cheapest. */
function bruteForce(cost: number[][]): number {
  const cols = cost[0]!.length;
  const best = (row: number, used: Set<number>): number => {
    if (row === cost.length) return 0;
    let min = Infinity;
    for (let c = 0; c < cols; c++) {
      if (used.has(c)) continue;
      used.add(c);
      min = Math.min(min, cost[row]![c]! + best(row + 1, used));
      used.delete(c);
    }
    return min;
  };
  return best(0, new Set());
}

describe('solveAssignment', () => {
  it('finds the cheapest pairing a person can check: the greedy first choice is not it', () => {
    // Row 0's cheapest column (0) is row 1's only good one.
    const cost = [
      [1, 2],
      [1, 9],
    ];
    expect(solveAssignment(cost)).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });

  it('matches brute force on random square and rectangular matrices, both orientations', () => {
    const random = seededRandom(7);
    for (let trial = 0; trial < 200; trial++) {
      const rows = 1 + Math.floor(random() * 5);
      const cols = 1 + Math.floor(random() * 5);
      const cost = Array.from({ length: rows }, () => Array.from({ length: cols }, () => Math.round(random() * 100) / 10));
      const pairs = solveAssignment(cost);
      expect(pairs).toHaveLength(Math.min(rows, cols));
      expect(new Set(pairs.map((p) => p[0])).size).toBe(pairs.length);
      expect(new Set(pairs.map((p) => p[1])).size).toBe(pairs.length);
      const transposed = cost[0]!.map((_, c) => cost.map((row) => row[c]!));
      const optimum = rows <= cols ? bruteForce(cost) : bruteForce(transposed);
      expect(total(cost, pairs)).toBeCloseTo(optimum, 9);
    }
  });

  it('with a cost limit, leaves a row unmatched rather than pair it above the limit', () => {
    const cost = [
      [0.1, 0.75],
      [0.2, Infinity],
    ];
    // Forced to match both, the cheapest is (0,1) + (1,0) = 0.95; leaving row 1 and column 1 out costs 0.1 + 0.4 + 0.4.
    expect(solveAssignment(cost, 0.8)).toEqual([[0, 0]]);
    expect(solveAssignment([[0.9]], 0.8)).toEqual([]);
    expect(solveAssignment([[0.79]], 0.8)).toEqual([[0, 0]]);
  });

  it('answers nothing for an empty side', () => {
    expect(solveAssignment([])).toEqual([]);
    expect(solveAssignment([[], []])).toEqual([]);
    expect(solveAssignment([], 0.5)).toEqual([]);
  });
});
