import * as ort from 'onnxruntime-node';

/** Largest difference allowed between a frame's output alone and in a batch (float32 kernels may sum in another order). */
const TOLERANCE = 1e-3;

/**
 * Whether one run() over two different inputs gives each the output it gets
 * alone. A model whose graph still fixes batch 1 somewhere either fails,
 * returns a batch of 1, or mixes the two frames' rows (what the published
 * YOLOX-Nano does with only its input made dynamic), so this is checked on
 * real runs rather than read from the declared shapes. `frameShape` is one
 * input without its batch dimension. Returns why not, or null when it does.
 */
export async function batchMismatch(session: ort.InferenceSession, frameShape: readonly number[]): Promise<string | null> {
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
  let batched: ort.Tensor;
  try {
    batched = (await session.run({ [inputName]: new ort.Tensor('float32', both, [2, ...frameShape]) }))[outputName]!;
  } catch (err) {
    return `a run over 2 frames fails: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  }
  const single = alone[0]!.data as Float32Array;
  if (batched.dims[0] !== 2 || batched.data.length !== 2 * single.length) {
    return `a run over 2 frames gives [${batched.dims.join(',')}], not 2 × [${alone[0]!.dims.join(',')}]: the graph fixes batch 1 inside`;
  }
  const data = batched.data as Float32Array;
  for (let k = 0; k < 2; k++) {
    const expected = alone[k]!.data as Float32Array;
    for (let i = 0; i < expected.length; i++) {
      const diff = Math.abs(data[k * expected.length + i]! - expected[i]!);
      if (diff > TOLERANCE * Math.max(1, Math.abs(expected[i]!))) {
        return `frame ${k + 1} of a 2-frame run differs from the same frame run alone (value ${i}: ${data[k * expected.length + i]} vs ${expected[i]}): the graph mixes frames`;
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
