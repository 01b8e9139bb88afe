import type * as ort from 'onnxruntime-node';

/** A tensor shape as ONNX Runtime reports it: numbers for fixed dimensions, names for dynamic ones. */
export type ModelShape = readonly (number | string)[];

export function inputShape(session: ort.InferenceSession): ModelShape {
  return tensorShape(session.inputMetadata[0]);
}

export function outputShape(session: ort.InferenceSession): ModelShape {
  return tensorShape(session.outputMetadata[0]);
}

function tensorShape(meta: ort.InferenceSession.ValueMetadata | undefined): ModelShape {
  return meta && meta.isTensor ? meta.shape : [];
}

export function formatShape(shape: ModelShape): string {
  return `[${shape.join(',')}]`;
}

/** True when the dimension is fixed and differs from `expected`; a dynamic (named) dimension fits anything. */
export function fixedAndNot(dim: number | string | undefined, expected: number): boolean {
  return typeof dim === 'number' && dim !== expected;
}
