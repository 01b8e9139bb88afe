/**
 * Bounded FIFO that never blocks the producer: when full, the oldest item is
 * evicted and handed to `onDrop`, because for live video the newest frame is
 * the one worth analysing (latency never runs away). `alsoWaiting` counts
 * what waits behind the items without being one (frames the detector
 * skipped, issue 16): the bound is on everything waiting, so a detector
 * interval does not stretch the time a full queue holds.
 */
export class FrameQueue<T> {
  private readonly items: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(
    readonly capacity: number,
    private readonly onDrop: (dropped: T) => void,
    private readonly alsoWaiting: () => number = () => 0,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    this.makeRoom(1);
    this.items[(this.head + this.count) % this.capacity] = item;
    this.count++;
  }

  /** Evicts the oldest items while more than the capacity waits (something joined `alsoWaiting`). */
  trim(): void {
    this.makeRoom(0);
  }

  private makeRoom(incoming: number): void {
    while (this.count > 0 && this.count + this.alsoWaiting() + incoming > this.capacity) this.onDrop(this.shift()!);
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
