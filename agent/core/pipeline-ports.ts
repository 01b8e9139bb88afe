import type { CapturedFrame, FrameResult, InferenceOutcome } from './frame.js';

/**
 * The small interfaces the pipeline meets its neighbours through, so that
 * pipeline/ knows no concrete capture, inference or output class: the
 * composition root (agent.ts) passes in CameraSource, InferenceEngine and
 * the sinks, which satisfy these.
 */

/** How the dispatcher wants frames spread over the inference workers (inference/worker-choice.ts). */
export type DispatchMode = 'latency' | 'throughput';

/** A camera as the dispatcher sees it: frames come out of its queue, credit and spent tensors go back. */
export interface FrameSource {
  readonly name: string;
  /** `on_demand` pacing: the queue freed room for this many more frames. */
  grantCredit(frames: number): void;
  /** A detector tensor inference is done with, to be filled again for a later frame. */
  recycleTensor(tensor: ArrayBuffer): void;
}

/** The inference workers as the dispatcher sees them. */
export interface InferencePool {
  /** Whether a worker that `mode` uses can take another frame. */
  hasRoom(mode: DispatchMode): boolean;
  infer(frame: CapturedFrame, mode: DispatchMode): Promise<InferenceOutcome>;
}

/** Anything that consumes processed frames: metrics, MQTT, the preview. */
export interface ResultSink {
  readonly name: string;
  handle(result: FrameResult): void;
}
