import { describe, expect, it } from 'vitest';
import { boxArea, classwiseNms, iou, type Candidate } from '../../agent/inference/nms.js';

describe('boxArea', () => {
  it('is width × height, 0 for inverted boxes', () => {
    expect(boxArea([0, 0, 10, 20])).toBe(200);
    expect(boxArea([10, 0, 0, 20])).toBe(0);
  });
});

describe('iou', () => {
  it('is 1 for identical boxes', () => {
    expect(iou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
  });

  it('is 0 for disjoint and for edge-touching boxes', () => {
    expect(iou([0, 0, 10, 10], [20, 20, 30, 30])).toBe(0);
    expect(iou([0, 0, 10, 10], [10, 0, 20, 10])).toBe(0);
  });

  it('half overlap: [0,0,10,10] vs [5,0,15,10] = 50 / 150 = 1/3', () => {
    expect(iou([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(1 / 3, 12);
  });

  it('is symmetric and handles containment: 25 / 100', () => {
    expect(iou([0, 0, 10, 10], [2, 2, 7, 7])).toBeCloseTo(0.25, 12);
    expect(iou([2, 2, 7, 7], [0, 0, 10, 10])).toBeCloseTo(0.25, 12);
  });

  it('corner overlap: [0,0,10,10] vs [5,5,15,15] = 25 / 175', () => {
    expect(iou([0, 0, 10, 10], [5, 5, 15, 15])).toBeCloseTo(25 / 175, 12);
  });
});

const c = (box: [number, number, number, number], score: number, classId: number): Candidate => ({ box, score, classId });

describe('classwiseNms', () => {
  it('keeps overlapping boxes of different classes', () => {
    const person = c([0, 0, 10, 10], 0.9, 0);
    const car = c([0, 0, 10, 10], 0.8, 2);
    expect(classwiseNms([car, person], 0.45, 100)).toEqual([person, car]);
  });

  it('suppresses a same-class box above the threshold', () => {
    const a = c([0, 0, 10, 10], 0.9, 0);
    const b = c([1, 0, 11, 10], 0.8, 0); // iou = 90 / 110 = 0.818
    expect(classwiseNms([b, a], 0.45, 100)).toEqual([a]);
  });

  it('keeps a same-class box below the threshold', () => {
    const a = c([0, 0, 10, 10], 0.9, 0);
    const b = c([5, 0, 15, 10], 0.8, 0); // iou = 1/3
    expect(classwiseNms([a, b], 0.45, 100)).toEqual([a, b]);
    // Same pair with a threshold below 1/3: suppressed.
    expect(classwiseNms([a, b], 0.3, 100)).toEqual([a]);
  });

  it('suppresses only above the threshold, not at it', () => {
    const a = c([0, 0, 10, 10], 0.9, 0);
    const b = c([5, 0, 15, 10], 0.8, 0); // iou = 0.3333…
    expect(classwiseNms([a, b], iou(a.box, b.box), 100)).toEqual([a, b]);
  });

  it('a suppressed box does not suppress others (greedy from the highest score)', () => {
    // a suppresses b; b would have suppressed d, but a suppressed box suppresses nothing.
    const a = c([0, 0, 10, 10], 0.9, 0);
    const b = c([2, 0, 12, 10], 0.8, 0); // iou(a,b) = 80/120 = 0.667
    const d = c([6, 0, 16, 10], 0.7, 0); // iou(a,d) = 40/160 = 0.25, iou(b,d) = 60/140 = 0.43
    expect(classwiseNms([d, b, a], 0.4, 100)).toEqual([a, d]);
  });

  it('orders survivors by descending score', () => {
    const list = [c([0, 0, 1, 1], 0.2, 0), c([10, 10, 11, 11], 0.9, 1), c([20, 20, 21, 21], 0.5, 0)];
    expect(classwiseNms(list, 0.45, 100).map((x) => x.score)).toEqual([0.9, 0.5, 0.2]);
  });

  it('returns at most maxDetections, the highest-scoring ones', () => {
    const list = [0.1, 0.7, 0.3, 0.9, 0.5].map((s, i) => c([i * 20, 0, i * 20 + 10, 10], s, 0));
    expect(classwiseNms(list, 0.45, 2).map((x) => x.score)).toEqual([0.9, 0.7]);
    expect(classwiseNms(list, 0.45, 5)).toHaveLength(5);
  });

  it('does not modify its input and handles an empty list', () => {
    const list = [c([0, 0, 1, 1], 0.2, 0), c([10, 10, 11, 11], 0.9, 1)];
    const copy = [...list];
    classwiseNms(list, 0.45, 100);
    expect(list).toEqual(copy);
    expect(classwiseNms([], 0.45, 100)).toEqual([]);
  });
});
