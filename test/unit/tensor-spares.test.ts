import { describe, expect, it } from 'vitest';
import { TensorSpares } from '../../agent/capture/tensor-builder.js';

describe('TensorSpares (shared by the cameras of one capture worker)', () => {
  it('hands a returned tensor to whichever camera asks next for that size, and keeps no more than the limit', () => {
    let cameras = 1;
    const spares = new TensorSpares(() => 2 + cameras);
    const small = new ArrayBuffer(8);
    const big = new ArrayBuffer(16);
    spares.give(small);
    spares.give(big);
    expect(spares.take(16)).toBe(big);
    expect(spares.take(16)).toBeUndefined();
    expect(spares.take(8)).toBe(small);
    for (let i = 0; i < 5; i++) spares.give(new ArrayBuffer(16));
    expect(spares.count).toBe(3);
    // The limit follows the worker's cameras.
    cameras = 3;
    for (let i = 0; i < 5; i++) spares.give(new ArrayBuffer(16));
    expect(spares.count).toBe(5);
  });
});
