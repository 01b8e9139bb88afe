import { resultLatencyMs, type FrameResult } from '../core/frame.js';
import type { ResultSink } from '../core/pipeline-ports.js';
import type { VigilMetrics } from './registry.js';

/** Writes the per-frame numbers of every processed frame into its camera's stats. */
export class MetricsSink implements ResultSink {
  readonly name = 'metrics';

  constructor(private readonly metrics: VigilMetrics) {}

  handle(result: FrameResult): void {
    const stats = this.metrics.camera(result.frame.meta.camera);
    if (!stats) return;
    const { timings } = result;
    stats.boxCount = result.objects.length;
    stats.classifierFramesProcessed += 1;
    stats.detectorInference.observe(timings.detectSeconds);
    stats.detectorBatchFrames.observe(timings.batchFrames);
    stats.frameDuration.observe((result.completedAt - result.dequeuedAt) / 1000);
    stats.frameLatency.observe(resultLatencyMs(result) / 1000);
    if (timings.classifiedObjects > 0) {
      stats.frameClassifyLatency.observe(timings.classifySeconds);
      stats.objectClassifyLatency.observe(timings.classifySeconds / timings.classifiedObjects);
    }
    for (const object of result.objects) {
      stats.objectsDetected.set(object.label, (stats.objectsDetected.get(object.label) ?? 0) + 1);
      stats.detectorConfidence.observe(object.score);
      if (object.class) stats.classifierConfidence?.observe(object.class.score);
    }
  }
}
