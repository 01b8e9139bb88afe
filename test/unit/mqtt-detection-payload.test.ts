import type { ErrorObject } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { detectionPayload, type DetectionPayload } from '../../agent/mqtt/detection-payload.js';
import type { MetricsPayload } from '../../agent/mqtt/metrics-snapshot.js';
import type { FrameResult } from '../../agent/core/frame.js';
import { schemaErrors, type PayloadKind } from '../helpers/payload-schemas.js';

/** 2024-01-02T03:04:05.678Z plus a quarter millisecond. */
const CAPTURED_AT = Date.UTC(2024, 0, 2, 3, 4, 5, 678) + 0.25;

function frameResult(overrides: Partial<FrameResult> = {}): FrameResult {
  return {
    frame: { meta: { camera: 'gate', seq: 41, capturedAt: CAPTURED_AT, videoIndex: 2, width: 1920, height: 1080 }, data: new ArrayBuffer(0) },
    objects: [
      { label: 'person', score: 0.87654321, box: [10.04, 20.06, 99.96, 200], class: { label: 'adult', score: 0.912345 } },
      { label: 'car', score: 0.5, box: [0, 0, 1920, 1080], class: null },
    ],
    timings: { detectSeconds: 0.0123456, batchFrames: 1, wide: false, classifySeconds: 0.0041, classifiedObjects: 1 },
    // performance.now() clock: results ready 42.5 ms after capture
    dequeuedAt: CAPTURED_AT - performance.timeOrigin + 20,
    completedAt: CAPTURED_AT - performance.timeOrigin + 42.5,
    ...overrides,
  };
}

