/**
 * Plane geometry the config checks zones with (issue 15): a zone's polygon
 * must be simple, or "inside" has no meaning an operator would agree with.
 * Pure and allocation-free; points are [x, y].
 */

export type Point = readonly [number, number];

/** Twice the signed area of triangle a, b, c: > 0 counter-clockwise in maths axes (clockwise on screen, where y points down). */
export function cross(a: Point, b: Point, c: Point): number {
  return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
}

/** Whether p, known to be collinear with a and b, lies within their bounding box (so on segment a–b). */
function withinBox(a: Point, b: Point, p: Point): boolean {
  return Math.min(a[0], b[0]) <= p[0] && p[0] <= Math.max(a[0], b[0]) && Math.min(a[1], b[1]) <= p[1] && p[1] <= Math.max(a[1], b[1]);
}

/** Whether closed segments a–b and c–d share a point, touching and collinear overlap included. */
export function segmentsIntersect(a: Point, b: Point, c: Point, d: Point): boolean {
  const d1 = Math.sign(cross(c, d, a));
  const d2 = Math.sign(cross(c, d, b));
  const d3 = Math.sign(cross(a, b, c));
  const d4 = Math.sign(cross(a, b, d));
  if (d1 * d2 < 0 && d3 * d4 < 0) return true;
  return (
    (d1 === 0 && withinBox(c, d, a)) || (d2 === 0 && withinBox(c, d, b)) || (d3 === 0 && withinBox(a, b, c)) || (d4 === 0 && withinBox(a, b, d))
  );
}

/** Twice the polygon's signed area (shoelace). */
export function polygonArea2(points: readonly Point[]): number {
  let sum = 0;
  for (let i = 0; i < points.length; i++) {
    const a = points[i]!;
    const b = points[(i + 1) % points.length]!;
    sum += a[0] * b[1] - b[0] * a[1];
  }
  return sum;
}

/**
 * Why a closed polygon is not simple, in words naming its points by index
 * (`edge 1 (point 1 → point 2) crosses edge 3 (point 3 → point 0)`), or
 * undefined when it is simple. Edges are i → i+1, the last closing the ring.
 */
export function polygonProblem(points: readonly Point[]): string | undefined {
  const n = points.length;
  const edge = (i: number): string => `edge ${i} (point ${i} → point ${(i + 1) % n})`;
  for (let i = 0; i < n; i++) {
    const a = points[i]!;
    const b = points[(i + 1) % n]!;
    if (a[0] === b[0] && a[1] === b[1]) return `point ${i} and point ${(i + 1) % n} are the same`;
  }
  for (let i = 0; i < n; i++) {
    const a = points[i]!;
    const b = points[(i + 1) % n]!;
    for (let j = i + 1; j < n; j++) {
      const c = points[j]!;
      const d = points[(j + 1) % n]!;
      const adjacent = j === i + 1 || (i === 0 && j === n - 1);
      if (!adjacent) {
        if (segmentsIntersect(a, b, c, d)) return `self-intersecting: ${edge(i)} crosses ${edge(j)}`;
        continue;
      }
      // Neighbours share a vertex; they overlap only when they fold back onto each other along one line.
      const [shared, p, q] = j === i + 1 ? [b, a, d] : [a, b, c];
      const folds = cross(shared, p, q) === 0 && (p[0] - shared[0]) * (q[0] - shared[0]) + (p[1] - shared[1]) * (q[1] - shared[1]) > 0;
      if (folds) return `self-intersecting: ${edge(i)} and ${edge(j)} fold back onto each other`;
    }
  }
  if (polygonArea2(points) === 0) return 'has no area (all points on one line)';
  return undefined;
}
