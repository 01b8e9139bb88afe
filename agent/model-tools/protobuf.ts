/**
 * Just enough of the protobuf wire format to edit an ONNX file in place:
 * a message is its fields in file order, each kept as its raw bytes, so
 * everything this code does not touch is written back byte for byte. No
 * schema, no dependency (ONNX models are plain proto2/proto3 messages).
 */

export const Wire = { Varint: 0, Fixed64: 1, Bytes: 2, Fixed32: 5 } as const;
export type Wire = (typeof Wire)[keyof typeof Wire];

export interface Field {
  readonly field: number;
  readonly wire: Wire;
  /** Varint: its encoded bytes; fixed: its 4 or 8 bytes; length-delimited: the content without the length. */
  readonly raw: Uint8Array;
}

export function readVarint(bytes: Uint8Array, at: number): { value: bigint; next: number } {
  let value = 0n;
  let shift = 0n;
  for (let i = at; i < bytes.length; i++) {
    const byte = bytes[i]!;
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
    shift += 7n;
  }
  throw new Error(`truncated varint at byte ${at}`);
}

/** Encodes an unsigned value, or a negative int64 as its 10-byte two's complement, as protobuf does. */
export function encodeVarint(value: bigint | number): Uint8Array {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? byte | 0x80 : byte);
  } while (v > 0n);
  return Uint8Array.from(out);
}

export function parseMessage(bytes: Uint8Array): Field[] {
  const fields: Field[] = [];
  let at = 0;
  while (at < bytes.length) {
    const key = readVarint(bytes, at);
    const field = Number(key.value >> 3n);
    const wire = Number(key.value & 7n);
    at = key.next;
    let end: number;
    let start = at;
    if (wire === Wire.Varint) end = readVarint(bytes, at).next;
    else if (wire === Wire.Fixed64) end = at + 8;
    else if (wire === Wire.Fixed32) end = at + 4;
    else if (wire === Wire.Bytes) {
      const length = readVarint(bytes, at);
      start = length.next;
      end = start + Number(length.value);
    } else throw new Error(`unsupported wire type ${wire} for field ${field} at byte ${at}`);
    if (end > bytes.length) throw new Error(`field ${field} runs past the end of its message`);
    fields.push({ field, wire: wire as Wire, raw: bytes.subarray(start, end) });
    at = end;
  }
  return fields;
}

export function serializeMessage(fields: readonly Field[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const { field, wire, raw } of fields) {
    parts.push(encodeVarint((BigInt(field) << 3n) | BigInt(wire)));
    if (wire === Wire.Bytes) parts.push(encodeVarint(raw.length));
    parts.push(raw);
  }
  return concat(parts);
}

export function bytesField(field: number, raw: Uint8Array): Field {
  return { field, wire: Wire.Bytes, raw };
}

export function varintField(field: number, value: bigint | number): Field {
  return { field, wire: Wire.Varint, raw: encodeVarint(value) };
}

function text(raw: Uint8Array): string {
  return Buffer.from(raw).toString('utf8');
}

/** The fields' values as strings (repeated string fields). */
export function strings(fields: readonly Field[], field: number): string[] {
  return fields.filter((f) => f.field === field).map((f) => text(f.raw));
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
