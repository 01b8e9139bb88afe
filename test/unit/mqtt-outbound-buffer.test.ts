import { describe, expect, it } from 'vitest';
import { OutboundBuffer } from '../../agent/mqtt/outbound-buffer.js';
import type { MessageKind, MqttDropReason } from '../../agent/core/mqtt-message-kinds.js';
import type { OutboundMessage } from '../../agent/mqtt/outbound-message.js';

type NewMessage = Omit<OutboundMessage, 'order'>;

/** A message whose payload names it, so the tests can read what left and what was dropped. */
function msg(kind: MessageKind, name: string, topic = `v/${kind[0]!}`): NewMessage {
  return { kind, topic, payload: Buffer.from(name), qos: kind === 'metrics' ? 1 : 0, retain: false };
}

const names = (messages: readonly OutboundMessage[]): string[] => messages.map((m) => m.payload.toString());

function bufferWith(maxMessages: number, maxBytes = 1_000_000): { buffer: OutboundBuffer; drops: [string, MqttDropReason][] } {
  const drops: [string, MqttDropReason][] = [];
  const buffer = new OutboundBuffer({ maxMessages, maxBytes }, (m, reason) => drops.push([m.payload.toString(), reason]));
  return { buffer, drops };
}

describe('OutboundBuffer: order and accounting', () => {
  it('hands messages out in arrival order across kinds, numbering them as they arrive', () => {
    const { buffer } = bufferWith(100);
    buffer.push(msg('metrics', 'm0'));
    buffer.push(msg('detections', 'd1'));
    buffer.push(msg('status', 's2'));
    buffer.push(msg('metrics', 'm3'));
    buffer.push(msg('detections', 'd4'));
    expect(buffer.size).toBe(5);
    const first = buffer.shift();
    expect(first?.payload.toString()).toBe('m0');
    expect(first?.order).toBe(0);
    const rest = buffer.takeAll();
    expect(names(rest)).toEqual(['d1', 's2', 'm3', 'd4']);
    expect(rest.map((m) => m.order)).toEqual([1, 2, 3, 4]);
  });

  it('counts bytes as payload length + topic length', () => {
    const { buffer } = bufferWith(100);
    buffer.push(msg('metrics', 'abcde', 't/m')); // 5 + 3
    expect(buffer.bytes).toBe(8);
    buffer.push(msg('detections', 'hello world', 'cam/dets')); // 11 + 8
    expect(buffer.bytes).toBe(27);
    buffer.shift();
    expect(buffer.bytes).toBe(19);
    buffer.shift();
    expect(buffer.bytes).toBe(0);
  });

  it('takeAll empties the buffer', () => {
    const { buffer } = bufferWith(100);
    for (let i = 0; i < 5; i += 1) buffer.push(msg(i % 2 ? 'detections' : 'metrics', `x${i}`));
    expect(buffer.takeAll()).toHaveLength(5);
    expect(buffer.size).toBe(0);
    expect(buffer.bytes).toBe(0);
    expect(buffer.shift()).toBeUndefined();
    expect(buffer.takeAll()).toEqual([]);
  });
});

describe('OutboundBuffer: eviction', () => {
  it('over maxMessages evicts the oldest detection, and metrics only once no detection is left', () => {
    const { buffer, drops } = bufferWith(3);
    buffer.push(msg('metrics', 'm0'));
    buffer.push(msg('detections', 'd1'));
    buffer.push(msg('metrics', 'm2'));
    buffer.push(msg('detections', 'd3'));
    expect(drops).toEqual([['d1', 'buffer_full']]);
    buffer.push(msg('metrics', 'm4'));
    expect(drops).toEqual([
      ['d1', 'buffer_full'],
      ['d3', 'buffer_full'],
    ]);
    buffer.push(msg('metrics', 'm5')); // only metrics left: the oldest of them goes
    expect(drops.at(-1)).toEqual(['m0', 'buffer_full']);
    expect(buffer.size).toBe(3);
    expect(names(buffer.takeAll())).toEqual(['m2', 'm4', 'm5']);
  });

  it('over maxBytes evicts the oldest detection first', () => {
    const { buffer, drops } = bufferWith(100, 30); // each message below: topic 'v/x' 3 + payload 7 = 10 bytes
    buffer.push(msg('metrics', 'metri-0'));
    buffer.push(msg('detections', 'detec-1'));
    buffer.push(msg('detections', 'detec-2'));
    expect(buffer.bytes).toBe(30);
    expect(drops).toEqual([]);
    buffer.push(msg('metrics', 'metri-3'));
    expect(drops).toEqual([['detec-1', 'buffer_full']]);
    expect(buffer.bytes).toBe(30);
    buffer.push(msg('detections', 'detec-4'));
    expect(drops.at(-1)).toEqual(['detec-2', 'buffer_full']);
    expect(names(buffer.takeAll())).toEqual(['metri-0', 'metri-3', 'detec-4']);
  });

  it('drops a single message larger than maxBytes as too_large without storing it', () => {
    const { buffer, drops } = bufferWith(100, 30);
    buffer.push(msg('metrics', 'm'.repeat(27))); // 3 + 27 = 30: fits exactly
    expect(buffer.size).toBe(1);
    const { buffer: empty, drops: emptyDrops } = bufferWith(100, 30);
    empty.push(msg('detections', 'd'.repeat(28))); // 31 bytes
    expect(emptyDrops).toEqual([['d'.repeat(28), 'too_large']]);
    expect(empty.size).toBe(0);
    expect(empty.bytes).toBe(0);
    expect(drops).toEqual([]);
  });

  it('10 000 metrics through a 100-message buffer keep the newest 100 and report every other one', () => {
    const { buffer, drops } = bufferWith(100);
    for (let i = 0; i < 10_000; i += 1) {
      buffer.push(msg('metrics', `m${i}`));
      expect(buffer.size).toBeLessThanOrEqual(100);
    }
    expect(drops).toHaveLength(9_900);
    expect(drops[0]).toEqual(['m0', 'buffer_full']);
    expect(drops.at(-1)).toEqual(['m9899', 'buffer_full']);
    expect(names(buffer.takeAll())).toEqual(Array.from({ length: 100 }, (_, k) => `m${9_900 + k}`));
  });

  it('alternating metrics and detections through a full buffer end with only the newest metrics', () => {
    // once full, every detection push evicts a detection; when none is left besides the new one, it is the victim
    const { buffer, drops } = bufferWith(100);
    for (let i = 0; i < 10_000; i += 1) buffer.push(msg(i % 2 === 0 ? 'metrics' : 'detections', `${i}`));
    expect(drops).toHaveLength(9_900);
    expect(drops.every(([, reason]) => reason === 'buffer_full')).toBe(true);
    const kept = buffer.takeAll();
    expect(kept.every((m) => m.kind === 'metrics')).toBe(true);
    expect(names(kept)).toEqual(Array.from({ length: 100 }, (_, k) => `${9_800 + 2 * k}`));
  });
});

