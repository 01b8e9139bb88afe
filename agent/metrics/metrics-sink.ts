import { resultLatencyMs, type FrameResult } from '../core/frame.js';
import type { ResultSink } from '../core/pipeline-ports.js';
import type { SceneUpdate } from '../core/scene.js';
import { BucketHistogram } from './bucket-histogram.js';
import { DWELL_BUCKETS } from './scene-stats.js';
import type { VigilMetrics } from './registry.js';

/** Writes the per-frame numbers of every processed frame, and the scene updates of tracked cameras, into its camera's stats. */
export class MetricsSink implements ResultSink {
  readonly name = 'metrics';
  /**
   * Classifications already observed. Per-track classes (classifier.mode
   * per_track) put the one verdict object of a track on each of its frames'
   * detections; a verdict is observed once, on the frame whose run made it.
   */
  private readonly observedClasses = new WeakSet<object>();

  constructor(private readonly metrics: VigilMetrics) {}

  /**
   * A frame the detector skipped (meta.skip, issue 16) was processed all the
   * same, from the tracks: it counts as processed, in box_count and the
   * frame's latency, and in frames_skipped_total; the detector's own series
   * (run time, batch, objects detected, detection confidence) stay for
   * detector runs. Classification series observe classifications that ran.
   */
  handle(result: FrameResult): void {
    const { meta } = result.frame;
    const stats = this.metrics.camera(meta.camera);
    if (!stats) return;
    const { timings } = result;
    stats.boxCount = result.objects.length;
    stats.classifierFramesProcessed += 1;
    stats.frameDuration.observe((result.completedAt - result.dequeuedAt) / 1000);
    stats.frameLatency.observe(resultLatencyMs(result) / 1000);
    if (meta.motion !== undefined && stats.motionLevel !== undefined) stats.motionLevel = meta.motion;
    if (timings.classifiedObjects > 0) {
      stats.frameClassifyLatency.observe(timings.classifySeconds);
      stats.objectClassifyLatency.observe(timings.classifySeconds / timings.classifiedObjects);
    }
    if (meta.skip) {
      stats.framesSkipped[meta.skip] += 1;
      return;
    }
    stats.detectorInference.observe(timings.detectSeconds);
    stats.detectorBatchFrames.observe(timings.batchFrames);
    // Classes carried from earlier frames are not observed again: only a frame where a classification ran has new ones.
    const classified = timings.classifiedObjects > 0;
    for (const object of result.objects) {
      stats.objectsDetected.set(object.label, (stats.objectsDetected.get(object.label) ?? 0) + 1);
      stats.detectorConfidence.observe(object.score);
      if (classified && object.class && !this.observedClasses.has(object.class)) {
        this.observedClasses.add(object.class);
        stats.classifierConfidence?.observe(object.class.score);
      }
    }
  }

  /**
   * Tracking, zone and line numbers. Zones and lines outside the camera's
   * config are ignored (their series are made from the config alone); object
   * labels are the detector's, already bounded by its labels file and
   * detector.classes.
   */
  handleScene(camera: string, update: SceneUpdate): void {
    const scene = this.metrics.camera(camera)?.scene;
    if (!scene) return;
    scene.tracksActive = update.tracksActive;
    for (const { label } of update.confirmed) increment(scene.objectsTracked, label);
    for (const { zone, label } of update.zoneEntries) {
      const entries = scene.zoneEntries.get(zone);
      if (entries) increment(entries, label);
    }
    for (const { zone, label, dwellSeconds } of update.zoneExits) {
      const dwell = scene.zoneDwell.get(zone);
      if (!dwell) continue;
      let histogram = dwell.get(label);
      if (!histogram) dwell.set(label, (histogram = new BucketHistogram(DWELL_BUCKETS)));
      histogram.observe(Math.max(0, dwellSeconds));
    }
    for (const { line, direction, label } of update.lineCrossings) {
      const crossings = scene.lineCrossings.get(line)?.get(direction);
      if (crossings) increment(crossings, label);
    }
    if (update.countsChanged) {
      for (const [zone, byLabel] of scene.zoneObjects) {
        const now = update.counts.zones[zone] ?? {};
        for (const label of byLabel.keys()) byLabel.set(label, now[label] ?? 0);
        for (const [label, n] of Object.entries(now)) byLabel.set(label, n);
      }
    }
  }
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
