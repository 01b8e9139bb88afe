import { Worker } from 'node:worker_threads';
import type { CapturedFrame, Frame, FrameMeta, InferenceOutcome } from '../core/frame.js';
import type { Box } from '../core/letterbox.js';
import type { ClassifyOutcome } from '../core/pipeline-ports.js';
import { ErrorCode, VigilError } from '../errors.js';
import type { FromInferenceWorker, InferenceWorkerData, ToInferenceWorker } from './protocol.js';

export type ModelsInfo = Extract<FromInferenceWorker, { type: 'ready' }>;

/** Sent in place of pixels that stay on the main thread; never transferred (a detached buffer cannot be sent twice). */
const EMPTY = new ArrayBuffer(0);

/** A frame to detect (and maybe classify), or a classify job (per-track classification): both come back with the pixels. */
type Pending = { readonly meta: FrameMeta; readonly sentAt: number; reject(err: Error): void } & (
  | { readonly kind: 'infer'; resolve(outcome: InferenceOutcome): void; readonly keptPixels?: ArrayBuffer }
  | { readonly kind: 'classify'; resolve(outcome: ClassifyOutcome): void }
);

/**
 * One inference worker thread and the frames it holds. Never terminate()d:
 * onnxruntime-node throws a C++ Napi::Error when its thread is torn down
 * mid-run, which aborts the whole process (measured). `retire()` asks it to
 * leave once its current run returns; a wedged one is left behind.
 */
export class InferenceWorkerHandle {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private retired = false;

  private constructor(
    private readonly worker: Worker,
    readonly info: ModelsInfo,
    private readonly now: () => number,
  ) {}

  /** Starts a worker and waits for its models; a bad model rejects with the worker's VigilError. */
  static spawn(data: InferenceWorkerData, now: () => number, onLost: (handle: InferenceWorkerHandle, reason: string) => void): Promise<InferenceWorkerHandle> {
    const worker = new Worker(new URL('./inference-worker.js', import.meta.url), { workerData: data });
    return new Promise((resolve, reject) => {
      let handle: InferenceWorkerHandle | null = null;
      worker.on('message', (message: FromInferenceWorker) => {
        if (message.type === 'ready') {
          handle = new InferenceWorkerHandle(worker, message, now);
          resolve(handle);
        } else if (message.type === 'failed') {
          worker.postMessage({ type: 'stop' } satisfies ToInferenceWorker);
          reject(new VigilError(message.code as ErrorCode, message.message));
        } else {
          handle?.settle(message);
        }
      });
      worker.on('error', (err) => {
        if (!handle) reject(new VigilError(ErrorCode.WORKER_CRASHED, `inference worker failed to start: ${err.message}`, { cause: err }));
        else if (!handle.retired) onLost(handle, `crashed: ${err.message}`);
      });
      worker.on('exit', (code) => {
        if (!handle) reject(new VigilError(ErrorCode.WORKER_CRASHED, `inference worker exited with code ${code} while loading models`));
        else if (!handle.retired) onLost(handle, `exited with code ${code}`);
      });
    });
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Milliseconds the oldest frame in this worker has been waiting (0 when idle). */
  get oldestAge(): number {
    let oldest = 0;
    const now = this.now();
    for (const p of this.pending.values()) oldest = Math.max(oldest, now - p.sentAt);
    return oldest;
  }

  /**
   * The frame's tensor moves to the worker, and its pixels with it when the
   * worker classifies its boxes; they come back with the outcome. Without
   * `classify` (per-track classification) the pixels stay here: the
   * worker would not read them, and each 1.3 MB crossing counts as new
   * external memory in the receiving thread, which drives its garbage
   * collector (see the `pixels` message in agent/capture/protocol.ts).
   * `wide`: a lead worker runs it on its wide sessions.
   */
  infer(frame: CapturedFrame, wide: boolean, classify = true): Promise<InferenceOutcome> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const keptPixels = classify ? undefined : frame.data;
      this.pending.set(id, { kind: 'infer', meta: frame.meta, sentAt: this.now(), resolve, reject, ...(keptPixels && { keptPixels }) });
      const data = keptPixels ? EMPTY : frame.data;
      const message: ToInferenceWorker = { type: 'infer', id, meta: frame.meta, data, tensor: frame.tensor, wide, classify };
      this.worker.postMessage(message, keptPixels ? [frame.tensor] : [data, frame.tensor]);
    });
  }

  /** The boxes' crops classified; the pixels move to the worker and come back with the classes. Counts as held, like a frame. */
  classify(frame: Frame, boxes: readonly Box[]): Promise<ClassifyOutcome> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { kind: 'classify', meta: frame.meta, sentAt: this.now(), resolve, reject });
      const message: ToInferenceWorker = { type: 'classify', id, meta: frame.meta, data: frame.data, boxes: [...boxes] };
      this.worker.postMessage(message, [frame.data]);
    });
  }

  /** Fails whatever it holds, asks it to leave, and resolves when (if ever) its thread exits. */
  retire(reason: string): Promise<void> {
    this.retired = true;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new VigilError(ErrorCode.INFERENCE_FAILED, reason));
    }
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ type: 'stop' } satisfies ToInferenceWorker);
    return exited;
  }

  private settle(message: Extract<FromInferenceWorker, { type: 'result' | 'classified' | 'error' }>): void {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    // The pixels went to the worker and came back (or stayed here): the same frame, owned here again.
    const frame: Frame = { meta: pending.meta, data: (pending.kind === 'infer' && pending.keptPixels) || message.data };
    if (message.type === 'error') {
      const what = pending.kind === 'infer' ? 'inference' : 'classification';
      pending.reject(new VigilError(ErrorCode.INFERENCE_FAILED, `${what} failed on ${frame.meta.camera} frame ${frame.meta.seq}: ${message.message}`));
    } else if (pending.kind === 'infer' && message.type === 'result') {
      pending.resolve({ frame, objects: message.objects, timings: message.timings });
    } else if (pending.kind === 'classify' && message.type === 'classified') {
      pending.resolve({ frame, classes: message.classes, seconds: message.seconds });
    } else {
      pending.reject(new VigilError(ErrorCode.INFERENCE_FAILED, `inference worker answered ${message.type} to a ${pending.kind} request`));
    }
  }
}
