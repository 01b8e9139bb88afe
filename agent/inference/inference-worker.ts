/**
 * Inference worker thread: ONNX Runtime's `run()` blocks the thread that
 * calls it for the whole inference, so it must never run on the main event
 * loop. Frames arrive transferred and go back transferred with the results.
 * The detector input arrives compact (the frame resized to the letterbox,
 * 8-bit: agent/util/detector-input.ts) and is expanded here into float
 * tensors this worker keeps, one per frame of a batch.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage, ErrorCode, VigilError } from '../errors.js';
import { expandDetectorInput, tensorBytes } from '../util/detector-input.js';
import { loadTensorKernel } from '../util/tensor-kernel.js';
import { lowerThisThreadPriority, WORKER_NICENESS } from '../util/thread-priority.js';
import { blockThisThreadForever, crashThisThread, inferenceFaults } from './fault-injection.js';
import { FrameAnalyzer, type FrameOutcome } from './frame-analyzer.js';
import type { FromInferenceWorker, InferenceWorkerData, ToInferenceWorker } from './protocol.js';

type InferRequest = Extract<ToInferenceWorker, { type: 'infer' }>;
type ClassifyRequest = Extract<ToInferenceWorker, { type: 'classify' }>;

const port = parentPort!;
lowerThisThreadPriority(WORKER_NICENESS);
const post = (message: FromInferenceWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

async function main(): Promise<void> {
  const data = workerData as InferenceWorkerData;
  let analyzers: { narrow: FrameAnalyzer; wide: FrameAnalyzer | null };
  try {
    const options = { detector: data.detector, classifier: data.classifier, inference: data.inference, cacheDir: data.cacheDir };
    analyzers = await FrameAnalyzer.loadWithWide(options, data.wideIntraOpThreads);
  } catch (err) {
    post({ type: 'failed', code: err instanceof VigilError ? err.code : ErrorCode.MODEL_LOAD, message: errorMessage(err) });
    return;
  }
  const { narrow: analyzer, wide: wideAnalyzer } = analyzers;
  post({ type: 'ready', detector: analyzer.info.detector, classifier: analyzer.info.classifier });

  // Requests are handled strictly one after another (run() is synchronous
  // underneath anyway; order across workers is the dispatcher's job), up to
  // batch_size at a time: the frames that arrived while the last run blocked.
  const batchSize = data.inference.batch_size;
  const recipe = analyzer.info.detector.recipe;
  const kernel = loadTensorKernel();
  const tensors = Array.from({ length: batchSize }, () => new ArrayBuffer(tensorBytes(recipe)));
  const faults = inferenceFaults(process.env.VIGIL_FAULT_INJECTION);
  const waiting: InferRequest[] = [];
  // Classify jobs go first: the camera's results (and its later frames) wait for them.
  const classifyWaiting: ClassifyRequest[] = [];
  let draining = false;
  let stopped = false;
  // Fault hooks count runs: with batching, one run is a whole batch.
  let runs = 0;
  const drain = async (): Promise<void> => {
    draining = true;
    while ((waiting.length > 0 || classifyWaiting.length > 0) && !stopped) {
      // One turn of the event loop delivers the messages that queued up during the blocking run.
      await new Promise((resolve) => setImmediate(resolve));
      if (stopped) break;
      const job = classifyWaiting.shift();
      if (job) {
        await classifyJob(analyzer, job);
        continue;
      }
      const batch = waiting.splice(0, batchSize);
      if (faults.wedgeAfterRuns !== undefined && runs >= faults.wedgeAfterRuns) blockThisThreadForever();
      if (faults.crashAfterRuns !== undefined && runs >= faults.crashAfterRuns) return crashThisThread();
      runs += 1;
      let outcomes: FrameOutcome[];
      try {
        // A batch mixes modes only while the dispatcher switches: then it runs narrow.
        const chosen = wideAnalyzer && batch.every((request) => request.wide) ? wideAnalyzer : analyzer;
        outcomes = await chosen.analyzeBatch(
          batch.map(({ meta, data: pixels, tensor: compact, classify }, k) => {
            expandDetectorInput(kernel, new Uint8Array(compact), meta, recipe, tensors[k]!);
            return { image: { data: new Uint8Array(pixels), width: meta.width, height: meta.height }, tensor: new Float32Array(tensors[k]!), classify };
          }),
        );
      } catch (error) {
        outcomes = batch.map(() => ({ ok: false, error }));
      }
      batch.forEach(({ id, data: pixels }, k) => {
        const outcome = outcomes[k]!;
        const reply: FromInferenceWorker = outcome.ok
          ? { type: 'result', id, objects: outcome.analysis.objects, timings: outcome.analysis.timings, data: pixels }
          : { type: 'error', id, message: errorMessage(outcome.error), data: pixels };
        post(reply, [pixels]);
      });
    }
    draining = false;
  };
  port.on('message', (message: ToInferenceWorker) => {
    if (message.type === 'stop') {
      // The main thread has already failed what this worker holds: run none of it.
      stopped = true;
      waiting.length = 0;
      port.close();
      return;
    }
    if (message.type === 'classify') classifyWaiting.push(message);
    else waiting.push(message);
    if (!draining) void drain();
  });
}

/** One classify job on the narrow sessions; a failure fails the job only (its tracks stay unclassified), never the worker. */
async function classifyJob(analyzer: FrameAnalyzer, { id, meta, data: pixels, boxes }: ClassifyRequest): Promise<void> {
  try {
    if (pixels.byteLength < meta.width * meta.height * 3) throw new Error(`frame ${meta.seq} of ${meta.camera} came without its pixels`);
    const t0 = performance.now();
    const classes = await analyzer.classifyBoxes({ data: new Uint8Array(pixels), width: meta.width, height: meta.height }, boxes);
    post({ type: 'classified', id, classes, seconds: (performance.now() - t0) / 1000, data: pixels }, [pixels]);
  } catch (error) {
    post({ type: 'error', id, message: errorMessage(error), data: pixels }, [pixels]);
  }
}

void main();
