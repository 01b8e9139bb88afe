import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { batchMismatch } from './batch-check.js';
import { describeReport, withDynamicBatch } from './dynamic-batch.js';

/**
 * `vigil model dynamic-batch IN OUT`: writes the batchable copy beside OUT,
 * loads it and checks on real runs that each frame of a batch gets the
 * output it gets alone, and only then moves it to OUT. A copy that fails is
 * removed, never left looking usable, and a file already at OUT is kept.
 */
export async function makeDynamicBatchCopy(input: string, output: string): Promise<string> {
  if (resolve(input) === resolve(output)) throw new Error('OUT must differ from IN: the original is kept');
  const { model, report } = withDynamicBatch(readFileSync(input));
  if (report.inputs.length === 0) throw new Error('no input with a batch of 1 to make dynamic (already dynamic?)');
  const candidate = `${output}.partial`;
  writeFileSync(candidate, model);
  try {
    const why = await checkCopy(candidate);
    if (why) throw new Error(`the copy does not batch: ${why}`);
    renameSync(candidate, output);
  } finally {
    rmSync(candidate, { force: true });
  }
  return `${output}: ${describeReport(report)}; checked: frames in a batch of 2 get the outputs they get alone`;
}

async function checkCopy(file: string): Promise<string | null> {
  const session = await ort.InferenceSession.create(file, { executionProviders: ['cpu'] });
  try {
    const meta = session.inputMetadata[0];
    const frameShape = meta && meta.isTensor ? meta.shape.slice(1) : [];
    if (!frameShape.every((d): d is number => typeof d === 'number')) return `input shape [${frameShape.join(',')}] has other dynamic dimensions`;
    return await batchMismatch(session, frameShape);
  } finally {
    await session.release();
  }
}
