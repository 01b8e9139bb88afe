import { ATTRIBUTE, DIM, GRAPH, MODEL, NODE, SHAPE, TENSOR, TENSOR_TYPE, TYPE, VALUE_INFO } from './onnx-fields.js';
import { bytesField, encodeVarint, parseMessage, readVarint, serializeMessage, strings, varintField, Wire, type Field } from './protobuf.js';

const INT64 = 7n;

export interface DynamicBatchReport {
  /** Graph inputs and outputs whose leading dimension went from 1 to the named one. */
  readonly inputs: string[];
  readonly outputs: string[];
  /** Reshape target shapes whose leading 1 became 0 ("keep the input's batch"). */
  readonly reshapes: number;
}

/**
 * A copy of an ONNX model exported with its batch fixed at 1 (as
 * torch.onnx.export does by default, and as the published YOLOX-Nano is)
 * that takes any batch: the leading 1 of every graph input and output
 * becomes a named dimension, and every constant Reshape target that starts
 * with 1 starts with 0 instead, which ONNX defines as "copy this dimension
 * from the input" — the batch, in a detector. Intermediate shape hints
 * (value_info) are dropped so ONNX Runtime infers them again. Whether the
 * copy really keeps frames apart is checked when it loads (see
 * Detector.forModel), not assumed here.
 */
export function withDynamicBatch(
  model: Uint8Array,
  { dimName = 'batch', reshapes: editReshapes = true }: { dimName?: string; /** false shows why the Reshape edit is needed. */ reshapes?: boolean } = {},
): { model: Uint8Array; report: DynamicBatchReport } {
  const modelFields = parseMessage(model);
  const graphAt = modelFields.findIndex((f) => f.field === MODEL.graph);
  if (graphAt < 0) throw new Error('not an ONNX model: no graph');
  const graph = parseMessage(modelFields[graphAt]!.raw);

  const shapeInputs = editReshapes ? reshapeTargets(graph) : new Set<string>();
  let reshapes = 0;
  const initializerNames = new Set<string>();
  const inputs: string[] = [];
  const outputs: string[] = [];
  const edited: Field[] = [];
  for (const f of graph) {
    if (f.field === GRAPH.valueInfo) continue;
    if (f.field === GRAPH.initializer) {
      const tensor = parseMessage(f.raw);
      const name = strings(tensor, TENSOR.name)[0] ?? '';
      initializerNames.add(name);
      const patched = shapeInputs.has(name) ? leadingOneToZero(tensor) : null;
      if (patched) reshapes++;
      edited.push(patched ? bytesField(f.field, serializeMessage(patched)) : f);
    } else if (f.field === GRAPH.node) {
      const patched = patchConstantNode(f.raw, shapeInputs);
      if (patched) reshapes++;
      edited.push(patched ? bytesField(f.field, patched) : f);
    } else edited.push(f);
  }
  const withBatch = edited.map((f) => {
    if (f.field !== GRAPH.input && f.field !== GRAPH.output) return f;
    const name = strings(parseMessage(f.raw), VALUE_INFO.name)[0] ?? '';
    if (initializerNames.has(name)) return f; // older exporters list weights as inputs too
    const patched = leadingDimNamed(f.raw, dimName);
    if (!patched) return f;
    (f.field === GRAPH.input ? inputs : outputs).push(name);
    return bytesField(f.field, patched);
  });
  const out = modelFields.map((f, i) => (i === graphAt ? bytesField(MODEL.graph, serializeMessage(withBatch)) : f));
  return { model: serializeMessage(out), report: { inputs, outputs, reshapes } };
}

/** Names of the tensors that Reshape nodes take as their target shape (unless allowzero makes 0 literal). */
function reshapeTargets(graph: readonly Field[]): Set<string> {
  const names = new Set<string>();
  for (const f of graph) {
    if (f.field !== GRAPH.node) continue;
    const node = parseMessage(f.raw);
    if (strings(node, NODE.opType)[0] !== 'Reshape') continue;
    const allowZero = node
      .filter((a) => a.field === NODE.attribute)
      .map((a) => parseMessage(a.raw))
      .find((a) => strings(a, ATTRIBUTE.name)[0] === 'allowzero');
    if (allowZero && varintOf(allowZero, ATTRIBUTE.i) === 1n) continue;
    const target = strings(node, NODE.input)[1];
    if (target) names.add(target);
  }
  return names;
}

