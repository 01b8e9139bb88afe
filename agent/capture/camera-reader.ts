/**
 * One camera on a capture worker (agent/capture/capture-worker.ts hosts
 * several): its open/read loop, sequence numbers, credits, reconnect flag,
 * preview encoder, tensor builder, and the gate that decides which frames
 * get the detector (interval, motion gating: issue 16). Reads are strictly serialised per
 * capture (two overlapping readAsync() calls on one capture abort the
 * process); readers of other cameras on the same worker interleave, their
 * reads running on libuv's thread pool. The one call that blocks the whole
 * worker is the synchronous `new VideoCapture()`, which is why an RTSP
 * source is opened only after the main thread heard its server answer
 * (`opening` → `open` or `refuse`).
 */
import { epochNow, type FrameMeta } from '../core/frame.js';
import { errorMessage, ErrorCode } from '../errors.js';
import { backoffDelaySeconds } from '../util/backoff.js';
import { delay } from '../util/clock.js';
import { redactUrl } from '../util/redact-url.js';
import type { TensorKernel } from '../util/tensor-kernel.js';
import { DetectionGate } from './detection-gate.js';
import { sourceKind } from './ffmpeg-options.js';
import { MotionDetector } from './motion-detector.js';
import type { CvBinding, CvMat, CvVideoCapture } from './opencv-binding.js';
import { FpsCap, RealtimeSchedule } from './pacing.js';
import { PreviewEncoder } from './preview-encoder.js';
import type { CaptureWorkerData, FromCameraReader, ToCameraReader } from './protocol.js';
import { rtspProbeUrl } from './reachability.js';
import { DetectorTensorBuilder, ownBuffer } from './tensor-builder.js';

type ReadOutcome = { kind: 'ended'; frames: number } | { kind: 'failed'; code: string; message: string } | { kind: 'stopped' };
type OpenAnswer = { go: true; reason: 'backoff' | 'probe' } | { go: false; message: string };

export type PostToMain = (message: FromCameraReader, transfer?: ArrayBuffer[]) => void;

export class CameraReader {
  private readonly stopping = new AbortController();
  private readonly preview: PreviewEncoder;
  private readonly tensors: DetectorTensorBuilder;
  private readonly gate: DetectionGate;
  /** Per-track classification says whether a classification is due: without one, detected frames go without pixels too. */
  private wantPixels = true;
  /** The motion measure, on a camera with motion gating only. */
  private readonly motion: MotionDetector | null;
  private reconnectRequested: string | null = null;
  private credits: number;
  private creditWaiter: (() => void) | null = null;
  private openWaiter: ((answer: OpenAnswer | null) => void) | null = null;
  private seq: number;
  private videoIndex: number;
  /** Files already reported as ending early: a looping damaged file is reported once, not on every pass. */
  private readonly reportedEarlyEnds = new Set<string>();

  constructor(
    private readonly cv: CvBinding,
    kernel: TensorKernel | undefined,
    private readonly data: CaptureWorkerData,
    private readonly post: PostToMain,
  ) {
    this.preview = new PreviewEncoder(cv);
    this.preview.configure(data.preview);
    this.tensors = new DetectorTensorBuilder(cv, data.recipe, kernel);
    const { motion } = data.camera;
    this.gate = new DetectionGate(motion.refresh_seconds);
    this.motion = motion.enabled ? new MotionDetector(motion, cv) : null;
    this.credits = data.credits;
    this.seq = data.firstSeq;
    this.videoIndex = data.firstVideoIndex;
  }

  handle(message: ToCameraReader): void {
    // Pixels handed back (protocol.ts): dropping the reference frees them with this thread's next, cheap, GC.
    if (message.type === 'pixels') return;
    if (message.type === 'gate') {
      this.wantPixels = message.wantPixels;
      return this.gate.setPlan(message.interval, message.movingTracks, message.confirming ?? false);
    }
    if (message.type === 'reconnect') this.reconnectRequested = message.reason;
    else if (message.type === 'credit') this.credits += message.frames;
    else if (message.type === 'preview') this.preview.configure(message.settings);
    else if (message.type === 'open') this.openWaiter?.({ go: true, reason: message.reason });
    else if (message.type === 'refuse') this.openWaiter?.({ go: false, message: message.message });
    this.creditWaiter?.();
  }

