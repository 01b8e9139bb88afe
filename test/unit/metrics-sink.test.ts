import { describe, expect, it } from 'vitest';
import type { DetectedObject, FrameMeta, FrameResult, FrameSkip, InferenceTimings } from '../../agent/core/frame.js';
import { MetricsSink } from '../../agent/metrics/metrics-sink.js';
import { VigilMetrics } from '../../agent/metrics/registry.js';
import { MetricsSnapshotter } from '../../agent/mqtt/metrics-snapshot.js';
import { parseMetrics, sampleValue } from '../helpers/metrics-text.js';

const DETECTED: InferenceTimings = { detectSeconds: 0.02, batchFrames: 2, wide: false, classifySeconds: 0.006, classifiedObjects: 2 };
/** What the dispatcher gives a frame the detector skipped (agent/pipeline/dispatcher.ts). */
const SKIPPED: InferenceTimings = { detectSeconds: 0, batchFrames: 0, wide: false, classifySeconds: 0, classifiedObjects: 0 };

const person = (score: number, cls: DetectedObject['class'] = null): DetectedObject => ({ label: 'person', score, box: [10, 10, 50, 120], class: cls, trackId: 1 });

function result(meta: Partial<FrameMeta>, objects: DetectedObject[], timings: InferenceTimings): FrameResult {
  const capturedAt = performance.timeOrigin + 1000;
  return {
    frame: { meta: { camera: 'plaza', seq: 1, capturedAt, videoIndex: 0, width: 768, height: 576, ...meta }, data: new ArrayBuffer(0) },
    objects,
    timings,
    // queue wait 30 ms, then 10 ms to results: latency 40 ms, duration 10 ms
    dequeuedAt: 1030,
    completedAt: 1040,
  };
}

function setup(options: { motion?: boolean; detectorInterval?: number } = {}): { metrics: VigilMetrics; sink: MetricsSink } {
  const metrics = new VigilMetrics();
  metrics.addCamera({ camera: 'plaza', queueCapacity: 4, queueSize: () => 0, classifier: true, ...options });
  return { metrics, sink: new MetricsSink(metrics) };
}

async function sample(metrics: VigilMetrics, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  return sampleValue(parseMetrics(await metrics.registry.metrics()), name, { camera: 'plaza', ...labels });
}

