import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, agentConfigYaml } from '../helpers/agent-process.js';
import { sampleValue } from '../helpers/metrics-text.js';
import { median } from '../../agent/util/numbers.js';
import { media } from '../helpers/testdata.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Two cameras decoding a file as fast as possible (far faster than inference)
 * with the classifier on: the queues must stay bounded, drops must be
 * counted, memory must level off, and /metrics must stay fast because
 * inference never runs on the main thread.
 */
describe('full load: bounded queues, counted drops, responsive /metrics', () => {
  let agent: AgentProcess;
  const CAPACITY = 2;

  beforeAll(async () => {
    const camera = (name: string): string => `  - name: ${name}\n    url: ${media('vtest.avi')}\n    file_pace: max\n    queue_capacity: ${CAPACITY}\n`;
    agent = await AgentProcess.start(agentConfigYaml(camera('fast1') + camera('fast2'), { classifier: true }));
    await waitFor(async () => (sampleValue(await agent.metrics(), 'classifier_frames_processed_total', { camera: 'fast2' }) ?? 0) > 20, 'pipeline at full load', 30_000);
  });

  afterAll(async () => {
    await agent?.stop();
  });

  it('keeps every queue within capacity, counts the drops, and answers /metrics within 50 ms', async () => {
    const latencies: number[] = [];
    const rss: number[] = [];
    for (let i = 0; i < 40; i++) {
      const started = performance.now();
      const samples = await agent.metrics();
      latencies.push(performance.now() - started);
      for (const camera of ['fast1', 'fast2']) expect(sampleValue(samples, 'detector_queue_size', { camera })).toBeLessThanOrEqual(CAPACITY);
      rss.push(sampleValue(samples, 'process_resident_memory_bytes') ?? NaN);
      await new Promise((r) => setTimeout(r, 200));
    }
    const samples = await agent.metrics();
    for (const camera of ['fast1', 'fast2']) {
      const sent = sampleValue(samples, 'frames_sent_total', { camera })!;
      const dropped = sampleValue(samples, 'frames_dropped_total', { camera, reason: 'queue_full' })!;
      const processed = sampleValue(samples, 'classifier_frames_processed_total', { camera })!;
      expect(dropped).toBeGreaterThan(0);
      // Every frame sent is processed (published), dropped, still queued, in a worker (2 workers × pipeline_depth 2),
      // or analysed and waiting behind its camera's classify job on the publication chain (per_track, the default:
      // frames finish meanwhile; a clean-clone CI run saw 8 unpublished against the 6 without them).
      expect(sent - dropped - processed).toBeLessThanOrEqual(CAPACITY + 4 + 4);
    }
    latencies.sort((a, b) => a - b);
    expect(latencies[Math.floor(latencies.length * 0.95)]!).toBeLessThan(50);
    // Measured here: median ~7 ms, worst ~26 ms; this test's own client competes for the same 2 cores.
    expect(latencies[latencies.length - 1]!).toBeLessThan(100);
    // Memory levels off. RSS saw-tooths by ±20 MiB here as frame buffers wait for GC (a max against one
    // sample flaked at +7 %), so compare the medians of the first and last 2 s: keeping each dropped frame
    // grew it 1837 -> 4475 MiB in the 8 s (mutation-checked); settling adds a few percent.
    const series = rss.map((r) => (r / 2 ** 20).toFixed(0)).join(' ');
    expect(median(rss.slice(-10)), `RSS MiB: ${series}`).toBeLessThan(median(rss.slice(0, 10)) * 1.15);
  });

  it('exposes metrics that promtool accepts without a single complaint', async () => {
    const text = await agent.metricsText();
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('exports the fleet dashboard metrics with camera labels and unit-stating help', async () => {
    const text = await agent.metricsText();
    for (const name of [
      'box_count',
      'classifier_frames_processed_total',
      'detector_disconnected',
      'detector_disconnected_seconds_total',
      'detector_queue_size',
      'frame_classify_latency',
      'object_classify_latency',
      'frame_duration',
      'frame_latency',
      'frames_sent_total',
      'video_index',
      'frames_dropped_total',
      'detector_inference_seconds',
      'objects_detected_total',
      'prediction_confidence',
    ]) {
      const base = name.replace(/_total$/, '');
      expect(text, name).toMatch(new RegExp(`^# HELP ${base}(_total)? .*(second|count|ratio|index|Whether)`, 'im'));
      expect(text, name).toMatch(new RegExp(`^${name}(_bucket|_sum|_count)?\\{[^}]*camera="fast1"`, 'm'));
    }
    expect(text).toMatch(/^vigil_info\{.*detector_provider="cpu".*\} 1$/m);
    expect(text).toMatch(/^process_resident_memory_bytes /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });
});