  /** Ends the loop once the read in flight (if any) returns; run() then resolves. */
  stop(): void {
    this.stopping.abort();
    this.openWaiter?.(null);
    this.creditWaiter?.();
  }

  async run(): Promise<void> {
    try {
      await this.readSources();
    } finally {
      this.motion?.release();
    }
  }

  private async readSources(): Promise<void> {
    const { sources: urls, camera } = this.data;
    let attempt = 0;
    let item = 0;
    while (!this.stopping.signal.aborted) {
      const source = item % urls.length;
      const url = urls[source]!;
      const gated = rtspProbeUrl(url) !== null;
      this.post({ type: 'opening', url: redactUrl(url), attempt, source, gated });
      const opened = gated ? await this.openWhenAllowed(url) : this.open(url);
      if (opened === null) return;
      if ('error' in opened) {
        const next = await this.fail({ code: ErrorCode.RTSP_OPEN, message: opened.error }, attempt, source);
        if (next === null) return;
        attempt = next;
        continue;
      }
      const { capture, openSeconds } = opened;
      this.reconnectRequested = null;
      // A new connection: the first frame is detected, and motion is measured against a new background.
      this.gate.reset();
      this.motion?.reset();
      const fps = capture.get(this.cv.CAP_PROP_FPS);
      const declaredFrames = sourceKind(url) === 'file' ? capture.get(this.cv.CAP_PROP_FRAME_COUNT) : 0;
      const outcome = await this.readLoop(capture, url, fps, openSeconds, () => {
        attempt = 0;
      });
      capture.release();
      if (outcome.kind === 'stopped') return;
      if (outcome.kind === 'failed') {
        const next = await this.fail(outcome, attempt, source);
        if (next === null) return;
        attempt = next;
        continue;
      }
      // A file (or playlist item) reached its end.
      this.reportEarlyEnd(url, outcome.frames, declaredFrames);
      item++;
      if (item >= urls.length && !camera.loop) {
        this.post({ type: 'ended', message: `${urls.length > 1 ? 'playlist' : 'file'} finished and loop is off` });
        return;
      }
    }
  }

  /** An RTSP source opens only once the main thread heard its server answer; null: stopped meanwhile. */
  private async openWhenAllowed(url: string): Promise<{ capture: CvVideoCapture; openSeconds: number } | { error: string } | null> {
    const answer = await this.waitForOpen();
    if (answer === null) return null;
    return answer.go ? this.open(url) : { error: answer.message };
  }

  /**
   * FFmpeg ends a damaged or cut file at the first frame it cannot decode and
   * reports that as a normal end. The container's frame count tells the two
   * apart (it is an estimate for some formats, hence the slack).
   */
  private reportEarlyEnd(url: string, frames: number, declaredFrames: number): void {
    if (!(declaredFrames > 0) || frames >= declaredFrames - Math.max(2, declaredFrames * 0.02) || this.reportedEarlyEnds.has(url)) return;
    this.reportedEarlyEnds.add(url);
    this.post({
      type: 'problem',
      code: ErrorCode.MEDIA_DAMAGED,
      message: `${redactUrl(url)} ended after ${frames} of its ${declaredFrames} frames: the file is damaged or truncated`,
    });
  }

  /** Synchronous: blocks the whole worker (every camera on it) until FFmpeg has opened the stream or given up. */
  private open(url: string): { capture: CvVideoCapture; openSeconds: number } | { error: string } {
    const { cv } = this;
    const started = performance.now();
    try {
      const backend = sourceKind(url) === 'gstreamer' ? cv.CAP_GSTREAMER : cv.CAP_FFMPEG;
      const capture = new cv.VideoCapture(url, backend);
      return { capture, openSeconds: (performance.now() - started) / 1000 };
    } catch (err) {
      return { error: `cannot open ${redactUrl(url)}: ${errorMessage(err)}` };
    }
  }

