/**
 * Capture worker thread, one per camera: `new VideoCapture()` is synchronous
 * and can block for up to 30 s on a dead or frozen server, so it must never
 * run on the main event loop. Reads are strictly serialised (two overlapping
 * readAsync() calls on one capture abort the process). Frames leave as
 * transferred ArrayBuffers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { epochNow } from '../core/frame.js';
import { errorMessage, ErrorCode } from '../errors.js';
import { backoffDelaySeconds } from '../util/backoff.js';
import { delay } from '../util/clock.js';
import { redactUrl } from '../util/redact-url.js';
import { loadTensorKernel } from '../util/tensor-kernel.js';
import { lowerThisThreadPriority, WORKER_NICENESS } from '../util/thread-priority.js';
import { sourceKind } from './ffmpeg-options.js';
import { loadOpenCvBinding, type CvBinding, type CvMat, type CvVideoCapture } from './opencv-binding.js';
import { FpsCap, RealtimeSchedule } from './pacing.js';
import { PreviewEncoder } from './preview-encoder.js';
import type { CaptureWorkerData, FromCaptureWorker, ToCaptureWorker } from './protocol.js';
import { DetectorTensorBuilder, ownBuffer } from './tensor-builder.js';

const port = parentPort!;
lowerThisThreadPriority(WORKER_NICENESS);
const { camera, sources: urls, firstSeq, firstVideoIndex, recipe, sendPixels, credits: initialCredits, preview: initialPreview } = workerData as CaptureWorkerData;
const cv: CvBinding = loadOpenCvBinding();
const stopping = new AbortController();
const post = (message: FromCaptureWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);
const preview = new PreviewEncoder(cv);
preview.configure(initialPreview);
const tensors = new DetectorTensorBuilder(cv, recipe, loadTensorKernel());

let reconnectRequested: string | null = null;
let credits = initialCredits;
let creditWaiter: (() => void) | null = null;
let openWaiter: ((reason: 'backoff' | 'probe') => void) | null = null;

port.on('message', (message: ToCaptureWorker) => {
  // The most frequent message, and nothing waits on it.
  if (message.type === 'recycle') return tensors.recycle(message.tensor);
  if (message.type === 'stop') stopping.abort();
  else if (message.type === 'reconnect') reconnectRequested = message.reason;
  else if (message.type === 'credit') credits += message.frames;
  else if (message.type === 'preview') preview.configure(message.settings);
  else if (message.type === 'open') openWaiter?.(message.reason);
  creditWaiter?.();
});

type ReadOutcome = { kind: 'ended'; frames: number } | { kind: 'failed'; code: string; message: string } | { kind: 'stopped' };

let seq = firstSeq;
let videoIndex = firstVideoIndex;

async function run(): Promise<void> {
  let attempt = 0;
  let item = 0;
  while (!stopping.signal.aborted) {
    const url = urls[item % urls.length]!;
    post({ type: 'opening', url: redactUrl(url), attempt });
    const opened = open(url);
    if ('error' in opened) {
      attempt = await fail({ code: ErrorCode.RTSP_OPEN, message: opened.error }, attempt, item % urls.length);
      continue;
    }
    const { capture, openSeconds } = opened;
    reconnectRequested = null;
    const fps = capture.get(cv.CAP_PROP_FPS);
    const declaredFrames = sourceKind(url) === 'file' ? capture.get(cv.CAP_PROP_FRAME_COUNT) : 0;
    const outcome = await readLoop(capture, url, fps, openSeconds, () => {
      attempt = 0;
    });
    capture.release();
    if (outcome.kind === 'stopped') return;
    if (outcome.kind === 'failed') {
      attempt = await fail(outcome, attempt, item % urls.length);
      continue;
    }
    // A file (or playlist item) reached its end.
    reportEarlyEnd(url, outcome.frames, declaredFrames);
    item++;
    if (item >= urls.length && !camera.loop) {
      post({ type: 'ended', message: `${urls.length > 1 ? 'playlist' : 'file'} finished and loop is off` });
      return;
    }
  }
}

/** Files already reported as ending early: a looping damaged file is reported once, not on every pass. */
const reportedEarlyEnds = new Set<string>();

/**
 * FFmpeg ends a damaged or cut file at the first frame it cannot decode and
 * reports that as a normal end. The container's frame count tells the two
 * apart (it is an estimate for some formats, hence the slack).
 */
function reportEarlyEnd(url: string, frames: number, declaredFrames: number): void {
  if (!(declaredFrames > 0) || frames >= declaredFrames - Math.max(2, declaredFrames * 0.02) || reportedEarlyEnds.has(url)) return;
  reportedEarlyEnds.add(url);
  post({
    type: 'problem',
    code: ErrorCode.MEDIA_DAMAGED,
    message: `${redactUrl(url)} ended after ${frames} of its ${declaredFrames} frames: the file is damaged or truncated`,
  });
}

function open(url: string): { capture: CvVideoCapture; openSeconds: number } | { error: string } {
  const started = performance.now();
  try {
    const backend = sourceKind(url) === 'gstreamer' ? cv.CAP_GSTREAMER : cv.CAP_FFMPEG;
    const capture = new cv.VideoCapture(url, backend);
    return { capture, openSeconds: (performance.now() - started) / 1000 };
  } catch (err) {
    return { error: `cannot open ${redactUrl(url)}: ${errorMessage(err)}` };
  }
}

