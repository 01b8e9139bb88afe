import { describe, expect, it, vi } from 'vitest';
import { FrameQueue } from '../../agent/queue/frame-queue.js';

/** Everything left in `q`, oldest first, as the dispatcher takes it. */
function drain<T>(q: FrameQueue<T>): T[] {
  const all: T[] = [];
  for (let item = q.shift(); item !== undefined; item = q.shift()) all.push(item);
  return all;
}

describe('FrameQueue', () => {
  it('is FIFO', () => {
    const q = new FrameQueue<number>(4, () => {});
    q.push(1);
    q.push(2);
    q.push(3);
    expect(q.size).toBe(3);
    expect(q.shift()).toBe(1);
    expect(q.shift()).toBe(2);
    q.push(4);
    expect(q.shift()).toBe(3);
    expect(q.shift()).toBe(4);
    expect(q.shift()).toBeUndefined();
    expect(q.size).toBe(0);
  });

  it('drops the oldest item when full and hands it to onDrop', () => {
    const onDrop = vi.fn();
    const q = new FrameQueue<string>(2, onDrop);
    q.push('a');
    q.push('b');
    expect(onDrop).not.toHaveBeenCalled();
    q.push('c');
    expect(onDrop).toHaveBeenCalledTimes(1);
    expect(onDrop).toHaveBeenLastCalledWith('a');
    q.push('d');
    expect(onDrop).toHaveBeenLastCalledWith('b');
    expect(q.size).toBe(2);
    expect(drain(q)).toEqual(['c', 'd']);
  });

  it('never holds more than capacity over 1000 pushes, keeps the newest, drops the rest in order', () => {
    const dropped: number[] = [];
    const q = new FrameQueue<number>(4, (x) => dropped.push(x));
    for (let i = 0; i < 1000; i++) {
      q.push(i);
      expect(q.size).toBeLessThanOrEqual(4);
      if (i % 7 === 0) q.shift(); // interleave consumption so head wraps at varied points
    }
    expect(q.size).toBe(4);
    expect(drain(q)).toEqual([996, 997, 998, 999]);
    // each dropped item is older than the next one dropped
    for (let i = 1; i < dropped.length; i++) expect(dropped[i]!).toBeGreaterThan(dropped[i - 1]!);
  });

  it('accounts for every item exactly once: consumed + dropped + left = pushed', () => {
    const dropped: number[] = [];
    const consumed: number[] = [];
    const q = new FrameQueue<number>(3, (x) => dropped.push(x));
    for (let i = 0; i < 100; i++) {
      q.push(i);
      if (i % 5 === 0) consumed.push(q.shift()!);
    }
    const left = drain(q);
    expect([...consumed, ...dropped, ...left].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('shifting everything out empties the queue oldest first without calling onDrop, and it fills again', () => {
    const onDrop = vi.fn();
    const q = new FrameQueue<number>(3, onDrop);
    q.push(1);
    q.push(2);
    expect(drain(q)).toEqual([1, 2]);
    expect(q.size).toBe(0);
    expect(q.shift()).toBeUndefined();
    expect(onDrop).not.toHaveBeenCalled();
    q.push(5);
    expect(q.shift()).toBe(5);
  });

  it('capacity 1 keeps only the newest', () => {
    const dropped: number[] = [];
    const q = new FrameQueue<number>(1, (x) => dropped.push(x));
    q.push(1);
    q.push(2);
    q.push(3);
    expect(dropped).toEqual([1, 2]);
    expect(q.shift()).toBe(3);
  });

  it('counts what waits beside its items toward the bound (alsoWaiting), on push and on trim()', () => {
    const dropped: number[] = [];
    let beside = 0;
    const q = new FrameQueue<number>(4, (x) => dropped.push(x), () => beside);
    q.push(1);
    q.push(2);
    beside = 2;
    q.trim();
    expect(dropped).toEqual([]);
    q.push(3);
    expect(dropped).toEqual([1]);
    beside = 5;
    q.trim();
    // Never below empty: what waits beside with nothing queued is not the queue's to drop.
    expect(dropped).toEqual([1, 2, 3]);
    expect(q.size).toBe(0);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new FrameQueue(0, () => {})).toThrow(RangeError);
    expect(() => new FrameQueue(-1, () => {})).toThrow(/positive integer/);
    expect(() => new FrameQueue(2.5, () => {})).toThrow(RangeError);
    expect(() => new FrameQueue(Number.NaN, () => {})).toThrow(RangeError);
  });
});
