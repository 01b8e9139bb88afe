import type { FrameResult } from '../core/frame.js';
import type { ResultSink } from '../core/pipeline-ports.js';
import type { SceneUpdate } from '../core/scene.js';
import type { Logger } from '../log.js';
import { LogThrottle } from '../util/log-throttle.js';

/**
 * Hands each result to every sink. A sink that throws is logged (at most once
 * a minute per sink) and skipped, so one broken output never stops the
 * pipeline or the other outputs. Sinks must not block: slow I/O belongs
 * behind their own bounded buffers.
 */
export class SinkFanout {
  private readonly errorLog = new LogThrottle(60_000);

  constructor(
    private readonly sinks: readonly ResultSink[],
    private readonly logger: Logger,
  ) {}

  /** A result, and right after it, sink by sink, its scene when the camera is tracked. */
  publish(result: FrameResult): void {
    const { scene } = result;
    const camera = result.frame.meta.camera;
    for (const sink of this.sinks) {
      try {
        sink.handle(result);
      } catch (err) {
        this.failed(sink, err);
      }
      // On its own: a sink whose handle failed still counts the scene.
      if (scene) this.scene(sink, camera, scene);
    }
  }

  /** A scene update without a frame: a camera's tracks ended (disconnect, new video). */
  publishScene(camera: string, update: SceneUpdate): void {
    for (const sink of this.sinks) this.scene(sink, camera, update);
  }

  private scene(sink: ResultSink, camera: string, update: SceneUpdate): void {
    if (!sink.handleScene) return;
    try {
      sink.handleScene(camera, update);
    } catch (err) {
      this.failed(sink, err);
    }
  }

  private failed(sink: ResultSink, err: unknown): void {
    if (this.errorLog.allow(sink.name)) this.logger.error({ sink: sink.name, err }, 'result sink failed');
  }
}
