import { describe, expect, it } from 'vitest';
import { clamp, computeLetterbox, unletterboxBox } from '../../agent/core/letterbox.js';

describe('computeLetterbox', () => {
  it('fits 768x576 into 416x416 at the top-left corner', () => {
    const lb = computeLetterbox({ width: 768, height: 576 }, { width: 416, height: 416 }, 'top_left');
    // min(416/768, 416/576) = 416/768 = 0.541666…
    expect(lb.scale).toBeCloseTo(0.5416667, 6);
    expect(lb.resized).toEqual({ width: 416, height: 312 }); // 576 * 0.541666 = 312
    expect(lb.padX).toBe(0);
    expect(lb.padY).toBe(0);
  });

  it('centres 768x576 in 416x416: padY = floor((416 - 312) / 2) = 52', () => {
    const lb = computeLetterbox({ width: 768, height: 576 }, { width: 416, height: 416 }, 'center');
    expect(lb.scale).toBeCloseTo(0.5416667, 6);
    expect(lb.resized).toEqual({ width: 416, height: 312 });
    expect(lb.padX).toBe(0);
    expect(lb.padY).toBe(52);
  });

  it('fits a portrait 480x640 frame: height limits the scale, padding goes left/right', () => {
    const lb = computeLetterbox({ width: 480, height: 640 }, { width: 416, height: 416 }, 'center');
    // min(416/480 = 0.8667, 416/640 = 0.65) = 0.65 → 312x416
    expect(lb.scale).toBeCloseTo(0.65, 10);
    expect(lb.resized).toEqual({ width: 312, height: 416 });
    expect(lb.padX).toBe(52);
    expect(lb.padY).toBe(0);
    const tl = computeLetterbox({ width: 480, height: 640 }, { width: 416, height: 416 }, 'top_left');
    expect([tl.padX, tl.padY]).toEqual([0, 0]);
  });

  it('rounds an odd padding down: 100x60 into 64x64 centred', () => {
    // scale 0.64 → 64x38.4 → 64x38; padY = floor(26 / 2) = 13
    const lb = computeLetterbox({ width: 100, height: 60 }, { width: 64, height: 64 }, 'center');
    expect(lb.resized).toEqual({ width: 64, height: 38 });
    expect(lb.padY).toBe(13);
    // 100x66 → 64x42.24 → 42; padY = floor(22 / 2) = 11
    const odd = computeLetterbox({ width: 100, height: 66 }, { width: 64, height: 64 }, 'center');
    expect(odd.resized.height).toBe(42);
    expect(odd.padY).toBe(11);
  });

  it('upscales a small source', () => {
    const lb = computeLetterbox({ width: 100, height: 50 }, { width: 400, height: 400 }, 'center');
    expect(lb.scale).toBe(4);
    expect(lb.resized).toEqual({ width: 400, height: 200 });
    expect(lb.padY).toBe(100);
  });

  it('rejects a zero-size or negative source', () => {
    expect(() => computeLetterbox({ width: 0, height: 576 }, { width: 416, height: 416 }, 'center')).toThrow(RangeError);
    expect(() => computeLetterbox({ width: 768, height: 0 }, { width: 416, height: 416 }, 'top_left')).toThrow(/positive/);
    expect(() => computeLetterbox({ width: -1, height: 10 }, { width: 416, height: 416 }, 'top_left')).toThrow(RangeError);
  });
});

describe('unletterboxBox', () => {
  const source = { width: 768, height: 576 };

  it('maps the full resized area back to the full frame (center)', () => {
    const lb = computeLetterbox(source, { width: 416, height: 416 }, 'center');
    const box = unletterboxBox([0, 52, 416, 364], lb, source);
    expect(box[0]).toBeCloseTo(0, 6);
    expect(box[1]).toBeCloseTo(0, 6);
    expect(box[2]).toBeCloseTo(768, 6);
    expect(box[3]).toBeCloseTo(576, 6);
  });

  it('maps an inner box back: subtract padding, divide by scale', () => {
    const lb = computeLetterbox(source, { width: 416, height: 416 }, 'center');
    // x: 104 / (416/768) = 192; y: (52 + 52 - 52) / s = 96; x2: 208 → 384; y2: (156 - 52) → 192
    const box = unletterboxBox([104, 104, 208, 156], lb, source);
    expect(box[0]).toBeCloseTo(192, 6);
    expect(box[1]).toBeCloseTo(96, 6);
    expect(box[2]).toBeCloseTo(384, 6);
    expect(box[3]).toBeCloseTo(192, 6);
  });

  it('top_left placement only divides by the scale', () => {
    const lb = computeLetterbox(source, { width: 416, height: 416 }, 'top_left');
    const box = unletterboxBox([80, 36, 88, 52], lb, source);
    expect(box[0]).toBeCloseTo((80 * 768) / 416, 6);
    expect(box[1]).toBeCloseTo((36 * 768) / 416, 6);
    expect(box[2]).toBeCloseTo((88 * 768) / 416, 6);
    expect(box[3]).toBeCloseTo((52 * 768) / 416, 6);
  });

  it('clamps boxes reaching into the padding or outside the input to the frame', () => {
    const lb = computeLetterbox(source, { width: 416, height: 416 }, 'center');
    // y = 10 lies in the top padding (< 52); y2 = 400 in the bottom padding (> 364); x beyond both edges.
    expect(unletterboxBox([-20, 10, 500, 400], lb, source)).toEqual([0, 0, 768, 576]);
  });
});

describe('clamp', () => {
  it('limits to [lo, hi]', () => {
    expect(clamp(-1, 0, 10)).toBe(0);
    expect(clamp(11, 0, 10)).toBe(10);
    expect(clamp(5, 0, 10)).toBe(5);
  });
});
