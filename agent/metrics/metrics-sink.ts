import type { FrameResult } from '../core/frame.js';
import type { ResultSink } from '../core/pipeline-ports.js';
import type { VigilMetrics } from './registry.js';

/** Records the per-frame metrics of every processed frame. */
export class MetricsSink implements ResultSink {
  readonly name = 'metrics';

  constructor(private readonly metrics: VigilMetrics) {}

  handle(result: FrameResult): void {
    const m = this.metrics;
    const camera = result.frame.meta.camera;
    const labels = { camera };
    const { timings } = result;
    m.boxCount.set(labels, result.objects.length);
    m.classifierFramesProcessed.inc(labels);
    m.detectorInference.observe(labels, timings.detectSeconds);
    m.detectorBatchFrames.observe(labels, timings.batchFrames);
    m.frameDuration.observe(labels, (result.completedAt - result.dequeuedAt) / 1000);
    m.frameLatency.observe(labels, Math.max(0, performance.timeOrigin + result.completedAt - result.frame.meta.capturedAt) / 1000);
    if (timings.classifiedObjects > 0) {
      m.frameClassifyLatency.observe(labels, timings.classifySeconds);
      m.objectClassifyLatency.observe(labels, timings.classifySeconds / timings.classifiedObjects);
    }
    for (const object of result.objects) {
      m.objectsDetected.inc({ camera, label: object.label });
      m.predictionConfidence.observe({ camera, stage: 'detector' }, object.score);
      if (object.class) m.predictionConfidence.observe({ camera, stage: 'classifier' }, object.class.score);
    }
  }
}
