/**
 * Bounded FIFO that never blocks the producer: when full, the oldest item is
 * evicted and handed to `onDrop`, because for live video the newest frame is
 * the one worth analysing (latency never runs away).
 */
export class FrameQueue<T> {
  private readonly items: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(
    readonly capacity: number,
    private readonly onDrop: (dropped: T) => void,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.capacity) {
      const oldest = this.shift();
      if (oldest !== undefined) this.onDrop(oldest);
    }
    this.items[(this.head + this.count) % this.capacity] = item;
    this.count++;
  }

  /** The newest item, still queued. */
  peekNewest(): T | undefined {
    return this.count === 0 ? undefined : this.items[(this.head + this.count - 1) % this.capacity];
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    return item;
  }
}
