/**
 * Inference worker thread: ONNX Runtime's `run()` blocks the thread that
 * calls it for the whole inference, so it must never run on the main event
 * loop. Frames arrive transferred and go back transferred with the results.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { lowerThisThreadPriority, WORKER_NICENESS } from '../util/thread-priority.js';
import { errorMessage, ErrorCode, VigilError } from '../errors.js';
import { blockThisThreadForever, crashThisThread, inferenceFaults } from './fault-injection.js';
import { FrameAnalyzer } from './frame-analyzer.js';
import type { FromInferenceWorker, InferenceWorkerData, ToInferenceWorker } from './protocol.js';

const port = parentPort!;
lowerThisThreadPriority(WORKER_NICENESS);
const post = (message: FromInferenceWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

async function main(): Promise<void> {
  const data = workerData as InferenceWorkerData;
  let analyzer: FrameAnalyzer;
  try {
    analyzer = await FrameAnalyzer.load({ detector: data.detector, classifier: data.classifier, inference: data.inference, cacheDir: data.cacheDir });
  } catch (err) {
    post({ type: 'failed', code: err instanceof VigilError ? err.code : ErrorCode.MODEL_LOAD, message: errorMessage(err) });
    return;
  }
  post({ type: 'ready', detector: analyzer.info.detector, classifier: analyzer.info.classifier });

  // Requests are handled strictly one after another: run() is synchronous
  // underneath anyway. (Order across workers is the dispatcher's job.)
  let chain = Promise.resolve();
  const faults = inferenceFaults(process.env.VIGIL_FAULT_INJECTION);
  let runs = 0;
  port.on('message', (message: ToInferenceWorker) => {
    if (message.type === 'stop') {
      port.close();
      return;
    }
    chain = chain.then(async () => {
      const { id, meta, data: pixels, tensor } = message;
      if (faults.wedgeAfterRuns !== undefined && runs >= faults.wedgeAfterRuns) blockThisThreadForever();
      if (faults.crashAfterRuns !== undefined && runs >= faults.crashAfterRuns) return crashThisThread();
      runs += 1;
      try {
        const image = { data: new Uint8Array(pixels), width: meta.width, height: meta.height };
        const { objects, timings } = await analyzer.analyze(image, new Float32Array(tensor));
        post({ type: 'result', id, objects, timings, data: pixels }, [pixels]);
      } catch (err) {
        post({ type: 'error', id, message: errorMessage(err), data: pixels }, [pixels]);
      }
    });
  });
}

void main();