async function readLoop(capture: CvVideoCapture, url: string, fps: number, openSeconds: number, onFirstFrame: () => void): Promise<ReadOutcome> {
  const isFile = sourceKind(url) === 'file';
  const cap = new FpsCap(camera.fps_cap);
  const schedule = isFile && camera.file_pace === 'realtime' ? new RealtimeSchedule(fps > 0 && fps < 1000 ? fps : 25) : null;
  const onDemand = isFile && camera.file_pace === 'on_demand';
  let frames = 0;
  schedule?.reset(performance.now());
  while (!stopping.signal.aborted) {
    if (reconnectRequested) return { kind: 'failed', code: ErrorCode.CAPTURE_STALL, message: reconnectRequested };
    if (onDemand && !(await waitForCredit())) return { kind: 'stopped' };
    let mat: CvMat;
    let capturedAt: number;
    try {
      mat = await read(capture);
      // Stamped as soon as the frame is decoded: frame_latency includes converting it and building its tensor.
      capturedAt = epochNow();
    } catch (err) {
      return { kind: 'failed', code: ErrorCode.CAPTURE_READ, message: `read from ${redactUrl(url)} failed: ${errorMessage(err)}` };
    }
    if (mat.empty || mat.rows === 0 || mat.cols === 0) {
      mat.release();
      if (frames === 0) return { kind: 'failed', code: ErrorCode.RTSP_OPEN, message: `cannot open ${redactUrl(url)}: no frame could be read` };
      if (isFile) return { kind: 'ended', frames };
      return { kind: 'failed', code: ErrorCode.CAPTURE_READ, message: `stream ${redactUrl(url)} ended or timed out` };
    }
    if (frames++ === 0) {
      // A new video starts with its first frame, not with an open that may yield nothing.
      videoIndex++;
      onFirstFrame();
      post({ type: 'opened', url: redactUrl(url), videoIndex, width: mat.cols, height: mat.rows, fps, openSeconds });
    }
    if (cap.admit(performance.now())) {
      if (onDemand) credits--;
      emit(mat, capturedAt);
    } else {
      mat.release();
      post({ type: 'skipped', reason: 'fps_cap' });
    }
    const wait = schedule?.waitAfterFrame(performance.now()) ?? 0;
    if (wait > 0) await delay(wait, stopping.signal);
  }
  return { kind: 'stopped' };
}

function read(capture: CvVideoCapture): Promise<CvMat> {
  return new Promise((resolve, reject) => capture.readAsync((err, mat) => (err ? reject(err) : resolve(mat))));
}

/** Downstream gets the detector tensor, plus the frame as 8-bit BGR when asked for (grey and BGRA sources are converted here). */
function emit(mat: CvMat, capturedAt: number): void {
  const bgr = mat.channels === 3 ? mat : mat.cvtColor(mat.channels === 1 ? cv.COLOR_GRAY2BGR : cv.COLOR_BGRA2BGR);
  const data = sendPixels ? ownBuffer(bgr.getData()) : new ArrayBuffer(0);
  const tensor = tensors.build(bgr);
  const meta = { camera: camera.name, seq: seq++, capturedAt, videoIndex, width: bgr.cols, height: bgr.rows };
  const jpeg = preview.maybeEncode(bgr, performance.now());
  // Without external memory tracking V8 does not see Mat memory, so free it now rather than at some later GC.
  if (bgr !== mat) bgr.release();
  mat.release();
  post({ type: 'frame', meta, data, tensor, ...(jpeg ? { preview: jpeg } : {}) }, jpeg ? [data, tensor, jpeg.jpeg] : [data, tensor]);
}

async function waitForCredit(): Promise<boolean> {
  while (credits <= 0 && !stopping.signal.aborted && !reconnectRequested) {
    await new Promise<void>((resolve) => {
      creditWaiter = resolve;
    });
    creditWaiter = null;
  }
  return !stopping.signal.aborted;
}

/**
 * Reports the failure with the backoff wait, then waits for the main thread's
 * `open` (it times the wait and probes the camera meanwhile, never during an
 * open). Returns the next attempt number: 0 after a probe saw the camera come back.
 */
async function fail(failure: { code: string; message: string }, attempt: number, source: number): Promise<number> {
  const retryInSeconds = backoffDelaySeconds(camera.reconnect, attempt);
  const reason = await new Promise<'backoff' | 'probe' | 'stop'>((resolve) => {
    const onStop = (): void => resolve('stop');
    openWaiter = (why) => {
      stopping.signal.removeEventListener('abort', onStop);
      resolve(why);
    };
    if (stopping.signal.aborted) return resolve('stop');
    stopping.signal.addEventListener('abort', onStop, { once: true });
    post({ type: 'disconnected', code: failure.code, message: failure.message, retryInSeconds, source });
  });
  openWaiter = null;
  return reason === 'probe' ? 0 : attempt + 1;
}

void run().finally(() => port.close());
