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
import { CaptureWorkerPool, type CaptureChannel } from './capture-worker-pool.js';
import { rtspPipeline } from './gstreamer-pipeline.js';
import { OpenCheck } from './open-check.js';
import type { PreviewImage, PreviewSettings } from './preview-encoder.js';
import type { CaptureWorkerData, FromCameraReader, ToCameraReader } from './protocol.js';
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
  /** Reachability probe of a backed-off camera, and the RTSP check before each open; injectable for tests. */
  readonly probe?: typeof probeReachable;
  /** The shared capture workers (agent.ts makes one); without it the camera gets a worker of its own. */
  readonly pool?: CaptureWorkerPool;
}


const WORKER_SILENCE_MIN_MS = 45_000;

/** Pixel buffers smaller than this (a thumbnail-sized source) stay with the main thread's GC: not worth a message. */
const MIN_PIXELS_RETURNED = 64 * 1024;

/**
 * One camera on the main thread: owns its reader on a pooled capture worker
 * (capture-worker-pool.ts), turns its messages into frames and status,
 * watches for stalls (no frame for `stall_timeout_seconds`,
 * agent/capture/stall-limit.ts, counts as a disconnect and forces a
 * reconnect), lets an RTSP source open only after its server answered
 * (a frozen server would block the open, and with it every camera on the
 * worker), and tells a failed reader when to open again (backoff, cut short
 * by a reachability probe: reopen-scheduler.ts). Disconnected seconds accrue
 * on every tick, not only at reconnect.
 */
export interface CameraEvents extends Record<string, unknown> {
  frame: CapturedFrame;
  /** A JPEG of the frame with this meta, while a preview is wanted; emitted before the frame. */
  preview: { meta: FrameMeta; image: PreviewImage };
  status: CameraStatus;
  skipped: { reason: 'fps_cap' };
}

