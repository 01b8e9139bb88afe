import { parseMessage, readVarint, strings, Wire, type Field } from './protobuf.js';

export interface GraphInput {
  readonly name: string;
  /** Fixed sizes as numbers, named (dynamic) dimensions as their names. */
  readonly dims: readonly (number | string)[];
}

/**
 * The graph inputs an ONNX file declares, weights excluded (older exporters
 * list initializers as inputs too). Read from the file itself because the
 * TensorRT provider's optimisation profiles must be set before the session
 * that would report them exists.
 */
export function graphInputs(model: Uint8Array): GraphInput[] {
  const graphField = parseMessage(model).find((f) => f.field === 7 && f.wire === Wire.Bytes);
  if (!graphField) throw new Error('not an ONNX model: no graph');
  const graph = parseMessage(graphField.raw);
  const weights = new Set(graph.filter((f) => f.field === 5).map((f) => strings(parseMessage(f.raw), 8)[0]));
  return graph
    .filter((f) => f.field === 11)
    .map((f) => parseMessage(f.raw))
    .map((valueInfo) => ({ name: strings(valueInfo, 1)[0] ?? '', dims: dimsOf(valueInfo) }))
    .filter((input) => !weights.has(input.name));
}

/** ValueInfoProto.type(2).tensor_type(1).shape(2).dim(1)*: dim_value(1) or dim_param(2). */
function dimsOf(valueInfo: readonly Field[]): (number | string)[] {
  const shape = [2, 1, 2].reduce<readonly Field[] | undefined>((fields, number) => {
    const inner = fields?.find((f) => f.field === number && f.wire === Wire.Bytes);
    return inner ? parseMessage(inner.raw) : undefined;
  }, valueInfo);
  return (shape ?? [])
    .filter((f) => f.field === 1)
    .map((dim) => {
      const fields = parseMessage(dim.raw);
      const value = fields.find((f) => f.field === 1 && f.wire === Wire.Varint);
      if (value) return Number(readVarint(value.raw, 0).value);
      return strings(fields, 2)[0] ?? '?';
    });
}
