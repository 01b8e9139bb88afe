/**
 * Raw inference throughput: back-to-back run() on pre-made tensors, no
 * video, no pipeline. With a classifier, each "frame" is one detector run
 * plus one classifier run over that frame's crops (the counts the pipeline
 * classified, cycled), so it is the limit of the classifier-on pipeline.
 * Runs in the thread that imports it; bench.ts also starts it as a worker
 * per core to measure the parallel limit.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

export interface RawOptions {
  readonly model: string;
  readonly intraOpThreads: number;
  readonly spinning: boolean;
  readonly seconds: number;
  readonly classifier?: { readonly model: string; readonly cropsPerFrame: readonly number[] } | undefined;
}

async function open(model: string, options: RawOptions): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: options.intraOpThreads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: options.spinning ? '1' : '0' } } },
  });
}

/** run() on a constant input of `batch` frames (dynamic dimensions taken as the batch). */
function feeds(session: ort.InferenceSession, batch: number): ort.InferenceSession.FeedsType {
  const meta = session.inputMetadata[0];
  const shape = meta && meta.isTensor ? meta.shape.map((d, i) => (typeof d === 'number' ? d : i === 0 ? batch : 1)) : [batch, 3, 416, 416];
  return { [session.inputNames[0]!]: new ort.Tensor('float32', new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(114), shape) };
}

/** Frames per second over `seconds`, after a warm-up. */
export async function rawRunsPerSecond(options: RawOptions): Promise<number> {
  const detector = await open(options.model, options);
  const detectorFeeds = feeds(detector, 1);
  const classifier = options.classifier ? await open(options.classifier.model, options) : null;
  const crops = options.classifier?.cropsPerFrame.length ? options.classifier.cropsPerFrame : [0];
  const classifierFeeds = new Map<number, ort.InferenceSession.FeedsType>();
  if (classifier) for (const n of new Set(crops)) if (n > 0) classifierFeeds.set(n, feeds(classifier, n));
  const frame = async (i: number): Promise<void> => {
    await detector.run(detectorFeeds);
    const batch = classifierFeeds.get(crops[i % crops.length]!);
    if (classifier && batch) await classifier.run(batch);
  };
  for (let i = 0; i < 20; i++) await frame(i);
  let runs = 0;
  const started = performance.now();
  const end = started + options.seconds * 1000;
  while (performance.now() < end) await frame(runs++);
  const perSecond = runs / ((performance.now() - started) / 1000);
  await detector.release();
  await classifier?.release();
  return perSecond;
}

if (!isMainThread && (workerData as { rawRunner?: boolean } | undefined)?.rawRunner) {
  void rawRunsPerSecond((workerData as { options: RawOptions }).options).then((perSecond) => parentPort!.postMessage(perSecond));
}
