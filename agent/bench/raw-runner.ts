/**
 * Raw detector throughput: back-to-back run() on a pre-made tensor, no video,
 * no pipeline. Runs in the thread that imports it; bench.ts also starts it
 * as a worker per core to measure the parallel limit.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

export interface RawOptions {
  readonly model: string;
  readonly intraOpThreads: number;
  readonly spinning: boolean;
  readonly seconds: number;
}

/** Runs per second over `seconds`, after a warm-up. */
export async function rawRunsPerSecond(options: RawOptions): Promise<number> {
  const session = await ort.InferenceSession.create(options.model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: options.intraOpThreads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: options.spinning ? '1' : '0' } } },
  });
  const meta = session.inputMetadata[0];
  const shape = meta && meta.isTensor ? meta.shape.map((d) => (typeof d === 'number' ? d : 1)) : [1, 3, 416, 416];
  const input = new ort.Tensor('float32', new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(114), shape);
  const feeds = { [session.inputNames[0]!]: input };
  for (let i = 0; i < 20; i++) await session.run(feeds);
  let runs = 0;
  const started = performance.now();
  const end = started + options.seconds * 1000;
  while (performance.now() < end) {
    await session.run(feeds);
    runs++;
  }
  const perSecond = runs / ((performance.now() - started) / 1000);
  await session.release();
  return perSecond;
}

if (!isMainThread && (workerData as { rawRunner?: boolean } | undefined)?.rawRunner) {
  void rawRunsPerSecond((workerData as { options: RawOptions }).options).then((perSecond) => parentPort!.postMessage(perSecond));
}
