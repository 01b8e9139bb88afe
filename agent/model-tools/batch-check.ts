import * as ort from 'onnxruntime-node';
import type { Provider } from '../config/schema.js';

/**
 * Largest difference allowed between a frame's output alone and in a batch,
 * relative to the value (absolute below 1). Kernels for another batch size
 * may sum in another order: ~1e-5 in float32 on a CPU, more with TF32 on a
 * GPU or FP16 in TensorRT. Frames mixed up differ by whole units, so even
 * the loose bound catches them.
 */
export function batchTolerance(provider: Provider, fp16: boolean): number {
  if (provider === 'tensorrt' && fp16) return 5e-2;
  return provider === 'cpu' ? 1e-3 : 1e-2;
}

/**
 * Whether one run() over two different inputs gives each the output it gets
 * alone. A model whose graph still fixes batch 1 somewhere either fails,
 * returns a batch of 1, or mixes the two frames' rows (what the published
 * YOLOX-Nano does with only its input made dynamic), so this is checked on
 * real runs rather than read from the declared shapes. `frameShape` is one
 * input without its batch dimension. Returns why not, or null when it does.
 */
export async function batchMismatch(session: ort.InferenceSession, frameShape: readonly number[], tolerance = batchTolerance('cpu', false)): Promise<string | null> {
  try {
    return await compareRuns(session, frameShape, tolerance);
  } catch (err) {
    return `a run fails: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  }
}

async function compareRuns(session: ort.InferenceSession, frameShape: readonly number[], tolerance: number): Promise<string | null> {
  const size = frameShape.reduce((a, b) => a * b, 1);
  const inputName = session.inputNames[0]!;
  const outputName = session.outputNames[0]!;
  const frames = [patterned(size, 0), patterned(size, 1)];
  const alone = [];
  for (const frame of frames) {
    const out = await session.run({ [inputName]: new ort.Tensor('float32', frame, [1, ...frameShape]) });
    alone.push(out[outputName]!);
  }
  const both = new Float32Array(2 * size);
  both.set(frames[0]!, 0);
  both.set(frames[1]!, size);
  const batched = (await session.run({ [inputName]: new ort.Tensor('float32', both, [2, ...frameShape]) }))[outputName]!;
  const single = alone[0]!.data as Float32Array;
  if (batched.dims[0] !== 2 || batched.data.length !== 2 * single.length) {
    return `a run over 2 frames gives [${batched.dims.join(',')}], not 2 × [${alone[0]!.dims.join(',')}]: the graph fixes batch 1 inside`;
  }
  const data = batched.data as Float32Array;
  for (let k = 0; k < 2; k++) {
    const expected = alone[k]!.data as Float32Array;
    for (let i = 0; i < expected.length; i++) {
      const got = data[k * expected.length + i]!;
      const want = expected[i]!;
      // Written so that NaN or an infinity on one side only counts as a difference.
      const close = Object.is(got, want) || Math.abs(got - want) <= tolerance * Math.max(1, Math.abs(want));
      if (!close) {
        return `frame ${k + 1} of a 2-frame run differs from the same frame run alone (value ${i}: ${got} vs ${want}): the graph mixes frames`;
      }
    }
  }
  return null;
}

/** A deterministic, image-like input (0..255 ramps) that differs between `seed`s. */
function patterned(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = ((i * (seed + 3) * 7919) % 256) + seed * 17;
  return out;
}
