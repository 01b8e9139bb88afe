import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { batchMismatch } from './batch-check.js';
import { describeReport, withDynamicBatch } from './dynamic-batch.js';

/**
 * `vigil model dynamic-batch IN OUT`: writes the batchable copy, then loads
 * it and checks on real runs that each frame of a batch gets the output it
 * gets alone. A copy that fails the check is removed, never left behind
 * looking usable.
 */
export async function makeDynamicBatchCopy(input: string, output: string): Promise<string> {
  const { model, report } = withDynamicBatch(readFileSync(input));
  if (report.inputs.length === 0) throw new Error('no input with a batch of 1 to make dynamic (already dynamic?)');
  writeFileSync(output, model);
  const session = await ort.InferenceSession.create(output, { executionProviders: ['cpu'] });
  try {
    const meta = session.inputMetadata[0];
    const frameShape = meta && meta.isTensor ? meta.shape.slice(1) : [];
    if (!frameShape.every((d): d is number => typeof d === 'number')) throw new Error(`input shape [${frameShape.join(',')}] has other dynamic dimensions`);
    const why = await batchMismatch(session, frameShape);
    if (why) throw new Error(`the copy does not batch: ${why}`);
  } catch (err) {
    rmSync(output, { force: true });
    throw err;
  } finally {
    await session.release();
  }
  return `${output}: ${describeReport(report)}; checked: frames in a batch of 2 get the outputs they get alone`;
}
