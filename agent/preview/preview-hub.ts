import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { PreviewImage, PreviewSettings } from '../capture/preview-encoder.js';
import type { PreviewConfig } from '../config/schema.js';
import { resultLatencyMs, type FrameMeta, type FrameResult } from '../core/frame.js';
import type { ResultSink } from '../core/pipeline-ports.js';
import type { Logger } from '../log.js';
import type { PreviewMetrics } from '../metrics/preview-metrics.js';
import { frameHeader, frameMessage } from './frame-message.js';
import { PreviewStats } from './preview-stats.js';
import { cameraLayout, type CameraLayout, type CameraSceneConfig } from './scene-layout.js';

/** JPEGs waiting for their frame's results, per camera, at most (frames dropped from the queue never get any). */
const PENDING_PER_CAMERA = 8;
const STATS_EVERY_MS = 1000;

export interface PreviewCamera {
  readonly name: string;
  setPreview(settings: PreviewSettings | null): void;
}

export interface PreviewHubDeps {
  readonly config: PreviewConfig;
  readonly cameras: readonly PreviewCamera[];
  /** The cameras' config, for the zones and lines the viewer draws (only their names and geometry are sent). */
  readonly cameraConfigs?: readonly CameraSceneConfig[];
  /** Each camera's capture state now (connected, disconnected, …). */
  readonly states: () => Record<string, string>;
  readonly metrics: PreviewMetrics;
  readonly logger: Logger;
}

interface Viewer {
  readonly ws: WebSocket;
  watching: Set<string>;
  alive: boolean;
}

/**
 * The live preview: viewers connect over WebSocket and say which cameras
 * they watch; while anyone watches a camera its capture worker encodes a
 * JPEG at `preview.fps`, which goes out with that frame's boxes once the
 * results arrive. Sending never waits: a viewer whose socket is backed up
 * has frames skipped, and one that stops answering pings is dropped.
 */
