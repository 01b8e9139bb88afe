import { describe, expect, it } from 'vitest';
import { squareCrop } from '../../agent/inference/crop.js';

describe('squareCrop', () => {
  it('centres a square of the longer box side on the box', () => {
    // box 40x80 centred at (120, 140): side 80 → x = 120 - 40, y = 140 - 40
    expect(squareCrop([100, 100, 140, 180], 640, 480)).toEqual({ x: 80, y: 100, width: 80, height: 80 });
  });

  it('multiplies the side by the margin', () => {
    // side = 80 * 1.5 = 120 → x = 120 - 60, y = 140 - 60
    expect(squareCrop([100, 100, 140, 180], 640, 480, 1.5)).toEqual({ x: 60, y: 80, width: 120, height: 120 });
    // side = round(80 * 1.1) = 88 → x = 120 - 44, y = 140 - 44
    expect(squareCrop([100, 100, 140, 180], 640, 480, 1.1)).toEqual({ x: 76, y: 96, width: 88, height: 88 });
  });

  it('shifts the square inside the frame at the top-left edge, without shrinking it', () => {
    // box 20x40 centred at (10, 20): side 40 would start at (-10, 0)
    expect(squareCrop([0, 0, 20, 40], 640, 480)).toEqual({ x: 0, y: 0, width: 40, height: 40 });
  });

  it('shifts the square inside the frame at the bottom-right edge', () => {
    // centred at (630, 460), side 40: x would be 610..650 → 600; y 440..480 fits
    expect(squareCrop([620, 440, 640, 480], 640, 480)).toEqual({ x: 600, y: 440, width: 40, height: 40 });
    // side 100 at centre (630, 470): x 580..680 → 540, y 420..520 → 380
    expect(squareCrop([600, 460, 660, 480], 640, 480, 100 / 60)).toEqual({ x: 540, y: 380, width: 100, height: 100 });
  });

  it('shrinks the square to the shorter frame side when it does not fit, staying square', () => {
    // side 300 in a 200x100 frame → 100x100 centred on the box centre (150, 100), shifted inside
    expect(squareCrop([0, 0, 300, 200], 200, 100)).toEqual({ x: 100, y: 0, width: 100, height: 100 });
    // side 150 fits the width (640) but not the height (100): 100x100 around x centre 375
    expect(squareCrop([300, 0, 450, 100], 640, 100)).toEqual({ x: 325, y: 0, width: 100, height: 100 });
  });

  it('never returns an empty crop for a degenerate box', () => {
    expect(squareCrop([10, 10, 10, 10], 640, 480)).toEqual({ x: 10, y: 10, width: 1, height: 1 });
  });
});
