import { DIM, GRAPH, MODEL, SHAPE, TENSOR, TENSOR_TYPE, TYPE, VALUE_INFO } from './onnx-fields.js';
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
  const graphField = parseMessage(model).find((f) => f.field === MODEL.graph && f.wire === Wire.Bytes);
  if (!graphField) throw new Error('not an ONNX model: no graph');
  const graph = parseMessage(graphField.raw);
  const weights = new Set(graph.filter((f) => f.field === GRAPH.initializer).map((f) => strings(parseMessage(f.raw), TENSOR.name)[0]));
  return graph
    .filter((f) => f.field === GRAPH.input)
    .map((f) => parseMessage(f.raw))
    .map((valueInfo) => ({ name: strings(valueInfo, VALUE_INFO.name)[0] ?? '', dims: dimsOf(valueInfo) }))
    .filter((input) => !weights.has(input.name));
}

/** ValueInfoProto.type.tensor_type.shape.dim*: each a dim_value or a dim_param. */
function dimsOf(valueInfo: readonly Field[]): (number | string)[] {
  const shape = [VALUE_INFO.type, TYPE.tensorType, TENSOR_TYPE.shape].reduce<readonly Field[] | undefined>((fields, number) => {
    const inner = fields?.find((f) => f.field === number && f.wire === Wire.Bytes);
    return inner ? parseMessage(inner.raw) : undefined;
  }, valueInfo);
  return (shape ?? [])
    .filter((f) => f.field === SHAPE.dim)
    .map((dim) => {
      const fields = parseMessage(dim.raw);
      const value = fields.find((f) => f.field === DIM.value && f.wire === Wire.Varint);
      if (value) return Number(readVarint(value.raw, 0).value);
      return strings(fields, DIM.param)[0] ?? '?';
    });
}