function schemaValidator(kind: PayloadKind): (value: unknown) => ErrorObject[] {
  return (value) => schemaErrors(kind, value);
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe('detectionPayload', () => {
  it('builds the schema-1 message, rounding scores to 4 decimals, pixels to 1 and milliseconds to 3', () => {
    expect(detectionPayload(frameResult(), 'edge-01')).toEqual({
      schema: 1,
      device: 'edge-01',
      camera: 'gate',
      seq: 41,
      video_index: 2,
      timestamp: '2024-01-02T03:04:05.678Z',
      timestamp_ms: 1704164645678.25,
      frame: { width: 1920, height: 1080 },
      detected: true,
      objects: [
        { label: 'person', score: 0.8765, box: [10, 20.1, 100, 200], class: { label: 'adult', score: 0.9123 }, track_id: null },
        { label: 'car', score: 0.5, box: [0, 0, 1920, 1080], class: null, track_id: null },
      ],
      latency_ms: { detect: 12.346, classify: 4.1, total: 42.5 },
    });
  });

  it("carries each object's confirmed track id, null for an object without one (issue 15)", () => {
    const objects = [
      { label: 'person', score: 0.9, box: [1, 2, 3, 4] as const, class: null, trackId: 7 },
      { label: 'person', score: 0.4, box: [5, 6, 7, 8] as const, class: null, trackId: null },
      { label: 'car', score: 0.8, box: [9, 10, 11, 12] as const, class: null, trackId: 12 },
    ];
    const payload = detectionPayload(frameResult({ objects }), 'edge-01');
    expect(payload.objects.map((o) => o.track_id)).toEqual([7, null, 12]);
    expect(schemaErrors('detections', payload)).toEqual([]);
    const bad = clone(payload);
    (bad.objects[0] as { track_id: unknown }).track_id = 0;
    expect(schemaErrors('detections', bad).some((e) => e.instancePath === '/objects/0/track_id')).toBe(true);
  });

  it('says whether the detector ran on the frame, and why not when it did not (issue 16)', () => {
    const detected = detectionPayload(frameResult(), 'edge-01');
    expect(detected.detected).toBe(true);
    expect(detected).not.toHaveProperty('skip_reason');
    const predicted = frameResult({
      frame: { meta: { camera: 'gate', seq: 42, capturedAt: CAPTURED_AT, videoIndex: 2, width: 1920, height: 1080, skip: 'interval' }, data: new ArrayBuffer(0) },
      objects: [{ label: 'person', score: 0.8, box: [12, 22, 102, 202], class: { label: 'adult', score: 0.9 }, trackId: 3 }],
      timings: { detectSeconds: 0, batchFrames: 0, wide: false, classifySeconds: 0, classifiedObjects: 0 },
    });
    const payload = detectionPayload(predicted, 'edge-01');
    expect(payload).toMatchObject({ detected: false, skip_reason: 'interval', latency_ms: { detect: 0, classify: 0 } });
    // The predicted object keeps its track and the track's class.
    expect(payload.objects).toEqual([{ label: 'person', score: 0.8, box: [12, 22, 102, 202], class: { label: 'adult', score: 0.9 }, track_id: 3 }]);
    expect(schemaErrors('detections', payload)).toEqual([]);
    const gated = { ...predicted, frame: { ...predicted.frame, meta: { ...predicted.frame.meta, skip: 'no_motion' as const } } };
    expect(detectionPayload(gated, 'edge-01').skip_reason).toBe('no_motion');
  });

  it('takes the timestamp from the capture time', () => {
    const payload = detectionPayload(frameResult(), 'edge-01');
    expect(payload.timestamp).toBe(new Date(CAPTURED_AT).toISOString());
  });

  it('measures total latency from capture (epoch) to completion (performance.now() + timeOrigin)', () => {
    const completedAt = CAPTURED_AT - performance.timeOrigin + 1234.5678;
    expect(detectionPayload(frameResult({ completedAt }), 'edge-01').latency_ms.total).toBe(1234.568);
  });

  it('never reports a negative total latency (clock steps), and publishes a frame without objects', () => {
    const payload = detectionPayload(frameResult({ objects: [], completedAt: CAPTURED_AT - performance.timeOrigin - 5 }), 'edge-01');
    expect(payload.latency_ms.total).toBe(0);
    expect(payload.objects).toEqual([]);
  });
});

describe('config/mqtt-schemas/detections.schema.json', () => {
  const validate = schemaValidator('detections');
  const good = detectionPayload(frameResult(), 'edge-01');

  it('accepts what detectionPayload produces', () => {
    expect(validate(good)).toEqual([]);
    expect(validate(detectionPayload(frameResult({ objects: [] }), 'edge-01'))).toEqual([]);
  });

  it('rejects a box with 3 numbers', () => {
    const bad = clone(good);
    (bad.objects[0]!.box as number[]).pop();
    expect(validate(bad).map((e) => [e.instancePath, e.keyword])).toEqual([['/objects/0/box', 'minItems']]);
  });

  it('rejects a score of 1.5, for the object and for its class', () => {
    const bad = clone(good);
    bad.objects[0]!.score = 1.5;
    expect(validate(bad).map((e) => [e.instancePath, e.keyword])).toEqual([['/objects/0/score', 'maximum']]);
    const badClass = clone(good);
    badClass.objects[0]!.class = { label: 'adult', score: 1.5 };
    expect(validate(badClass).some((e) => e.instancePath === '/objects/0/class/score' && e.keyword === 'maximum')).toBe(true);
  });

  it('takes a message of schema 1 from before issue 16 (no detected), and refuses a skip_reason that contradicts detected or is unknown', () => {
    const before: Partial<DetectionPayload> = clone(good);
    delete before.detected;
    expect(validate(before)).toEqual([]);
    const paths = (value: unknown): string[] => validate(value).map((e) => `${e.instancePath} ${e.keyword}`);
    expect(paths({ ...good, skip_reason: 'interval' })).toContain('/detected const');
    expect(paths({ ...good, detected: false })).toContain(' required');
    expect(paths({ ...good, detected: false, skip_reason: 'idle' })).toContain('/skip_reason enum');
    expect(paths({ ...good, detected: false, skip_reason: 'no_motion' })).toEqual([]);
  });

  it('rejects a message without latency_ms', () => {
    const bad: Partial<DetectionPayload> = clone(good);
    delete bad.latency_ms;
    expect(validate(bad).map((e) => [e.keyword, e.params])).toEqual([['required', { missingProperty: 'latency_ms' }]]);
  });
});

describe('config/mqtt-schemas/metrics.schema.json', () => {
  const validate = schemaValidator('metrics');
  const latency = { count: 20, sum: 0.5, p50: 0.01, p95: 0.019, p99: 0.0198, count_total: 40, sum_total: 0.8 };
  const idle = { count: 0, sum: 0, p50: null, p95: null, p99: null, count_total: 0, sum_total: 0 };
  const snapshot: MetricsPayload = {
    schema: 1,
    device: 'edge-01',
    site: 'depot',
    session: '0b7d8c1e-4c1a-4f0e-9a51-3f1f6d2a9e10',
    seq: 1,
    timestamp: '2024-01-02T03:04:05.678Z',
    timestamp_ms: 1704164645678,
    interval_seconds: 10.002,
    cameras: {
      gate: {
        box_count: 3,
        classifier_frames_processed_total: 120,
        detector_disconnected: 0,
        detector_disconnected_seconds_total: 1.5,
        detector_queue_size: 2,
        frames_sent_total: 250,
        video_index: 0,
        frames_dropped_total: { queue_full: 4, rate_limit: 0 },
        frame_classify_latency: latency,
        object_classify_latency: idle,
        frame_duration: latency,
        frame_latency: latency,
      },
    },
  };

  it('accepts a snapshot with numbers and null quantiles', () => {
    expect(validate(snapshot)).toEqual([]);
  });

  it('rejects detector_disconnected 2, seq 0 and a missing frame_latency', () => {
    const bad = clone(snapshot);
    const gate = bad.cameras.gate!;
    gate.detector_disconnected = 2;
    delete gate.frame_latency;
    bad.seq = 0;
    expect(validate(bad).map((e) => `${e.instancePath} ${e.keyword}`).sort()).toEqual([
      '/cameras/gate required',
      '/cameras/gate/detector_disconnected enum',
      '/seq minimum',
    ]);
  });
});
