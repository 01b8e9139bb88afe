import { describe, expect, it } from 'vitest';
import { CameraHealthTracker } from '../../agent/health/camera-health.js';
import { assessReadiness, inferenceStuck } from '../../agent/health/readiness.js';

function tracker(queue = 0): { health: CameraHealthTracker; advance: (ms: number) => void } {
  let now = 1000;
  return { health: new CameraHealthTracker('gate', () => now, () => queue), advance: (ms) => (now += ms) };
}

describe('CameraHealthTracker', () => {
  it('reports no frame and 0 fps before the first frame', () => {
    const { health } = tracker(2);
    expect(health.snapshot()).toEqual({ camera: 'gate', state: 'connecting', connected: false, disconnected_seconds: 0, last_frame_age_seconds: null, fps: 0, queue_size: 2 });
  });

  it('counts 10 frames a second over the last 10 s, and the age of the last one', () => {
    const { health, advance } = tracker();
    health.onState('connected');
    for (let i = 0; i < 50; i++) {
      health.onFrame();
      advance(100);
    }
    // 50 frames in the 5 s since the first one
    expect(health.snapshot()).toMatchObject({ connected: true, fps: 10, last_frame_age_seconds: 0.1 });
    advance(20_000);
    expect(health.snapshot()).toMatchObject({ fps: 0, last_frame_age_seconds: 20.1 });
  });

  it('keeps only the last 10 s of frames in the rate', () => {
    const { health, advance } = tracker();
    for (let i = 0; i < 200; i++) {
      health.onFrame();
      advance(50); // 20 fps for 10 s
    }
    for (let i = 0; i < 50; i++) {
      health.onFrame();
      advance(200); // then 5 fps for 10 s
    }
    expect(health.snapshot().fps).toBeCloseTo(5, 0);
  });

  it('times a disconnection from its start and forgets it on reconnect', () => {
    const { health, advance } = tracker();
    health.onState('connected');
    advance(5000);
    health.onState('disconnected');
    advance(2500);
    health.onState('disconnected');
    advance(500);
    expect(health.snapshot()).toMatchObject({ state: 'disconnected', connected: false, disconnected_seconds: 3 });
    health.onState('connected');
    expect(health.snapshot()).toMatchObject({ connected: true, disconnected_seconds: 0 });
  });
});

describe('assessReadiness', () => {
  const thresholds = { disconnectedSeconds: 60, inferenceStallSeconds: 10 };
  const camera = (name: string, state: 'connected' | 'disconnected' | 'ended', disconnected = 0) =>
    ({ camera: name, state, connected: state === 'connected', disconnected_seconds: disconnected, last_frame_age_seconds: 0.1, fps: 10, queue_size: 0 }) as const;

  it('is ready with cameras up and inference flowing', () => {
    expect(assessReadiness([camera('a', 'connected')], 0.02, thresholds)).toMatchObject({ ready: true, reasons: [], inference: { stuck: false, oldest_run_seconds: 0.02 } });
  });

  it('tolerates a camera within its reconnect grace and a file that ended', () => {
    expect(assessReadiness([camera('a', 'disconnected', 59), camera('b', 'ended')], 0, thresholds).ready).toBe(true);
  });

  it('names each camera down past the threshold and a stuck inference', () => {
    const verdict = assessReadiness([camera('a', 'disconnected', 61), camera('b', 'connected'), camera('c', 'disconnected', 600)], 12.345, thresholds);
    expect(verdict.ready).toBe(false);
    expect(verdict.reasons).toEqual(['camera a disconnected for 61 s', 'camera c disconnected for 600 s', 'inference run in progress for 12.3 s']);
    expect(verdict.inference).toEqual({ stuck: true, oldest_run_seconds: 12.35 });
  });

  it('calls inference stuck only past the threshold', () => {
    expect(inferenceStuck(10, thresholds)).toBe(false);
    expect(inferenceStuck(10.01, thresholds)).toBe(true);
  });
});