/** A Constant node producing a Reshape target, with the leading 1 of its value made 0; null when untouched. */
function patchConstantNode(raw: Uint8Array, shapeInputs: ReadonlySet<string>): Uint8Array | null {
  const node = parseMessage(raw);
  if (strings(node, NODE.opType)[0] !== 'Constant' || !shapeInputs.has(strings(node, NODE.output)[0] ?? '')) return null;
  let changed = false;
  const fields = node.map((f) => {
    if (f.field !== NODE.attribute) return f;
    const attribute = parseMessage(f.raw);
    const valueAt = attribute.findIndex((a) => a.field === ATTRIBUTE.t);
    if (valueAt < 0) return f;
    const tensor = leadingOneToZero(parseMessage(attribute[valueAt]!.raw));
    if (!tensor) return f;
    changed = true;
    const patched = attribute.map((a, i) => (i === valueAt ? bytesField(ATTRIBUTE.t, serializeMessage(tensor)) : a));
    return bytesField(f.field, serializeMessage(patched));
  });
  return changed ? serializeMessage(fields) : null;
}

/** An int64 tensor whose first value is 1, with that value made 0; null for anything else. */
function leadingOneToZero(tensor: readonly Field[]): Field[] | null {
  if (varintOf(tensor, TENSOR.dataType) !== INT64) return null;
  const rawAt = tensor.findIndex((f) => f.field === TENSOR.rawData);
  if (rawAt >= 0) {
    const raw = tensor[rawAt]!.raw;
    if (raw.length < 8 || Buffer.from(raw).readBigInt64LE(0) !== 1n) return null;
    const copy = Uint8Array.from(raw);
    copy.fill(0, 0, 8);
    return tensor.map((f, i) => (i === rawAt ? bytesField(TENSOR.rawData, copy) : f));
  }
  const dataAt = tensor.findIndex((f) => f.field === TENSOR.int64Data);
  if (dataAt < 0) return null;
  const data = tensor[dataAt]!;
  if (data.wire === Wire.Varint) {
    // Unpacked repeated field: the first occurrence is the first value.
    return readVarint(data.raw, 0).value === 1n ? tensor.map((f, i) => (i === dataAt ? varintField(TENSOR.int64Data, 0) : f)) : null;
  }
  const first = readVarint(data.raw, 0);
  if (first.value !== 1n) return null;
  const packed = Uint8Array.from([...encodeVarint(0), ...data.raw.subarray(first.next)]);
  return tensor.map((f, i) => (i === dataAt ? bytesField(TENSOR.int64Data, packed) : f));
}

/** A graph input/output (ValueInfoProto) whose leading dim_value 1 becomes dim_param `name`; null when it has none. */
function leadingDimNamed(raw: Uint8Array, name: string): Uint8Array | null {
  return editNested(raw, [VALUE_INFO.type, TYPE.tensorType, TENSOR_TYPE.shape], (shape) => {
    const firstDim = shape.findIndex((f) => f.field === SHAPE.dim);
    if (firstDim < 0 || varintOf(parseMessage(shape[firstDim]!.raw), DIM.value) !== 1n) return null;
    const named = serializeMessage([bytesField(DIM.param, new TextEncoder().encode(name))]);
    return shape.map((f, i) => (i === firstDim ? bytesField(SHAPE.dim, named) : f));
  });
}

/** Applies `edit` to the message found by following the first field of each number in `path`. */
function editNested(raw: Uint8Array, path: readonly number[], edit: (fields: Field[]) => Field[] | null): Uint8Array | null {
  const fields = parseMessage(raw);
  if (path.length === 0) {
    const edited = edit(fields);
    return edited ? serializeMessage(edited) : null;
  }
  const at = fields.findIndex((f) => f.field === path[0] && f.wire === Wire.Bytes);
  if (at < 0) return null;
  const inner = editNested(fields[at]!.raw, path.slice(1), edit);
  if (!inner) return null;
  return serializeMessage(fields.map((f, i) => (i === at ? bytesField(f.field, inner) : f)));
}

function varintOf(fields: readonly Field[], field: number): bigint | undefined {
  const f = fields.find((x) => x.field === field && x.wire === Wire.Varint);
  return f ? readVarint(f.raw, 0).value : undefined;
}

export function describeReport(report: DynamicBatchReport): string {
  return `batch dimension made dynamic on inputs [${report.inputs.join(', ')}] and outputs [${report.outputs.join(', ')}]; ${report.reshapes} reshape target(s) now keep the batch`;
}
