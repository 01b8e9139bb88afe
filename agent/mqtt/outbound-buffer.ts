import type { MqttDropReason } from '../core/mqtt-message-kinds.js';
import { messageBytes, type OutboundMessage } from './outbound-message.js';

export interface BufferLimits {
  readonly maxMessages: number;
  readonly maxBytes: number;
}

/** A FIFO with O(1) shift and a rare sorted insert (only when a lost connection hands messages back). */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Merges `items` in, keeping the queue sorted by `rank` (re-sent messages interleave with newer ones by age). */
  insertSorted(items: readonly T[], rank: (item: T) => number): void {
    this.items = [...items, ...this.items.slice(this.head)].sort((a, b) => rank(a) - rank(b));
    this.head = 0;
  }
}

/**
 * Messages waiting for the broker, bounded in count and bytes. When full,
 * the oldest per-frame detection goes first; metrics snapshots are evicted
 * only when no detection is left, because a fleet can live without a
 * frame's boxes but not without its gap-free metrics. Messages leave in the
 * order they arrived, across both kinds. Every eviction is reported.
 */
export class OutboundBuffer {
  private readonly metrics = new Fifo<OutboundMessage>();
  private readonly others = new Fifo<OutboundMessage>();
  private totalBytes = 0;
  private nextOrder = 0;

  constructor(
    private readonly limits: BufferLimits,
    private readonly onDrop: (message: OutboundMessage, reason: MqttDropReason) => void,
  ) {}

  get size(): number {
    return this.metrics.length + this.others.length;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Appends a new message (its `order` is assigned here), evicting by priority if over the limits. */
  push(message: Omit<OutboundMessage, 'order'>): void {
    const entry: OutboundMessage = { ...message, order: this.nextOrder++ };
    if (messageBytes(entry) > this.limits.maxBytes) {
      this.onDrop(entry, 'too_large');
      return;
    }
    this.queueFor(entry).push(entry);
    this.totalBytes += messageBytes(entry);
    this.enforceLimits();
  }

  /** Puts messages that were sent but not acknowledged back at the front, in their original order. */
  requeue(messages: readonly OutboundMessage[]): void {
    const byOrder = (m: OutboundMessage): number => m.order;
    this.metrics.insertSorted(messages.filter((m) => m.kind === 'metrics'), byOrder);
    this.others.insertSorted(messages.filter((m) => m.kind !== 'metrics'), byOrder);
    for (const m of messages) this.totalBytes += messageBytes(m);
    this.enforceLimits();
  }

  /** The oldest message of either kind. */
  shift(): OutboundMessage | undefined {
    const a = this.metrics.peek();
    const b = this.others.peek();
    const queue = a && (!b || a.order < b.order) ? this.metrics : this.others;
    const message = queue.shift();
    if (message) this.totalBytes -= messageBytes(message);
    return message;
  }

  /** Empties the buffer (at shutdown); the caller accounts for what was left. */
  takeAll(): OutboundMessage[] {
    const all: OutboundMessage[] = [];
    for (let m = this.shift(); m; m = this.shift()) all.push(m);
    return all;
  }

  private queueFor(message: OutboundMessage): Fifo<OutboundMessage> {
    return message.kind === 'metrics' ? this.metrics : this.others;
  }

  private enforceLimits(): void {
    while (this.size > this.limits.maxMessages || this.totalBytes > this.limits.maxBytes) {
      const victim = this.others.length > 0 ? this.others.shift() : this.metrics.shift();
      if (!victim) return;
      this.totalBytes -= messageBytes(victim);
      this.onDrop(victim, 'buffer_full');
    }
  }
}
