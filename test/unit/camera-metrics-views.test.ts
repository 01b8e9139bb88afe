import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LATENCY_BUCKETS } from '../../agent/metrics/camera-stats.js';
import { VigilMetrics } from '../../agent/metrics/registry.js';
import { MetricsSnapshotter } from '../../agent/mqtt/metrics-snapshot.js';
import { parseMetrics, sampleValue } from '../helpers/metrics-text.js';

const PER_CAMERA_HISTOGRAMS = ['frame_classify_latency', 'object_classify_latency', 'frame_duration', 'frame_latency', 'detector_inference_seconds', 'detector_batch_frames'];

function metricsWith(cameras: { name: string; classifier: boolean; queued?: number }[]): VigilMetrics {
  const metrics = new VigilMetrics();
  for (const { name, classifier, queued } of cameras) metrics.addCamera({ camera: name, queueCapacity: 4, queueSize: () => queued ?? 0, classifier });
  return metrics;
}

/** The lines of one metric family in exposition text. */
function family(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}_`) || line.startsWith(`${name}{`) || line.includes(` ${name} `));
}

describe('the camera stats seen through /metrics', () => {
  it('shows every series of a configured camera at zero before its first frame', async () => {
    const samples = parseMetrics(await metricsWith([{ name: 'gate', classifier: true }]).registry.metrics());
    const camera = { camera: 'gate' };
    for (const name of PER_CAMERA_HISTOGRAMS) {
      expect(sampleValue(samples, `${name}_count`, camera), name).toBe(0);
      expect(sampleValue(samples, `${name}_bucket`, { ...camera, le: '+Inf' }), name).toBe(0);
    }
    for (const stage of ['detector', 'classifier']) expect(sampleValue(samples, 'prediction_confidence_count', { ...camera, stage })).toBe(0);
    for (const name of ['box_count', 'classifier_frames_processed_total', 'detector_disconnected', 'detector_disconnected_seconds_total', 'detector_queue_size', 'frames_sent_total', 'video_index']) {
      expect(sampleValue(samples, name, camera), name).toBe(0);
    }
    for (const reason of ['queue_full', 'fps_cap', 'inference_error']) expect(sampleValue(samples, 'frames_dropped_total', { ...camera, reason })).toBe(0);
    expect(sampleValue(samples, 'detector_queue_capacity', camera)).toBe(4);
    for (const reason of ['interval', 'no_motion']) expect(sampleValue(samples, 'frames_skipped_total', { ...camera, reason })).toBe(0);
    expect(sampleValue(samples, 'detector_interval', camera)).toBe(1);
    // Without motion gating the camera has no motion measure, so no series (not a misleading 0).
    expect(sampleValue(samples, 'motion_level', camera)).toBeUndefined();
  });

  it('has no classifier confidence series on a camera without a classifier', async () => {
    const samples = parseMetrics(await metricsWith([{ name: 'gate', classifier: false }]).registry.metrics());
    expect(sampleValue(samples, 'prediction_confidence_count', { camera: 'gate', stage: 'detector' })).toBe(0);
    expect(sampleValue(samples, 'prediction_confidence_count', { camera: 'gate', stage: 'classifier' })).toBeUndefined();
  });

  it('writes a histogram byte for byte as prom-client does, constant labels included', async () => {
    const observed = [0.0005, 0.004, 0.004, 0.018, 0.6, 1.5, 9];
    const metrics = metricsWith([{ name: 'gate', classifier: false }, { name: 'yard', classifier: false }]);
    const reference = new Registry();
    const promClient = new Histogram({ name: 'frame_latency', help: 'Time in seconds from frame capture to its results being ready, queue wait included', labelNames: ['camera'], buckets: LATENCY_BUCKETS, registers: [reference] });
    for (const registry of [metrics.registry, reference]) registry.setDefaultLabels({ device: 'dev-1', site: 'lab' });
    for (const camera of ['gate', 'yard']) promClient.zero({ camera });
    for (const value of observed) {
      metrics.camera('yard')!.frameLatency.observe(value);
      promClient.observe({ camera: 'yard' }, value);
    }
    const ours = family(await metrics.registry.metrics(), 'frame_latency');
    expect(ours).toContain('frame_latency_bucket{le="0.004",device="dev-1",site="lab",camera="yard"} 3');
    expect(ours).toContain('frame_latency_sum{device="dev-1",site="lab",camera="yard"} 11.1265');
    expect(ours).toEqual(family(await reference.metrics(), 'frame_latency'));
  });

  it('exposes box_count untyped (promtool rejects a gauge ending in _count) and counters as counters', async () => {
    const text = await metricsWith([{ name: 'gate', classifier: false }]).registry.metrics();
    expect(text).toContain('# TYPE box_count untyped');
    expect(text).toContain('# TYPE frames_dropped_total counter');
    expect(text).toContain('# TYPE frame_latency histogram');
  });
});

describe('the camera stats seen through the MQTT metrics snapshot', () => {
  it('carries what /metrics shows, histograms summarised over the interval since the previous snapshot', async () => {
    let now = 1_000_000;
    const metrics = metricsWith([{ name: 'gate', classifier: true, queued: 2 }]);
    const snapshotter = new MetricsSnapshotter(metrics.cameras, { device: 'dev-1', site: 'lab', session: 's' }, () => now);
    const stats = metrics.camera('gate')!;
    stats.framesSent = 7;
    stats.framesDropped.fps_cap = 3;
    stats.disconnectedSeconds = 1.5;
    for (const value of [0.01, 0.01, 0.04]) stats.frameLatency.observe(value);
    now += 5000;
    const first = snapshotter.take().cameras.gate!;
    const samples = parseMetrics(await metrics.registry.metrics());
    for (const name of ['frames_sent_total', 'detector_queue_size', 'detector_disconnected_seconds_total', 'box_count', 'video_index']) {
      expect(first[name], name).toBe(sampleValue(samples, name, { camera: 'gate' }));
    }
    expect(first.detector_queue_size).toBe(2);
    expect(first.frames_dropped_total).toEqual({ queue_full: 0, fps_cap: 3, inference_error: 0 });
    // p50: rank 1.5 of 3 in (0.008, 0.01], which holds 2: 0.008 + 0.002 × 1.5 / 2;
    // p95: rank 2.85 in (0.03, 0.05], which holds 1 with 2 below: 0.03 + 0.02 × 0.85 (p99: × 0.97)
    expect(first.frame_latency).toEqual({ count: 3, sum: 0.06, p50: 0.0095, p95: 0.047, p99: 0.0494, count_total: 3, sum_total: 0.06 });
    expect(first.frame_classify_latency).toEqual({ count: 0, sum: 0, p50: null, p95: null, p99: null, count_total: 0, sum_total: 0 });
    expect(Object.keys(first).sort()).toEqual(
      [
        'box_count',
        'classifier_frames_processed_total',
        'detector_disconnected',
        'detector_disconnected_seconds_total',
        'detector_queue_size',
        'frames_sent_total',
        'video_index',
        'frames_dropped_total',
        'frame_classify_latency',
        'object_classify_latency',
        'frame_duration',
        'frame_latency',
        'frames_skipped_total',
        'detector_interval',
      ].sort(),
    );

    stats.frameLatency.observe(0.2);
    now += 5000;
    const second = snapshotter.take();
    expect(second.seq).toBe(2);
    expect(second.interval_seconds).toBe(5);
    // Only the 0.2 s since the first snapshot, in (0.15, 0.2]: p50 = 0.15 + 0.05 × 0.5
    expect(second.cameras.gate!.frame_latency).toEqual({ count: 1, sum: 0.2, p50: 0.175, p95: 0.1975, p99: 0.1995, count_total: 4, sum_total: 0.26 });
  });
});