export class PreviewHub implements ResultSink {
  readonly name = 'preview';
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly viewers = new Set<Viewer>();
  private readonly pending = new Map<string, Map<number, PreviewImage>>();
  private readonly stats = new PreviewStats();
  private readonly encoding = new Set<string>();
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly deps: PreviewHubDeps) {}

  start(): void {
    const { config } = this.deps;
    this.timers = [setInterval(() => this.broadcastStats(), STATS_EVERY_MS), setInterval(() => this.pingViewers(), config.ping_interval_seconds * 1000)];
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    for (const viewer of this.viewers) viewer.ws.close(1001, 'agent stopping');
    this.wss.close();
  }

  /** The HTTP server's upgrade handler for /ws (the token and Origin were checked there). */
  accept(req: IncomingMessage, socket: Socket, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const max = this.deps.config.max_viewers;
      if (this.viewers.size >= max) {
        ws.close(1013, `viewer limit reached (${max})`);
        return;
      }
      this.addViewer(ws);
    });
  }

  /** A JPEG from a capture worker; it goes out when its frame's results arrive. */
  offer(meta: FrameMeta, image: PreviewImage): void {
    const byCamera = this.pending.get(meta.camera) ?? new Map<number, PreviewImage>();
    byCamera.set(meta.seq, image);
    if (byCamera.size > PENDING_PER_CAMERA) byCamera.delete(byCamera.keys().next().value!);
    this.pending.set(meta.camera, byCamera);
  }

  handle(result: FrameResult): void {
    const { meta } = result.frame;
    const latencyMs = resultLatencyMs(result);
    this.stats.record(meta.camera, performance.now(), latencyMs, result.objects.length);
    const byCamera = this.pending.get(meta.camera);
    const image = byCamera?.get(meta.seq);
    if (!byCamera || !image) return;
    for (const seq of byCamera.keys()) if (seq <= meta.seq) byCamera.delete(seq);
    const message = frameMessage(frameHeader(result, image), image);
    for (const viewer of this.viewers) {
      if (!viewer.watching.has(meta.camera)) continue;
      if (this.backedUp(viewer)) this.deps.metrics.framesSkipped.inc({ camera: meta.camera, reason: 'backpressure' });
      else {
        viewer.ws.send(message, { binary: true });
        this.deps.metrics.framesSent.inc({ camera: meta.camera });
      }
    }
  }

  private addViewer(ws: WebSocket): void {
    const viewer: Viewer = { ws, watching: new Set(), alive: true };
    this.viewers.add(viewer);
    this.deps.metrics.clients.set(this.viewers.size);
    ws.on('pong', () => (viewer.alive = true));
    ws.on('message', (data: RawData, isBinary: boolean) => this.onViewerMessage(viewer, data, isBinary));
    ws.on('close', () => {
      this.viewers.delete(viewer);
      this.deps.metrics.clients.set(this.viewers.size);
      this.updateEncoding();
    });
    ws.on('error', (err) => this.deps.logger.debug({ err }, 'preview viewer error'));
    const { fps, width } = this.deps.config;
    ws.send(JSON.stringify({ type: 'hello', cameras: this.helloCameras(), preview: { fps, width } }));
    this.sendStats(viewer);
  }

  /** Each camera's name, and its zones and lines when it has any. */
  private helloCameras(): CameraLayout[] {
    const configs = this.deps.cameraConfigs ?? [];
    return this.deps.cameras.map((c) => cameraLayout(configs.find((config) => config.name === c.name) ?? { name: c.name }));
  }

  private onViewerMessage(viewer: Viewer, data: RawData, isBinary: boolean): void {
    if (isBinary) return;
    try {
      const message = JSON.parse(data.toString()) as { type?: unknown; cameras?: unknown };
      if (message.type !== 'watch' || !Array.isArray(message.cameras)) return;
      const known = new Set(this.deps.cameras.map((c) => c.name));
      viewer.watching = new Set(message.cameras.filter((c): c is string => typeof c === 'string' && known.has(c)));
      this.updateEncoding();
    } catch {
      // not JSON: ignore, as any other unknown message
    }
  }

  /** JPEG encoding runs only for cameras someone watches. */
  private updateEncoding(): void {
    const { fps, width, jpeg_quality } = this.deps.config;
    const settings: PreviewSettings = { everyMs: 1000 / fps, width, quality: jpeg_quality };
    for (const camera of this.deps.cameras) {
      const watched = [...this.viewers].some((v) => v.watching.has(camera.name));
      if (watched === this.encoding.has(camera.name)) continue;
      if (watched) this.encoding.add(camera.name);
      else this.encoding.delete(camera.name);
      camera.setPreview(watched ? settings : null);
      if (!watched) this.pending.delete(camera.name);
    }
  }

  private backedUp(viewer: Viewer): boolean {
    return viewer.ws.bufferedAmount > this.deps.config.max_buffered_kib * 1024;
  }

  private broadcastStats(): void {
    for (const viewer of this.viewers) this.sendStats(viewer);
  }

  private sendStats(viewer: Viewer): void {
    if (this.backedUp(viewer)) return;
    const now = performance.now();
    const states = this.deps.states();
    const cameras = Object.fromEntries(this.deps.cameras.map((c) => [c.name, { state: states[c.name] ?? 'unknown', ...this.stats.numbers(c.name, now) }]));
    viewer.ws.send(JSON.stringify({ type: 'stats', cameras }));
  }

  /** A viewer that did not answer the previous ping is gone (or stalled): drop it and its buffered frames. */
  private pingViewers(): void {
    for (const viewer of this.viewers) {
      if (!viewer.alive) {
        this.deps.logger.info('preview viewer did not answer a ping; dropping it');
        viewer.ws.terminate();
        continue;
      }
      viewer.alive = false;
      viewer.ws.ping();
    }
  }
}
