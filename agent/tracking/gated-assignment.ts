import { solveAssignment, type Pair } from './assignment.js';

/**
 * solveAssignment with a cost limit, split into the independent groups that
 * pairs within the limit connect. A pair costing more than the limit is never
 * part of the optimum (leaving both unmatched costs exactly the limit), so the
 * optimum is the union of each group's: a lone track and its lone detection
 * pair at once, and only crowds pay for the Hungarian algorithm. In a scene
 * of well-separated objects that is most of the tracker's cost a frame.
 *
 * cost is row-major rows × cols; pairs come as [row, col], sorted by row.
 */
export function solveGated(cost: Float64Array, rows: number, cols: number, limit: number): Pair[] {
  if (rows === 0 || cols === 0) return [];
  // Union-find over rows (0..rows-1) and columns (rows..rows+cols-1).
  const parent = new Int32Array(rows + cols);
  for (let i = 0; i < parent.length; i++) parent[i] = i;
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  const linked = new Uint8Array(rows + cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (cost[r * cols + c]! <= limit) {
        linked[r] = linked[rows + c] = 1;
        const a = find(r);
        const b = find(rows + c);
        if (a !== b) parent[a] = b;
      }
    }
  }
  const groups = new Map<number, { rows: number[]; cols: number[] }>();
  for (let i = 0; i < rows + cols; i++) {
    if (!linked[i]) continue;
    const root = find(i);
    let group = groups.get(root);
    if (!group) groups.set(root, (group = { rows: [], cols: [] }));
    if (i < rows) group.rows.push(i);
    else group.cols.push(i - rows);
  }
  const pairs: Pair[] = [];
  for (const group of groups.values()) {
    if (group.rows.length === 1 && group.cols.length === 1) {
      pairs.push([group.rows[0]!, group.cols[0]!]);
      continue;
    }
    const sub = group.rows.map((r) => group.cols.map((c) => cost[r * cols + c]!));
    for (const [r, c] of solveAssignment(sub, limit)) pairs.push([group.rows[r]!, group.cols[c]!]);
  }
  return pairs.sort((a, b) => a[0] - b[0]);
}
