import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, agentConfigYaml } from '../helpers/agent-process.js';
import { sampleValue } from '../helpers/metrics-text.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Issue 14: every per-camera series exists from the moment its camera is
 * configured, at zero, so a dashboard shows 0 rather than "No data" and an
 * absent() alert can tell a new camera from a dead one. A camera that never
 * delivers a frame, with the classifier on: the classifier never fires on it.
 */
describe('per-camera series on a camera that never delivered a frame', () => {
  let agent: AgentProcess;

  beforeAll(async () => {
    const deadPort = await freePort();
    agent = await AgentProcess.start(
      agentConfigYaml(
        `  - name: dead\n    url: rtsp://127.0.0.1:${deadPort}/none\n    stall_timeout_seconds: 1\n    reconnect: { initial_seconds: 0.5, max_seconds: 1 }\n` +
          // Issue 16: a gated camera at interval 3, as dead.
          `  - name: gated\n    url: rtsp://127.0.0.1:${deadPort}/none\n    detector: { interval: 3 }\n    motion: { enabled: true }\n`,
        { classifier: true, extra: 'capture:\n  rtsp_timeout_seconds: 1\n' },
      ),
    );
    await waitFor(() => agent.logs.some((l) => l.msg === 'agent started'), 'agent started', 60_000);
  });

  afterAll(async () => {
    await agent?.stop();
  });

  it('shows every histogram, counter and gauge of the camera at zero', async () => {
    const samples = await agent.metrics();
    const dead = { camera: 'dead' };
    expect(sampleValue(samples, 'frames_sent_total', dead)).toBe(0);
    for (const name of ['frame_classify_latency', 'object_classify_latency', 'frame_duration', 'frame_latency', 'detector_inference_seconds', 'detector_batch_frames']) {
      expect(sampleValue(samples, `${name}_count`, dead), name).toBe(0);
      expect(sampleValue(samples, `${name}_sum`, dead), name).toBe(0);
      expect(sampleValue(samples, `${name}_bucket`, { ...dead, le: '+Inf' }), name).toBe(0);
    }
    for (const stage of ['detector', 'classifier']) expect(sampleValue(samples, 'prediction_confidence_count', { ...dead, stage }), stage).toBe(0);
    for (const name of ['box_count', 'classifier_frames_processed_total', 'detector_queue_size', 'video_index']) expect(sampleValue(samples, name, dead), name).toBe(0);
    for (const reason of ['queue_full', 'fps_cap', 'inference_error']) expect(sampleValue(samples, 'frames_dropped_total', { ...dead, reason }), reason).toBe(0);
    expect(sampleValue(samples, 'detector_queue_capacity', dead)).toBeGreaterThan(0);
    // Issue 16: nothing skipped yet, the default interval, and no motion measure on a camera without motion gating.
    for (const reason of ['interval', 'no_motion']) expect(sampleValue(samples, 'frames_skipped_total', { ...dead, reason }), reason).toBe(0);
    expect(sampleValue(samples, 'detector_interval', dead)).toBe(1);
    expect(sampleValue(samples, 'motion_level', dead)).toBeUndefined();
    // Its configured interval and its motion measure at 0 before any frame.
    expect(sampleValue(samples, 'detector_interval', { camera: 'gated' })).toBe(3);
    expect(sampleValue(samples, 'motion_level', { camera: 'gated' })).toBe(0);
    for (const reason of ['interval', 'no_motion']) expect(sampleValue(samples, 'frames_skipped_total', { camera: 'gated', reason }), reason).toBe(0);
  });
});
