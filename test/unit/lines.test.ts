import { describe, expect, it } from 'vitest';
import { alongLine, pixelLine, signedDistance } from '../../agent/analytics/geometry.js';
import { LineSide } from '../../agent/analytics/line-side.js';

/** A horizontal line across x 100-500 at y 200, drawn left to right, in a 640x480 frame. */
const line = pixelLine(100, 200, 500, 200);
const BAND = 10;

/** Feeds anchor positions (one a frame, 100 ms apart) and returns the crossings: +1 in (upwards), -1 out. */
function crossings(path: readonly (readonly [number, number])[], band = BAND): { direction: number; at: number }[] {
  const side = new LineSide();
  const found: { direction: number; at: number }[] = [];
  path.forEach(([x, y], i) => {
    const direction = side.observe(signedDistance(line, x, y), alongLine(line, x, y), i * 100, band);
    if (direction !== 0) found.push({ direction, at: side.crossedAt });
  });
  return found;
}

describe('line geometry', () => {
  it('is positive on the right-hand side seen from the first point (below a left-to-right line on screen)', () => {
    expect(signedDistance(line, 300, 250)).toBe(50);
    expect(signedDistance(line, 300, 150)).toBe(-50);
    expect(signedDistance(pixelLine(500, 200, 100, 200), 300, 250)).toBe(-50);
    // A vertical line drawn downwards: its right-hand side on screen is the left of the picture.
    expect(signedDistance(pixelLine(300, 0, 300, 400), 200, 100)).toBe(100);
  });

  it('says where a point projects along the segment', () => {
    expect(alongLine(line, 100, 0)).toBe(0);
    expect(alongLine(line, 300, 999)).toBe(0.5);
    expect(alongLine(line, 500, 200)).toBe(1);
    expect(alongLine(line, 600, 200)).toBe(1.25);
  });
});

describe('LineSide: crossings with direction and hysteresis', () => {
  it('counts a walk upwards across the line as the first direction, timed where the path met the line', () => {
    // y 260 → 140 in steps of 30: meets y 200 at frame 2 exactly.
    expect(crossings([260, 230, 200, 170, 140].map((y) => [300, y] as const))).toEqual([{ direction: 1, at: 200 }]);
  });

  it('counts a walk downwards as the second direction, interpolating the time between frames', () => {
    // 180 → 220 between frames 1 and 2: met the line halfway, at 150 ms.
    expect(crossings([140, 180, 220, 260].map((y) => [300, y] as const))).toEqual([{ direction: -1, at: 150 }]);
  });

  it('counts a box jittering on the line once', () => {
    // Comes from below, jitters ±8 px (inside the 10 px band) around the line many times, then leaves above.
    const jitter = [250, 215, 208, 192, 207, 193, 208, 195, 205, 192, 188, 150];
    expect(crossings(jitter.map((y) => [300, y] as const))).toEqual([{ direction: 1, at: 838 }]); // the last time it met the line: 205 → 192 between 800 and 900 ms
    // The same jitter with no band would count every swing.
    expect(crossings(jitter.map((y) => [300, y] as const), 0).length).toBeGreaterThan(5);
  });

  it('counts the way back only once the anchor is as far past the line again', () => {
    const path = [250, 180, 195, 205, 208, 195, 185, 230].map((y) => [300, y] as const);
    expect(crossings(path).map((c) => c.direction)).toEqual([1, -1]);
    // Up, then back down into the band only: one crossing.
    expect(crossings([250, 180, 195, 205, 209, 195].map((y) => [300, y] as const)).map((c) => c.direction)).toEqual([1]);
  });

  it('counts one crossing for an object that jumps the band between two frames', () => {
    expect(crossings([[300, 260], [300, 120]])).toEqual([{ direction: 1, at: 43 }]);
  });

  it('does not count a path that passes beyond the end of the segment', () => {
    expect(crossings([550, 560, 570].map((x, i) => [x, [250, 200, 150][i]!] as const))).toEqual([]);
    expect(crossings([40, 50, 60].map((x, i) => [x, [250, 200, 150][i]!] as const))).toEqual([]);
  });

  it('does not count an object first seen inside the band, whose starting side is unknown, nor one that never crosses', () => {
    expect(crossings([205, 195, 150].map((y) => [300, y] as const))).toEqual([]);
    expect(crossings([250, 240, 230, 240, 250].map((y) => [300, y] as const))).toEqual([]);
  });

  it('does not count the way back round the end of the line after a real crossing', () => {
    const path: [number, number][] = [
      [300, 250],
      [300, 150], // crosses upwards
      [600, 150], // walks right past the end
      [600, 250], // comes down beyond the end
      [300, 250], // and back below the line
    ];
    expect(crossings(path).map((c) => c.direction)).toEqual([1]);
  });
});
