/** ONNX field numbers (onnx/onnx.proto) of what vigil's model tools read or write. */
export const MODEL = { graph: 7 };
export const GRAPH = { node: 1, initializer: 5, input: 11, output: 12, valueInfo: 13 };
export const NODE = { input: 1, output: 2, opType: 4, attribute: 5 };
export const ATTRIBUTE = { name: 1, i: 3, t: 5 };
export const TENSOR = { dataType: 2, int64Data: 7, name: 8, rawData: 9 };
export const VALUE_INFO = { name: 1, type: 2 };
export const TYPE = { tensorType: 1 };
export const TENSOR_TYPE = { shape: 2 };
export const SHAPE = { dim: 1 };
export const DIM = { value: 1, param: 2 };