  private async readLoop(capture: CvVideoCapture, url: string, fps: number, openSeconds: number, onFirstFrame: () => void): Promise<ReadOutcome> {
    const { camera } = this.data;
    const { signal } = this.stopping;
    const isFile = sourceKind(url) === 'file';
    const cap = new FpsCap(camera.fps_cap);
    const schedule = isFile && camera.file_pace === 'realtime' ? new RealtimeSchedule(fps > 0 && fps < 1000 ? fps : 25) : null;
    const onDemand = isFile && camera.file_pace === 'on_demand';
    let frames = 0;
    schedule?.reset(performance.now());
    while (!signal.aborted) {
      if (this.reconnectRequested) return { kind: 'failed', code: ErrorCode.CAPTURE_STALL, message: this.reconnectRequested };
      if (onDemand && !(await this.waitForCredit())) return { kind: 'stopped' };
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
        this.videoIndex++;
        onFirstFrame();
        this.post({ type: 'opened', url: redactUrl(url), videoIndex: this.videoIndex, width: mat.cols, height: mat.rows, fps, openSeconds });
      }
      if (cap.admit(performance.now())) {
        if (onDemand) this.credits--;
        this.emit(mat, capturedAt);
      } else {
        mat.release();
        this.post({ type: 'skipped', reason: 'fps_cap' });
      }
      const wait = schedule?.waitAfterFrame(performance.now()) ?? 0;
      if (wait > 0) await delay(wait, signal);
    }
    return { kind: 'stopped' };
  }

  /**
   * Downstream gets the detector tensor, plus the frame as 8-bit BGR when
   * asked for (grey and BGRA sources are converted here). A frame the gate
   * skips goes on too, with `skip` set and neither tensor nor pixels (empty
   * buffers): the tracker predicts it, and it still counts and publishes.
   */
  private emit(mat: CvMat, capturedAt: number): void {
    const { cv } = this;
    const bgr = mat.channels === 3 ? mat : mat.cvtColor(mat.channels === 1 ? cv.COLOR_GRAY2BGR : cv.COLOR_BGRA2BGR);
    const motion = this.motion?.measure(bgr);
    const skip = this.gate.decide(performance.now(), motion === undefined ? null : motion >= this.data.camera.motion.min_area);
    const data = this.data.sendPixels && this.wantPixels && !skip ? ownBuffer(bgr.getData()) : new ArrayBuffer(0);
    const tensor = skip ? new ArrayBuffer(0) : this.tensors.buildCompact(bgr);
    const meta: FrameMeta = {
      camera: this.data.camera.name,
      seq: this.seq++,
      capturedAt,
      videoIndex: this.videoIndex,
      width: bgr.cols,
      height: bgr.rows,
      ...(skip && { skip }),
      ...(motion !== undefined && { motion }),
    };
    const jpeg = this.preview.maybeEncode(bgr, performance.now());
    // Without external memory tracking V8 does not see Mat memory, so free it now rather than at some later GC.
    if (bgr !== mat) bgr.release();
    mat.release();
    this.post({ type: 'frame', meta, data, tensor, ...(jpeg ? { preview: jpeg } : {}) }, jpeg ? [data, tensor, jpeg.jpeg] : [data, tensor]);
  }

  private async waitForCredit(): Promise<boolean> {
    const { signal } = this.stopping;
    while (this.credits <= 0 && !signal.aborted && !this.reconnectRequested) {
      await new Promise<void>((resolve) => {
        this.creditWaiter = resolve;
      });
      this.creditWaiter = null;
    }
    return !signal.aborted;
  }

  /** The main thread's answer (`open` or `refuse`); null once stopped. */
  private waitForOpen(): Promise<OpenAnswer | null> {
    if (this.stopping.signal.aborted) return Promise.resolve(null);
    return new Promise<OpenAnswer | null>((resolve) => {
      this.openWaiter = (answer) => {
        this.openWaiter = null;
        resolve(answer);
      };
    });
  }

  /**
   * Reports the failure with the backoff wait, then waits for the main
   * thread's `open` (it times the wait and probes the camera meanwhile, never
   * during an open). Returns the next attempt number (0 after a probe saw the
   * camera come back), or null once stopped.
   */
  private async fail(failure: { code: string; message: string }, attempt: number, source: number): Promise<number | null> {
    const retryInSeconds = backoffDelaySeconds(this.data.camera.reconnect, attempt);
    const answer = this.waitForOpen();
    this.post({ type: 'disconnected', code: failure.code, message: failure.message, retryInSeconds, source });
    const reason = await answer;
    if (reason === null) return null;
    return reason.go && reason.reason === 'probe' ? 0 : attempt + 1;
  }
}

function read(capture: CvVideoCapture): Promise<CvMat> {
  return new Promise((resolve, reject) => capture.readAsync((err, mat) => (err ? reject(err) : resolve(mat))));
}
