import type { MessageKind, MqttDropReason } from '../core/mqtt-message-kinds.js';
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

  /** Whether a queued item matches (linear: only used on the few retained-state messages). */
  some(match: (item: T) => boolean): boolean {
    for (let i = this.head; i < this.items.length; i += 1) if (match(this.items[i]!)) return true;
    return false;
  }

  /** Takes the first queued item that matches out of the queue. */
  remove(match: (item: T) => boolean): T | undefined {
    for (let i = this.head; i < this.items.length; i += 1) {
      const item = this.items[i]!;
      if (match(item)) {
        this.items.splice(i, 1);
        return item;
      }
    }
    return undefined;
  }

  /** Merges `items` in, keeping the queue sorted by `rank` (re-sent messages interleave with newer ones by age). */
  insertSorted(items: readonly T[], rank: (item: T) => number): void {
    this.items = [...items, ...this.items.slice(this.head)].sort((a, b) => rank(a) - rank(b));
    this.head = 0;
  }
}

/**
 * Which kind goes first when the buffer is full: a frame's boxes matter least,
 * then track events (fewer, each one a change a consumer asked to hear of),
 * then the gap-free metrics snapshots; retained state (counts, status,
 * discovery) last, as there is at most one of it per topic.
 */
const EVICTION_RANK: Record<MessageKind, number> = { detections: 0, event: 1, metrics: 2, counts: 3, status: 3, discovery: 3 };
const RANKS = Math.max(...Object.values(EVICTION_RANK)) + 1;

/**
 * Messages waiting for the broker, bounded in count and bytes. When full,
 * the oldest message of the lowest-ranked kind present goes (EVICTION_RANK):
 * detections, then events, then metrics snapshots, then retained state.
 * A counts message replaces a buffered older one of its topic: it is
 * retained, so only the newest matters (the older one is not counted as a
 * drop, its state is carried by the newer). Messages leave in the order
 * they arrived, across all kinds. Every eviction is reported.
 */
export class OutboundBuffer {
  private readonly queues = Array.from({ length: RANKS }, () => new Fifo<OutboundMessage>());
  private totalBytes = 0;
  private nextOrder = 0;

  constructor(
    private readonly limits: BufferLimits,
    private readonly onDrop: (message: OutboundMessage, reason: MqttDropReason) => void,
  ) {}

  get size(): number {
    return this.queues.reduce((n, q) => n + q.length, 0);
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
    if (entry.kind === 'counts') this.removeSameTopic(entry);
    this.queueFor(entry).push(entry);
    this.totalBytes += messageBytes(entry);
    this.enforceLimits();
  }

  /** Puts messages that were sent but not acknowledged back at the front, in their original order. */
  requeue(messages: readonly OutboundMessage[]): void {
    // A counts message already superseded by a buffered newer one need not go again.
    const stale = (m: OutboundMessage): boolean => m.kind === 'counts' && this.queueFor(m).some((b) => b.topic === m.topic && b.order > m.order);
    const back = messages.filter((m) => !stale(m));
    const byOrder = (m: OutboundMessage): number => m.order;
    this.queues.forEach((queue, rank) => {
      const mine = back.filter((m) => EVICTION_RANK[m.kind] === rank);
      if (mine.length > 0) queue.insertSorted(mine, byOrder);
    });
    for (const m of back) this.totalBytes += messageBytes(m);
    this.enforceLimits();
  }

  /** The oldest message of any kind. */
  shift(): OutboundMessage | undefined {
    let oldest: Fifo<OutboundMessage> | undefined;
    for (const queue of this.queues) {
      const head = queue.peek();
      if (head && (!oldest || head.order < oldest.peek()!.order)) oldest = queue;
    }
    const message = oldest?.shift();
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
    return this.queues[EVICTION_RANK[message.kind]]!;
  }

  private removeSameTopic(message: OutboundMessage): void {
    const old = this.queueFor(message).remove((m) => m.topic === message.topic);
    if (old) this.totalBytes -= messageBytes(old);
  }

  private enforceLimits(): void {
    while (this.size > this.limits.maxMessages || this.totalBytes > this.limits.maxBytes) {
      const victim = this.queues.find((q) => q.length > 0)?.shift();
      if (!victim) return;
      this.totalBytes -= messageBytes(victim);
      this.onDrop(victim, 'buffer_full');
    }
  }
}
