import { describe, expect, it } from 'vitest';
import { anchorX, anchorY, pointInPolygon } from '../../agent/analytics/geometry.js';
import { ZoneInertia } from '../../agent/analytics/zone-inertia.js';
import type { Box } from '../../agent/core/letterbox.js';
import { polygonProblem, segmentsIntersect, type Point } from '../../agent/util/polygon.js';

const flat = (points: readonly Point[]): [number[], number[]] => [points.map((p) => p[0]), points.map((p) => p[1])];
const inside = (points: readonly Point[], x: number, y: number): boolean => pointInPolygon(x, y, ...flat(points));

describe('pointInPolygon', () => {
  const square: Point[] = [
    [0, 0],
    [10, 0],
    [10, 10],
    [0, 10],
  ];

  it('tells inside from outside for a square', () => {
    expect(inside(square, 5, 5)).toBe(true);
    expect(inside(square, 11, 5)).toBe(false);
    expect(inside(square, -0.01, 5)).toBe(false);
    expect(inside(square, 5, 10.01)).toBe(false);
  });

  it('counts edges and corners as inside, whichever way round the polygon is given', () => {
    for (const polygon of [square, [...square].reverse()]) {
      expect(inside(polygon, 0, 5)).toBe(true);
      expect(inside(polygon, 10, 5)).toBe(true);
      expect(inside(polygon, 5, 0)).toBe(true);
      expect(inside(polygon, 5, 10)).toBe(true);
      expect(inside(polygon, 0, 0)).toBe(true);
      expect(inside(polygon, 10, 10)).toBe(true);
    }
  });

  it('handles a concave polygon: the notch of a U is outside', () => {
    // A U: two legs 0-3 and 7-10 wide, joined along the bottom (y 7-10).
    const u: Point[] = [
      [0, 0],
      [3, 0],
      [3, 7],
      [7, 7],
      [7, 0],
      [10, 0],
      [10, 10],
      [0, 10],
    ];
    expect(inside(u, 1.5, 2)).toBe(true); // left leg
    expect(inside(u, 8.5, 2)).toBe(true); // right leg
    expect(inside(u, 5, 2)).toBe(false); // the notch, between the legs
    expect(inside(u, 5, 6.99)).toBe(false);
    expect(inside(u, 5, 7)).toBe(true); // on the notch's floor, an edge
    expect(inside(u, 5, 9)).toBe(true); // the base
    // A ray from the notch at a vertex's height (y = 0 and y = 7) must not be miscounted.
    expect(inside(u, 5, 0)).toBe(false);
    expect(inside(u, -1, 7)).toBe(false);
    expect(inside(u, 11, 7)).toBe(false);
  });

  it('does not miscount a ray that passes through vertices', () => {
    const diamond: Point[] = [
      [5, 0],
      [10, 5],
      [5, 10],
      [0, 5],
    ];
    expect(inside(diamond, 2, 5)).toBe(true);
    expect(inside(diamond, 5, 5)).toBe(true);
    expect(inside(diamond, -1, 5)).toBe(false);
    expect(inside(diamond, 11, 5)).toBe(false);
    expect(inside(diamond, 1, 1)).toBe(false);
  });
});

describe('anchors', () => {
  const box: Box = [100, 50, 140, 150];
  it.each([
    ['bottom_center', 120, 150],
    ['center', 120, 100],
    ['top_center', 120, 50],
    ['bottom_left', 100, 150],
    ['bottom_right', 140, 150],
    ['center_left', 100, 100],
    ['center_right', 140, 100],
    ['top_left', 100, 50],
    ['top_right', 140, 50],
  ] as const)('%s of [100, 50, 140, 150] is (%d, %d)', (anchor, x, y) => {
    expect([anchorX(box, anchor), anchorY(box, anchor)]).toEqual([x, y]);
  });
});

