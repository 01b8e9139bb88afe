/**
 * Capture worker thread, serving several cameras (issue 16: a thread with its
 * own V8 isolate and OpenCV binding costs ~50 MiB, a camera on a shared one
 * ~5): routes each message to its camera's reader (agent/capture/camera-reader.ts)
 * and tags what the readers send with their camera. Frames leave as
 * transferred ArrayBuffers. A heartbeat tells the main thread that the
 * event loop runs: a synchronous open that hangs silences it.
 */
import { parentPort } from 'node:worker_threads';
import { loadTensorKernel } from '../util/tensor-kernel.js';
import { lowerThisThreadPriority, WORKER_NICENESS } from '../util/thread-priority.js';
import { CameraReader } from './camera-reader.js';
import { loadOpenCvBinding } from './opencv-binding.js';
import type { FromCaptureWorker, ToCaptureWorker } from './protocol.js';

const HEARTBEAT_MS = 1000;

const port = parentPort!;
lowerThisThreadPriority(WORKER_NICENESS);
const cv = loadOpenCvBinding();
const kernel = loadTensorKernel();
const readers = new Map<number, CameraReader>();
/** Tensors back from inference, for any camera's next frame: a couple in hand per camera covers the returns that cross. */
let stopping = false;
const heartbeat = setInterval(() => port.postMessage({ type: 'alive' } satisfies FromCaptureWorker), HEARTBEAT_MS);

port.on('message', (message: ToCaptureWorker) => {
  switch (message.type) {
    case 'add':
      return add(message.camera, message);
    case 'remove':
      return readers.get(message.camera)?.stop();
    case 'stop':
      stopping = true;
      for (const reader of readers.values()) reader.stop();
      return exitWhenIdle();
    default:
      readers.get(message.camera)?.handle(message);
  }
});

function add(camera: number, message: Extract<ToCaptureWorker, { type: 'add' }>): void {
  if (stopping || readers.has(camera)) return;
  const reader = new CameraReader(cv, kernel, message.data, (out, transfer = []) => port.postMessage({ ...out, camera } as FromCaptureWorker, transfer));
  readers.set(camera, reader);
  void reader.run().finally(() => {
    readers.delete(camera);
    port.postMessage({ type: 'removed', camera } satisfies FromCaptureWorker);
    exitWhenIdle();
  });
}

/** Asked to stop: the worker leaves once every reader's read in flight has returned (terminate() during one aborts the process). */
function exitWhenIdle(): void {
  if (!stopping || readers.size > 0) return;
  clearInterval(heartbeat);
  port.close();
}