describe('MetricsSink on detected and skipped frames (issue 16)', () => {
  it('counts a skipped frame as processed, with its boxes and latency, but not in the detector series', async () => {
    const { metrics, sink } = setup();
    const stats = metrics.camera('plaza')!;
    sink.handle(result({ seq: 1 }, [person(0.9, { label: 'adult', score: 0.8 }), person(0.6, { label: 'child', score: 0.7 })], DETECTED));
    sink.handle(result({ seq: 2, skip: 'interval' }, [person(0.9, { label: 'adult', score: 0.8 })], SKIPPED));
    sink.handle(result({ seq: 3, skip: 'interval' }, [person(0.9, { label: 'adult', score: 0.8 })], SKIPPED));
    sink.handle(result({ seq: 4, skip: 'no_motion' }, [], SKIPPED));

    expect(stats.classifierFramesProcessed).toBe(4);
    expect(stats.boxCount).toBe(0);
    expect(stats.frameLatency.count).toBe(4);
    expect(stats.frameDuration.count).toBe(4);
    expect(stats.frameDuration.sum).toBeCloseTo(4 * 0.01, 9);
    expect(stats.framesSkipped).toEqual({ interval: 2, no_motion: 1 });
    // The detector ran once: one run of 20 ms in a batch of 2, two persons at 0.9 and 0.6.
    expect(stats.detectorInference.count).toBe(1);
    expect(stats.detectorInference.sum).toBeCloseTo(0.02, 9);
    expect(stats.detectorBatchFrames.sum).toBe(2);
    expect(stats.objectsDetected.get('person')).toBe(2);
    expect(stats.detectorConfidence.count).toBe(2);
    expect(stats.detectorConfidence.sum).toBeCloseTo(1.5, 9);
    // One classification run, of 2 objects: 6 ms a frame, 3 ms an object; the classes carried on skipped frames are not observed again.
    expect(stats.frameClassifyLatency.count).toBe(1);
    expect(stats.objectClassifyLatency.sum).toBeCloseTo(0.003, 9);
    expect(stats.classifierConfidence!.count).toBe(2);
    expect(stats.classifierConfidence!.sum).toBeCloseTo(1.5, 9);

    expect(await sample(metrics, 'frames_skipped_total', { reason: 'interval' })).toBe(2);
    expect(await sample(metrics, 'frames_skipped_total', { reason: 'no_motion' })).toBe(1);
    expect(await sample(metrics, 'classifier_frames_processed_total')).toBe(4);
    expect(await sample(metrics, 'detector_inference_seconds_count')).toBe(1);
    expect(await sample(metrics, 'prediction_confidence_count', { stage: 'detector' })).toBe(2);
  });

  it('keeps the box count of the last frame, predicted or detected', () => {
    const { metrics, sink } = setup();
    sink.handle(result({ seq: 1 }, [person(0.9)], DETECTED));
    sink.handle(result({ seq: 2, skip: 'interval' }, [person(0.9), person(0.8), person(0.7)], SKIPPED));
    expect(metrics.camera('plaza')!.boxCount).toBe(3);
  });

  it('observes each per-track verdict once, on the frame whose run made it, not where it is carried', () => {
    const { metrics, sink } = setup();
    const stats = metrics.camera('plaza')!;
    const classifiedOnce = { ...DETECTED, classifiedObjects: 1 };
    const nothingRan = { ...DETECTED, classifySeconds: 0, classifiedObjects: 0 };
    // Track 1's verdict, made on frame 1: the one object its detections carry from then on (TrackClassifier.label).
    const adult = { label: 'adult', score: 0.8 };
    sink.handle(result({ seq: 1 }, [person(0.9, adult)], classifiedOnce));
    expect(stats.classifierConfidence!.count).toBe(1);
    // Detected, nothing classified: the carried verdict is not observed again.
    sink.handle(result({ seq: 2 }, [person(0.9, adult)], nothingRan));
    // Predicted: neither.
    sink.handle(result({ seq: 3, skip: 'interval' }, [person(0.9, adult)], SKIPPED));
    // Track 2 newly classified beside track 1: only track 2's verdict.
    const child = { label: 'child', score: 0.6 };
    sink.handle(result({ seq: 4 }, [person(0.9, adult), { ...person(0.7, child), trackId: 2 }], classifiedOnce));
    expect(stats.classifierConfidence!.count).toBe(2);
    expect(stats.classifierConfidence!.sum).toBeCloseTo(1.4, 9);
    expect(stats.frameClassifyLatency.count).toBe(2);
    expect(stats.detectorConfidence.count).toBe(4);
  });

  it('observes every class of a per-frame classification, equal values on consecutive frames included', () => {
    const { metrics, sink } = setup();
    const stats = metrics.camera('plaza')!;
    // classifier.mode per_frame: every detected frame's objects come from the worker with their own verdicts.
    for (const seq of [1, 2, 3]) sink.handle(result({ seq }, [person(0.9, { label: 'adult', score: 0.8 }), person(0.6, null)], { ...DETECTED, classifiedObjects: 1 }));
    expect(stats.classifierConfidence!.count).toBe(3);
  });

  it('sets motion_level from the frame on a camera with motion gating, detected or skipped, and has no such series elsewhere', async () => {
    const gated = setup({ motion: true });
    expect(await sample(gated.metrics, 'motion_level')).toBe(0);
    gated.sink.handle(result({ seq: 1, motion: 0.125 }, [], DETECTED));
    expect(await sample(gated.metrics, 'motion_level')).toBe(0.125);
    gated.sink.handle(result({ seq: 2, motion: 0.001, skip: 'no_motion' }, [], SKIPPED));
    expect(await sample(gated.metrics, 'motion_level')).toBe(0.001);
    // A frame without a measure (a camera reloaded without gating mid-flight) leaves the last one.
    gated.sink.handle(result({ seq: 3 }, [], DETECTED));
    expect(await sample(gated.metrics, 'motion_level')).toBe(0.001);

    const plain = setup();
    plain.sink.handle(result({ seq: 1, motion: 0.5 }, [], DETECTED));
    expect(await sample(plain.metrics, 'motion_level')).toBeUndefined();
    expect(plain.metrics.camera('plaza')!.motionLevel).toBeUndefined();
  });

  it('shows the skip reasons at zero and the configured interval before the first frame', async () => {
    const { metrics } = setup({ detectorInterval: 3 });
    for (const reason of ['interval', 'no_motion'] satisfies FrameSkip[]) expect(await sample(metrics, 'frames_skipped_total', { reason })).toBe(0);
    expect(await sample(metrics, 'detector_interval')).toBe(3);
    expect(await sample(setup().metrics, 'detector_interval')).toBe(1);
    // The camera's pipeline changes it under `auto`.
    metrics.camera('plaza')!.detectorInterval = 4;
    expect(await sample(metrics, 'detector_interval')).toBe(4);
  });

  it('carries the new series in the MQTT snapshot, motion_level only where gated', () => {
    const metrics = new VigilMetrics();
    metrics.addCamera({ camera: 'gated', queueCapacity: 4, queueSize: () => 0, classifier: false, motion: true, detectorInterval: 2 });
    metrics.addCamera({ camera: 'plain', queueCapacity: 4, queueSize: () => 0, classifier: false });
    metrics.camera('gated')!.framesSkipped.no_motion = 7;
    metrics.camera('gated')!.motionLevel = 0.25;
    const snapshot = new MetricsSnapshotter(metrics.cameras, { device: 'd', site: 's', session: 'x' }).take();
    expect(snapshot.cameras.gated).toMatchObject({ frames_skipped_total: { interval: 0, no_motion: 7 }, detector_interval: 2, motion_level: 0.25 });
    expect(snapshot.cameras.plain).toMatchObject({ frames_skipped_total: { interval: 0, no_motion: 0 }, detector_interval: 1 });
    expect(snapshot.cameras.plain).not.toHaveProperty('motion_level');
  });
});