describe('OutboundBuffer: requeue', () => {
  it('puts unacknowledged messages back at the front in their original order, even when shuffled', () => {
    const { buffer } = bufferWith(100);
    for (const [kind, name] of [
      ['metrics', 'a'],
      ['detections', 'b'],
      ['metrics', 'c'],
      ['detections', 'd'],
      ['metrics', 'e'],
    ] as const) {
      buffer.push(msg(kind, name));
    }
    const sent = [buffer.shift()!, buffer.shift()!, buffer.shift()!];
    expect(names(sent)).toEqual(['a', 'b', 'c']);
    expect(buffer.bytes).toBe(8); // d, e: 3 + 1 each
    buffer.requeue([sent[2]!, sent[0]!, sent[1]!]);
    expect(buffer.size).toBe(5);
    expect(buffer.bytes).toBe(20);
    buffer.push(msg('detections', 'f'));
    const all = buffer.takeAll();
    expect(names(all)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(all.map((m) => m.order)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('enforces the limits after a requeue, evicting the oldest detection first', () => {
    const { buffer, drops } = bufferWith(3);
    buffer.push(msg('detections', 'd0'));
    buffer.push(msg('metrics', 'm1'));
    const sent = [buffer.shift()!, buffer.shift()!];
    buffer.push(msg('metrics', 'm2'));
    buffer.push(msg('detections', 'd3'));
    buffer.requeue(sent); // 4 messages for 3 places: d0 is the oldest detection
    expect(drops).toEqual([['d0', 'buffer_full']]);
    expect(names(buffer.takeAll())).toEqual(['m1', 'm2', 'd3']);
  });
});

describe('OutboundBuffer: track events and counts (issue 15)', () => {
  it('evicts detections first, then events, then metrics, and counts last', () => {
    const { buffer, drops } = bufferWith(4);
    buffer.push(msg('counts', 'c0', 'v/plaza/counts'));
    buffer.push(msg('metrics', 'm1'));
    buffer.push(msg('event', 'e2'));
    buffer.push(msg('detections', 'd3'));
    buffer.push(msg('event', 'e4')); // full: the detection goes
    buffer.push(msg('detections', 'd5')); // no older detection: the newest is the only one, and goes
    buffer.push(msg('metrics', 'm6')); // then the oldest event
    buffer.push(msg('metrics', 'm7')); // and the next
    buffer.push(msg('metrics', 'm8')); // only metrics and counts: the oldest metrics
    expect(drops.map(([name]) => name)).toEqual(['d3', 'd5', 'e2', 'e4', 'm1']);
    expect(names(buffer.takeAll())).toEqual(['c0', 'm6', 'm7', 'm8']);
  });

  it('a newer counts message of a camera replaces the buffered one, without a drop; other cameras keep theirs', () => {
    const { buffer, drops } = bufferWith(100);
    buffer.push(msg('counts', 'plaza-1', 'v/plaza/counts'));
    buffer.push(msg('event', 'e'));
    buffer.push(msg('counts', 'yard-1', 'v/yard/counts'));
    buffer.push(msg('counts', 'plaza-2', 'v/plaza/counts'));
    expect(buffer.size).toBe(3);
    expect(buffer.bytes).toBe(4 + 19 + 21); // v/e + e, v/yard/counts + yard-1, v/plaza/counts + plaza-2
    expect(drops).toEqual([]);
    expect(names(buffer.takeAll())).toEqual(['e', 'yard-1', 'plaza-2']);
  });

  it('a counts message handed back after a newer one was buffered is not sent again', () => {
    const { buffer } = bufferWith(100);
    buffer.push(msg('counts', 'plaza-1', 'v/plaza/counts'));
    buffer.push(msg('event', 'e1'));
    const sent = [buffer.shift()!, buffer.shift()!];
    buffer.push(msg('counts', 'plaza-2', 'v/plaza/counts'));
    buffer.requeue(sent);
    expect(names(buffer.takeAll())).toEqual(['e1', 'plaza-2']);
    buffer.push(msg('counts', 'plaza-3', 'v/plaza/counts'));
    const again = [buffer.shift()!];
    buffer.requeue(again); // nothing newer buffered: it goes again
    expect(names(buffer.takeAll())).toEqual(['plaza-3']);
  });
});