describe('polygon checks', () => {
  it('finds crossing, touching and collinear-overlapping segments, not disjoint ones', () => {
    expect(segmentsIntersect([0, 0], [2, 2], [0, 2], [2, 0])).toBe(true);
    expect(segmentsIntersect([0, 0], [2, 0], [1, 0], [1, 5])).toBe(true); // T
    expect(segmentsIntersect([0, 0], [2, 0], [1, 0], [3, 0])).toBe(true); // overlap
    expect(segmentsIntersect([0, 0], [1, 0], [2, 0], [3, 0])).toBe(false); // collinear, apart
    expect(segmentsIntersect([0, 0], [1, 1], [0, 1], [0.4, 0.6])).toBe(false);
  });

  it('accepts simple polygons, convex and concave', () => {
    expect(
      polygonProblem([
        [0.1, 0.1],
        [0.9, 0.1],
        [0.9, 0.9],
      ]),
    ).toBeUndefined();
    expect(
      polygonProblem([
        [0, 0],
        [0.3, 0],
        [0.3, 0.7],
        [0.7, 0.7],
        [0.7, 0],
        [1, 0],
        [1, 1],
        [0, 1],
      ]),
    ).toBeUndefined();
  });

  it('names the crossing edges of a bow tie', () => {
    expect(
      polygonProblem([
        [0, 0],
        [1, 1],
        [1, 0],
        [0, 1],
      ]),
    ).toBe('self-intersecting: edge 0 (point 0 → point 1) crosses edge 2 (point 2 → point 3)');
  });

  it('rejects a polygon that touches itself, folds back, repeats a point or has no area', () => {
    // Vertex 4 lies on edge 0-1.
    expect(
      polygonProblem([
        [0, 0],
        [1, 0],
        [1, 1],
        [0.5, 1],
        [0.5, 0],
        [0, 1],
      ]),
    ).toMatch(/^self-intersecting: /);
    expect(
      polygonProblem([
        [0, 0],
        [1, 0],
        [0.5, 0],
        [0.5, 1],
      ]),
    ).toMatch(/fold back/);
    expect(
      polygonProblem([
        [0, 0],
        [1, 0],
        [1, 0],
        [0, 1],
      ]),
    ).toBe('point 1 and point 2 are the same');
    expect(
      polygonProblem([
        [0, 0],
        [0.5, 0.5],
        [1, 1],
      ]),
    ).toMatch(/no area|self-intersecting/);
  });
});

describe('ZoneInertia', () => {
  const run = (frames: readonly boolean[], inertia = 3): (string | undefined)[] => {
    const zone = new ZoneInertia();
    return frames.map((isInside, i) => zone.observe(isInside, 1000 + i * 100, inertia));
  };

  it('enters after 3 frames inside in a row and leaves after 3 outside, timed at the first of them', () => {
    const zone = new ZoneInertia();
    const steps = [false, true, true, true, true, false, false, false].map((isInside, i) => zone.observe(isInside, 1000 + i * 100, 3));
    expect(steps).toEqual([undefined, undefined, undefined, 'entered', undefined, undefined, undefined, 'left']);
    expect(zone.enteredAt).toBe(1100);
    expect(zone.exitedAt).toBe(1500);
  });

  it('ignores a flicker shorter than the inertia, either way', () => {
    expect(run([true, true, false, true, true, false, false, true]).every((step) => step === undefined)).toBe(true);
    const entering = new ZoneInertia();
    expect([true, true, false, true, true, true].map((isInside, i) => entering.observe(isInside, i * 100, 3))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      'entered',
    ]);
    expect(entering.enteredAt).toBe(300);
    const zone = new ZoneInertia();
    [true, true, true, false, false, true, false, true].forEach((isInside, i) => zone.observe(isInside, i * 100, 3));
    expect(zone.inside).toBe(true);
    expect(zone.enteredAt).toBe(0);
  });

  it('with inertia 1 follows every frame', () => {
    expect(run([true, false, true], 1)).toEqual(['entered', 'left', 'entered']);
  });

  it('a track ending inside left at its last sighting, or at the first frame of an unfinished run outside', () => {
    const zone = new ZoneInertia();
    [true, true, true, true].forEach((isInside, i) => zone.observe(isInside, i * 100, 3));
    expect(zone.leftAtEnd(300)).toBe(300);
    zone.observe(false, 400, 3);
    zone.observe(false, 500, 3);
    expect(zone.inside).toBe(true);
    expect(zone.leftAtEnd(500)).toBe(400);
  });
});
