/** Numerically stable softmax over `row` (a view into a batch of logits). */
export function softmax(row: ArrayLike<number>): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i]! > max) max = row[i]!;
  const out = new Float32Array(row.length);
  let sum = 0;
  for (let i = 0; i < row.length; i++) {
    const e = Math.exp(row[i]! - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}

export interface TopOne {
  readonly index: number;
  readonly probability: number;
}

export function topOne(probabilities: ArrayLike<number>): TopOne {
  let index = 0;
  for (let i = 1; i < probabilities.length; i++) if (probabilities[i]! > probabilities[index]!) index = i;
  return { index, probability: probabilities[index] ?? 0 };
}
