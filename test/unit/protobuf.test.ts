import { describe, expect, it } from 'vitest';
import { bytesField, encodeVarint, parseMessage, readVarint, serializeMessage, varintField, Wire } from '../../agent/model-tools/protobuf.js';

describe('protobuf wire format', () => {
  it('varints: 1 and 300 as the protobuf docs spell them, -1 as ten bytes', () => {
    expect([...encodeVarint(1)]).toEqual([0x01]);
    expect([...encodeVarint(300)]).toEqual([0xac, 0x02]);
    const minusOne = encodeVarint(-1);
    expect(minusOne.length).toBe(10);
    expect(BigInt.asIntN(64, readVarint(minusOne, 0).value)).toBe(-1n);
    expect(readVarint(Uint8Array.from([0xac, 0x02, 0x07]), 0)).toEqual({ value: 300n, next: 2 });
  });

  it('parses the docs example message (field 1 = 150) and one of every wire type', () => {
    expect(parseMessage(Uint8Array.from([0x08, 0x96, 0x01]))).toEqual([{ field: 1, wire: Wire.Varint, raw: Uint8Array.from([0x96, 0x01]) }]);
    const bytes = Uint8Array.from([
      0x12, 0x03, 0x61, 0x62, 0x63, // field 2, "abc"
      0x19, 1, 2, 3, 4, 5, 6, 7, 8, // field 3, fixed64
      0x25, 9, 8, 7, 6, // field 4, fixed32
    ]);
    const fields = parseMessage(bytes);
    expect(fields.map((f) => [f.field, f.wire, [...f.raw]])).toEqual([
      [2, Wire.Bytes, [0x61, 0x62, 0x63]],
      [3, Wire.Fixed64, [1, 2, 3, 4, 5, 6, 7, 8]],
      [4, Wire.Fixed32, [9, 8, 7, 6]],
    ]);
    expect([...serializeMessage(fields)]).toEqual([...bytes]);
  });

  it('writes back byte for byte what it did not change, and re-lengths what it did', () => {
    const inner = serializeMessage([varintField(1, 1), bytesField(2, new TextEncoder().encode('x'))]);
    const outer = serializeMessage([varintField(5, 42), bytesField(7, inner)]);
    const parsed = parseMessage(outer);
    expect([...serializeMessage(parsed)]).toEqual([...outer]);
    const longer = serializeMessage([bytesField(2, new TextEncoder().encode('batch'))]);
    const edited = serializeMessage(parsed.map((f) => (f.field === 7 ? bytesField(7, longer) : f)));
    const reparsed = parseMessage(parseMessage(edited)[1]!.raw);
    expect(Buffer.from(reparsed[0]!.raw).toString()).toBe('batch');
  });

  it('refuses truncated input instead of reading past it', () => {
    expect(() => parseMessage(Uint8Array.from([0x12, 0x05, 0x61]))).toThrow(/past the end/);
    expect(() => parseMessage(Uint8Array.from([0x08, 0x96]))).toThrow(/truncated varint/);
    expect(() => parseMessage(Uint8Array.from([0x0b]))).toThrow(/wire type 3/);
  });
});
