import type { CameraSource } from '../capture/camera-source.js';
import { errorMessage } from '../errors.js';
import type { InferenceEngine } from '../inference/inference-engine.js';
import type { Logger } from '../log.js';
import type { VigilMetrics } from '../metrics/registry.js';
import type { FrameQueue } from '../queue/frame-queue.js';
import type { CapturedFrame } from './frame.js';
import type { SinkFanout } from './sinks.js';

export interface CameraLane {
  readonly source: CameraSource;
  readonly queue: FrameQueue<CapturedFrame>;
  readonly onDemand: boolean;
}

/**
 * Moves frames from the camera queues to the inference worker, round-robin
 * across cameras, keeping `depth` frames in flight so the worker starts the
 * next frame the moment it finishes one instead of waiting a round trip to
 * the main thread. Results go to the sink fan-out.
 */
export class InferenceDispatcher {
  private readonly lanes: CameraLane[] = [];
  private next = 0;
  private running = false;
  private lastErrorLogAt = 0;

  constructor(
    private readonly engine: InferenceEngine,
    private readonly sinks: SinkFanout,
    private readonly metrics: VigilMetrics,
    private readonly logger: Logger,
    private readonly depth: number,
  ) {}

  addLane(lane: CameraLane): void {
    this.lanes.push(lane);
  }

  start(): void {
    this.running = true;
    this.pump();
  }

  stop(): void {
    this.running = false;
  }

  /** Call whenever a queue gained a frame or a slot freed up. */
  pump(): void {
    while (this.running && this.engine.healthy && this.engine.inFlight < this.depth) {
      const lane = this.nextLane();
      if (!lane) return;
      const frame = lane.queue.shift()!;
      this.metrics.queueSize.set({ camera: lane.source.name }, lane.queue.size);
      if (lane.onDemand) lane.source.grantCredit(1);
      this.dispatch(frame);
    }
  }

  private nextLane(): CameraLane | undefined {
    for (let i = 0; i < this.lanes.length; i++) {
      const lane = this.lanes[(this.next + i) % this.lanes.length]!;
      if (lane.queue.size > 0) {
        this.next = (this.next + i + 1) % this.lanes.length;
        return lane;
      }
    }
    return undefined;
  }

  private dispatch(frame: CapturedFrame): void {
    const dequeuedAt = performance.now();
    this.engine.infer(frame).then(
      (outcome) => {
        this.sinks.publish({ frame: outcome.frame, objects: outcome.objects, timings: outcome.timings, dequeuedAt, completedAt: performance.now() });
        this.pump();
      },
      (err: unknown) => {
        // Frames in flight at shutdown are not errors.
        if (!this.running) return;
        this.metrics.framesDropped.inc({ camera: frame.meta.camera, reason: 'inference_error' });
        const now = Date.now();
        if (now - this.lastErrorLogAt > 10_000) {
          this.lastErrorLogAt = now;
          this.logger.error({ camera: frame.meta.camera, err: errorMessage(err) }, 'frame not analysed');
        }
        this.pump();
      },
    );
  }
}