export class CameraSource extends TypedEmitter<CameraEvents> implements FrameSource {
  private channel: CaptureChannel | null = null;
  private readonly pool: CaptureWorkerPool;
  /** The RTSP check before an open, cancelled by stop or a new reader. */
  private readonly openCheck: OpenCheck;
  private state: CameraState = 'connecting';
  private lastFrameAt = 0;
  /** When the reader first said `opening` (0: not yet, its worker may still be loading OpenCV). */
  private startedAt = 0;
  /** `on_demand` files: frames the queue has room for; at 0 the worker waits, which is not a stall. */
  private credits: number;
  /** A reader that says nothing at all for this long is blocked in native code: abandon it. */
  private lastWorkerMessageAt = 0;
  private lastAccruedAt = 0;
  private nextSeq = 0;
  private videoIndex = -1;
  private workerRestarts = 0;
  private ticker: { unref(): unknown } | null = null;
  private recipe: TensorRecipe | null = null;
  private sendPixels = true;
  private preview: PreviewSettings | null = null;
  /** The last gate settings, given again to a new reader. */
  private gate: { interval: number; movingTracks: boolean; wantPixels: boolean; confirming: boolean } | null = null;
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
    this.pool = deps.pool ?? new CaptureWorkerPool({ workers: 1, logger: deps.logger, clock: this.clock });
    this.openCheck = new OpenCheck(deps.probe ?? probeReachable);
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
    this.startedAt = 0;
    this.spawn();
    this.ticker = this.clock.setInterval(() => this.tick(), Math.min(500, this.stall.seconds(true) * 250));
    this.ticker.unref();
  }

  /** `on_demand` pacing: the queue freed room for more frames. */
  grantCredit(frames: number): void {
    this.credits += frames;
    this.post({ type: 'credit', frames });
  }

  /** Starts (settings) or stops (null) JPEG previews on the capture thread; kept across worker replacements. */
  setPreview(settings: PreviewSettings | null): void {
    this.preview = settings;
    this.post({ type: 'preview', settings });
  }

  /** Which frames get the detector (issue 16): the camera's interval, and whether a track moves (motion gating). */
  setGate(interval: number, movingTracks: boolean, wantPixels = true, confirming = false): void {
    this.gate = { interval, movingTracks, wantPixels, confirming };
    this.post({ type: 'gate', interval, movingTracks, wantPixels, confirming });
  }

  async stop(): Promise<void> {
    if (this.ticker) this.clock.clearInterval(this.ticker);
    this.reopen.cancel();
    this.openCheck.cancel();
    this.accrue();
    const channel = this.channel;
    this.channel = null;
    this.setState('stopped');
    // The reader stops once its read in flight returns (FFmpeg's timeout bounds a frozen one), its worker with its last camera.
    await channel?.remove();
  }

  private spawn(): void {
    this.lastWorkerMessageAt = this.clock.now();
    this.openCheck.cancel();
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
    const channel: CaptureChannel = this.pool.add(workerData, {
      onMessage: (message) => {
        if (this.channel === channel) this.onMessage(message);
      },
      onLost: (reason) => {
        if (this.channel === channel) this.onReaderLost(reason);
      },
    });
    this.channel = channel;
    if (this.gate) this.post({ type: 'gate', ...this.gate });
  }

  /** Its worker crashed, exited or was abandoned: a disconnect, and the camera goes to a worker again with backoff. */
  private onReaderLost(reason: string): void {
    this.channel = null;
    this.reopen.cancel();
    this.openCheck.cancel();
    // A file that finished with loop off: nothing to restart.
    if (this.state === 'ended' || this.state === 'stopped') return;
    this.markDisconnected(reason);
    const wait = backoffDelaySeconds(this.deps.camera.reconnect, this.workerRestarts++);
    this.clock.setTimeout(() => {
      if (this.state !== 'stopped' && this.channel === null) this.spawn();
    }, wait * 1000);
  }

  private onMessage(message: FromCameraReader): void {
    this.lastWorkerMessageAt = this.clock.now();
    switch (message.type) {
      case 'frame':
        if (message.preview) this.emit('preview', { meta: message.meta, image: message.preview });
        this.onFrame({ meta: message.meta, data: message.data, tensor: message.tensor });
        return;
      case 'opening':
        this.log.debug({ url: message.url, attempt: message.attempt }, 'opening');
        // Before the first frame the stall clock runs from the first open, not from a worker still loading OpenCV.
        if (this.startedAt === 0) this.startedAt = this.clock.now();
        if (message.gated) this.allowOpen(message.source);
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
    // A worker that never gets to open is the pool's to replace (no heartbeat).
    if (!this.lastFrameAt && !this.startedAt) return;
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
   * A frozen server can hold the reader inside a native read that FFmpeg's
   * timeout does not end. Past the silence limit the reader is detached and
   * a fresh one started (on its worker or another); the old one stops
   * whenever its native call returns. A whole worker blocked in an open is
   * the pool's to abandon (its heartbeat stops).
   */
  private abandonSilentWorker(): void {
    const silenceLimitMs = Math.max(WORKER_SILENCE_MIN_MS, this.stall.seconds(false) * 6000);
    const channel = this.channel;
    // A reader waiting for `open` is silent by design.
    if (!channel || this.reopen.waiting || this.state !== 'disconnected' || this.clock.now() - this.lastWorkerMessageAt < silenceLimitMs) return;
    this.log.warn({ code: ErrorCode.CAPTURE_STALL, silentSeconds: silenceLimitMs / 1000 }, 'capture reader unresponsive; replacing it');
    this.channel = null;
    channel.detach();
    this.reopen.cancel();
    this.markDisconnected('capture reader unresponsive');
    this.spawn();
  }

  /** The reader asks before it opens: at once for most sources, after an RTSP answer for rtsp:// ones (open-check.ts). */
  private allowOpen(source: number): void {
    const channel = this.channel;
    this.openCheck.check(this.sources[source], (answer) => {
      if (this.channel !== channel) return;
      // The reader's silence counts from here: it is opening, no longer waiting.
      this.lastWorkerMessageAt = this.clock.now();
      this.post(answer);
    });
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

  returnPixels(data: ArrayBuffer): void {
    // Only buffers worth a message; without a reader (stopped) they are left to the GC.
    if (data.byteLength < MIN_PIXELS_RETURNED || !this.channel) return;
    this.channel.post({ type: 'pixels', data }, [data]);
  }

  private post(message: ToCameraReader): void {
    this.channel?.post(message);
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
