/**
 * Minimum-cost assignment (Hungarian algorithm, O(n²m) with potentials).
 * Used by the tracker to pair tracks with detections and by the MOT scorer
 * to pair ground truth with hypotheses, so both share one solver.
 */

/** A matched pair: [row, column] of the cost matrix. */
export type Pair = readonly [number, number];

/**
 * Pairs rows with columns at the least total cost. Without a limit every row
 * (or every column, whichever are fewer) is matched. With `costLimit`, a row
 * or column may also stay unmatched at costLimit / 2 each (as `lap.lapjv`'s
 * cost_limit does in ByteTrack), so no pair costing more than the limit is
 * ever returned. Pairs come sorted by row. Costs must be finite without a
 * limit; with one, a forbidden pair may cost Infinity.
 */
export function solveAssignment(cost: readonly (readonly number[])[], costLimit = Infinity): Pair[] {
  const rows = cost.length;
  const cols = rows === 0 ? 0 : cost[0]!.length;
  if (rows === 0 || cols === 0) return [];
  if (Number.isFinite(costLimit)) return solveWithLimit(cost, rows, cols, costLimit);
  if (rows <= cols) return hungarian(rows, cols, (r, c) => cost[r]![c]!);
  return hungarian(cols, rows, (r, c) => cost[c]![r]!)
    .map(([c, r]): Pair => [r, c])
    .sort((a, b) => a[0] - b[0]);
}

/** The square (rows+cols) matrix lapjv's extend_cost builds: dummies at limit / 2, dummy-to-dummy free. */
function solveWithLimit(cost: readonly (readonly number[])[], rows: number, cols: number, limit: number): Pair[] {
  const size = rows + cols;
  const half = limit / 2;
  const at = (r: number, c: number): number => {
    if (r < rows && c < cols) return cost[r]![c]!;
    return r >= rows && c >= cols ? 0 : half;
  };
  return hungarian(size, size, at).filter(([r, c]) => r < rows && c < cols && cost[r]![c]! <= limit);
}

/**
 * rows ≤ cols. The classic shortest-augmenting-path Hungarian algorithm
 * with row and column potentials, 1-based inside as it is usually written.
 */
function hungarian(rows: number, cols: number, at: (r: number, c: number) => number): Pair[] {
  const u = new Float64Array(rows + 1);
  const v = new Float64Array(cols + 1);
  const rowOfCol = new Int32Array(cols + 1);
  const way = new Int32Array(cols + 1);
  const minTo = new Float64Array(cols + 1);
  const used = new Uint8Array(cols + 1);
  for (let r = 1; r <= rows; r++) {
    rowOfCol[0] = r;
    let col0 = 0;
    minTo.fill(Infinity);
    used.fill(0);
    do {
      used[col0] = 1;
      const r0 = rowOfCol[col0]!;
      let delta = Infinity;
      let col1 = 0;
      for (let c = 1; c <= cols; c++) {
        if (used[c]) continue;
        const reduced = at(r0 - 1, c - 1) - u[r0]! - v[c]!;
        if (reduced < minTo[c]!) {
          minTo[c] = reduced;
          way[c] = col0;
        }
        if (minTo[c]! < delta) {
          delta = minTo[c]!;
          col1 = c;
        }
      }
      for (let c = 0; c <= cols; c++) {
        if (used[c]) {
          u[rowOfCol[c]!]! += delta;
          v[c]! -= delta;
        } else {
          minTo[c]! -= delta;
        }
      }
      col0 = col1;
    } while (rowOfCol[col0] !== 0);
    do {
      const col1 = way[col0]!;
      rowOfCol[col0] = rowOfCol[col1]!;
      col0 = col1;
    } while (col0 !== 0);
  }
  const pairs: Pair[] = [];
  for (let c = 1; c <= cols; c++) if (rowOfCol[c]! > 0) pairs.push([rowOfCol[c]! - 1, c - 1]);
  return pairs.sort((a, b) => a[0] - b[0]);
}
