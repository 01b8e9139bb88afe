import { Worker } from 'node:worker_threads';
import type { CameraConfig, CaptureConfig } from '../config/schema.js';
import type { TensorRecipe } from '../core/detector-recipe.js';
import type { CapturedFrame, FrameMeta } from '../core/frame.js';
import type { FrameSource } from '../core/pipeline-ports.js';
import { ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { backoffDelaySeconds } from '../util/backoff.js';
import { systemClock, type Clock } from '../util/clock.js';
import { round } from '../util/numbers.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import { rtspPipeline } from './gstreamer-pipeline.js';
import type { PreviewImage, PreviewSettings } from './preview-encoder.js';
import type { CaptureWorkerData, FromCaptureWorker, ToCaptureWorker } from './protocol.js';
import { probeReachable, probeTarget } from './reachability.js';
import { ReopenScheduler, type OpenReason } from './reopen-scheduler.js';
import { StallLimit } from './stall-limit.js';

export type CameraState = 'connecting' | 'connected' | 'disconnected' | 'ended' | 'stopped';

export interface CameraStatus {
  readonly camera: string;
  readonly state: CameraState;
  readonly reason?: string;
}

/** detector_disconnected, detector_disconnected_seconds_total and video_index of one camera. */
export interface CaptureStats {
  disconnected: 0 | 1;
  disconnectedSeconds: number;
  videoIndex: number;
}

export interface CameraSourceDeps {
  readonly camera: CameraConfig;
  readonly capture: CaptureConfig;
  readonly logger: Logger;
  /** Where the camera's capture numbers go (metrics/camera-stats.ts); this class is their one writer. */
  readonly stats: CaptureStats;
  readonly clock?: Clock;
  /** Reachability probe of a backed-off camera; injectable for tests. */
  readonly probe?: typeof probeReachable;
}

const WORKER_SILENCE_MIN_MS = 45_000;

/**
 * One camera on the main thread: owns its capture worker, turns worker
 * messages into frames and status, watches for stalls (no frame for
 * `stall_timeout_seconds`, agent/capture/stall-limit.ts, counts as a
 * disconnect and forces a reconnect), and tells a failed worker when to open
 * again (backoff, cut short by a reachability probe: reopen-scheduler.ts).
 * Disconnected seconds accrue on every tick, not only at reconnect.
 */
export interface CameraEvents extends Record<string, unknown> {
  frame: CapturedFrame;
  /** A JPEG of the frame with this meta, while a preview is wanted; emitted before the frame. */
  preview: { meta: FrameMeta; image: PreviewImage };
  status: CameraStatus;
  skipped: { reason: 'fps_cap' };
}

export class CameraSource extends TypedEmitter<CameraEvents> implements FrameSource {
  private worker: Worker | null = null;
  private state: CameraState = 'connecting';
  private lastFrameAt = 0;
  private startedAt = 0;
  /** `on_demand` files: frames the queue has room for; at 0 the worker waits, which is not a stall. */
  private credits: number;
  /** A worker that says nothing at all for this long is blocked in native code: abandon it. */
  private lastWorkerMessageAt = 0;
  private lastAccruedAt = 0;
  private nextSeq = 0;
  private videoIndex = -1;
  private workerRestarts = 0;
  private ticker: { unref(): unknown } | null = null;
  private recipe: TensorRecipe | null = null;
  private sendPixels = true;
  private preview: PreviewSettings | null = null;
  private sources: string[] = [];
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly stall: StallLimit;
  private readonly reopen: ReopenScheduler;

  constructor(private readonly deps: CameraSourceDeps) {
    super();
    this.clock = deps.clock ?? systemClock;
    this.log = deps.logger.child({ component: 'capture', camera: deps.camera.name });
    this.credits = deps.camera.queue_capacity;
    this.stall = new StallLimit(deps.camera.stall_timeout_seconds, deps.camera.fps_cap);
    this.reopen = new ReopenScheduler({
      clock: this.clock,
      probeIntervalSeconds: deps.camera.reconnect_probe_seconds,
      probe: deps.probe ?? probeReachable,
      open: (reason) => this.tellWorkerToOpen(reason),
    });
  }

  get name(): string {
    return this.deps.camera.name;
  }

  /** `recipe` comes from the loaded detector: capture builds its input tensor. Pixels go along only when a classifier needs them. */
  start(recipe: TensorRecipe, sendPixels = true): void {
    this.recipe = recipe;
    this.sendPixels = sendPixels;
    this.lastFrameAt = 0;
    this.lastAccruedAt = this.clock.now();
    this.startedAt = this.clock.now();
    this.spawn();
    this.ticker = this.clock.setInterval(() => this.tick(), Math.min(500, this.stall.seconds(true) * 250));
    this.ticker.unref();
  }

  /** `on_demand` pacing: the queue freed room for more frames. */
  grantCredit(frames: number): void {
    this.credits += frames;
    this.post({ type: 'credit', frames });
  }

  /** A tensor inference is done with goes back to the capture thread, which fills it for a later frame instead of allocating 2 MB. */
  recycleTensor(tensor: ArrayBuffer): void {
    this.worker?.postMessage({ type: 'recycle', tensor } satisfies ToCaptureWorker, [tensor]);
  }

  /** Starts (settings) or stops (null) JPEG previews on the capture thread; kept across worker replacements. */
  setPreview(settings: PreviewSettings | null): void {
    this.preview = settings;
    this.worker?.postMessage({ type: 'preview', settings } satisfies ToCaptureWorker);
  }

  async stop(): Promise<void> {
    if (this.ticker) this.clock.clearInterval(this.ticker);
    this.reopen.cancel();
    this.accrue();
    const worker = this.worker;
    this.worker = null;
    this.setState('stopped');
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ type: 'stop' } satisfies ToCaptureWorker);
    // terminate() with a read in flight aborts the process, so wait for the
    // worker to leave by itself; FFmpeg's timeout bounds a frozen read.
    await exited;
  }

  private spawn(): void {
    this.lastWorkerMessageAt = this.clock.now();
    this.sources = captureSources(this.deps.camera, this.deps.capture);
    const workerData: CaptureWorkerData = {
      camera: this.deps.camera,
      sources: this.sources,
      firstSeq: this.nextSeq,
      firstVideoIndex: this.videoIndex,
      recipe: this.recipe!,
      sendPixels: this.sendPixels,
      credits: Math.max(0, this.credits),
      preview: this.preview,
    };
    const worker = new Worker(new URL('./capture-worker.js', import.meta.url), { workerData });
    this.worker = worker;
    worker.on('message', (message: FromCaptureWorker) => this.onMessage(message));
    worker.on('error', (err) => this.log.error({ code: ErrorCode.WORKER_CRASHED, err }, 'capture worker crashed'));
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.reopen.cancel();
      // A file that finished with loop off: the worker left by itself, and stop() has nothing to wait for.
      if (this.state === 'ended') return;
      // The worker is gone without being asked: treat as a disconnect and replace it with backoff.
      this.markDisconnected(`capture worker exited with code ${code}`);
      const wait = backoffDelaySeconds(this.deps.camera.reconnect, this.workerRestarts++);
      this.clock.setTimeout(() => {
        if (this.state !== 'stopped') this.spawn();
      }, wait * 1000);
    });
  }

  private onMessage(message: FromCaptureWorker): void {
    this.lastWorkerMessageAt = this.clock.now();
    switch (message.type) {
      case 'frame':
        if (message.preview) this.emit('preview', { meta: message.meta, image: message.preview });
        this.onFrame({ meta: message.meta, data: message.data, tensor: message.tensor });
        return;
      case 'opening':
        this.log.debug({ url: message.url, attempt: message.attempt }, 'opening');
        return;
      case 'opened':
        this.stall.opened(message.fps);
        this.videoIndex = message.videoIndex;
        this.deps.stats.videoIndex = message.videoIndex;
        this.log.info(
          { url: message.url, width: message.width, height: message.height, fps: message.fps, videoIndex: message.videoIndex, openSeconds: round(message.openSeconds, 2) },
          'capture opened',
        );
        return;
      case 'skipped':
        // Capped away, but the stream delivered it: not a stall.
        this.lastFrameAt = this.clock.now();
        this.stall.frame(this.lastFrameAt);
        this.emit('skipped', { reason: message.reason });
        return;
      case 'disconnected':
        if (this.state !== 'disconnected') this.log.warn({ code: message.code, retryInSeconds: round(message.retryInSeconds, 2) }, message.message);
        else this.log.debug({ code: message.code, retryInSeconds: round(message.retryInSeconds, 2) }, message.message);
        this.markDisconnected(message.message);
        this.reopen.begin(message.retryInSeconds, probeTargetOf(this.sources[message.source]));
        return;
      case 'problem':
        this.log.warn({ code: message.code }, message.message);
        return;
      case 'ended':
        this.log.info(message.message);
        this.setState('ended');
        return;
    }
  }

  private onFrame(frame: CapturedFrame): void {
    this.lastFrameAt = this.clock.now();
    this.stall.frame(this.lastFrameAt);
    this.nextSeq = frame.meta.seq + 1;
    this.credits--;
    this.workerRestarts = 0;
    if (this.state !== 'connected') {
      this.accrue();
      this.reopen.connected();
      this.setState('connected');
      this.deps.stats.disconnected = 0;
    }
    this.emit('frame', frame);
  }

  private tick(): void {
    this.accrue();
    if (this.state === 'ended' || this.state === 'stopped') return;
    this.abandonSilentWorker();
    if (this.state === 'disconnected') return;
    if (this.deps.camera.file_pace === 'on_demand' && this.credits <= 0) {
      this.lastFrameAt = this.clock.now();
      return;
    }
    const since = this.lastFrameAt || this.startedAt;
    const stallSeconds = this.stall.seconds(this.state === 'connected');
    if (this.clock.now() - since > stallSeconds * 1000) {
      const reason = `no frame for ${round(stallSeconds, 1)} s`;
      this.log.warn({ code: ErrorCode.CAPTURE_STALL }, `stalled: ${reason}; reconnecting`);
      this.markDisconnected(reason);
      this.post({ type: 'reconnect', reason });
    }
  }

  /**
   * A frozen server can hold the worker inside a native open or read that
   * ignores messages (and terminate() waits for it to return). Past the
   * silence limit the worker is detached and a fresh one started; the old
   * thread exits whenever its native call returns.
   */
  private abandonSilentWorker(): void {
    const silenceLimitMs = Math.max(WORKER_SILENCE_MIN_MS, this.stall.seconds(false) * 6000);
    const worker = this.worker;
    // A worker waiting for `open` is silent by design.
    if (!worker || this.reopen.waiting || this.state !== 'disconnected' || this.clock.now() - this.lastWorkerMessageAt < silenceLimitMs) return;
    this.log.warn({ code: ErrorCode.CAPTURE_STALL, silentSeconds: silenceLimitMs / 1000 }, 'capture worker unresponsive; replacing it');
    this.worker = null;
    worker.removeAllListeners('message');
    worker.removeAllListeners('exit');
    // Never terminate() a capture worker: with a read in flight that aborts the
    // whole process (uv_loop_close with open handles). Asked to stop, it exits
    // on its own when the native call returns.
    worker.postMessage({ type: 'stop' } satisfies ToCaptureWorker);
    this.reopen.cancel();
    this.markDisconnected('capture worker unresponsive');
    this.spawn();
  }

  private tellWorkerToOpen(reason: OpenReason): void {
    if (reason === 'probe') this.log.info('camera reachable again: reconnecting now');
    // The worker's silence counts from here: it is opening, no longer waiting.
    this.lastWorkerMessageAt = this.clock.now();
    this.post({ type: 'open', reason });
  }

  private markDisconnected(reason: string): void {
    if (this.state === 'stopped' || this.state === 'ended') return;
    this.accrue();
    this.deps.stats.disconnected = 1;
    this.setState('disconnected', reason);
  }

  /** Adds the time spent disconnected since the last accrual to the seconds counter. */
  private accrue(): void {
    const now = this.clock.now();
    if (this.state === 'disconnected') this.deps.stats.disconnectedSeconds += (now - this.lastAccruedAt) / 1000;
    this.lastAccruedAt = now;
  }

  private setState(state: CameraState, reason?: string): void {
    if (state === this.state) return;
    this.state = state;
    this.emit('status', { camera: this.name, state, ...(reason ? { reason } : {}) });
  }

  private post(message: ToCaptureWorker): void {
    this.worker?.postMessage(message);
  }
}

function probeTargetOf(source: string | undefined): ReturnType<typeof probeTarget> {
  return source === undefined ? null : probeTarget(source);
}

/** The camera's URLs as the capture worker opens them: as written, or wrapped in a GStreamer decode pipeline. */
function captureSources(camera: CameraConfig, capture: CaptureConfig): string[] {
  const urls = Array.isArray(camera.url) ? camera.url : [camera.url];
  const { decoder } = camera;
  if (decoder === 'ffmpeg') return urls;
  return urls.map((url) => rtspPipeline(url, { decoder, codec: camera.codec, transport: capture.rtsp_transport, timeoutSeconds: capture.rtsp_timeout_seconds }));
}
