import { describe, expect, it } from 'vitest';
import { DetectionGate } from '../../agent/capture/detection-gate.js';
import type { FrameSkip } from '../../agent/core/frame.js';

const FRAME_MS = 100; // 10 fps

/** Decisions for `frames` frames from `startFrame` (motion per frame from `motion`), as 'D' (detected), 'i' (interval) and 'm' (no_motion). */
function run(gate: DetectionGate, frames: number, motion: (frame: number) => boolean | null = () => null, startFrame = 0): string {
  let out = '';
  for (let f = startFrame; f < startFrame + frames; f++) out += code(gate.decide(f * FRAME_MS, motion(f)));
  return out;
}

const code = (skip: FrameSkip | undefined): string => (skip === undefined ? 'D' : skip === 'interval' ? 'i' : 'm');

function gate(interval: number, movingTracks = false, refreshSeconds = 5): DetectionGate {
  const g = new DetectionGate(refreshSeconds);
  g.setPlan(interval, movingTracks);
  return g;
}

describe('DetectionGate: interval without motion gating', () => {
  it.each([
    [1, 'DDDDDDDDDDDD'],
    [2, 'DiDiDiDiDiDi'],
    [3, 'DiiDiiDiiDii'],
    [4, 'DiiiDiiiDiii'],
  ])('interval %i detects every N-th frame from the first', (interval, expected) => {
    expect(run(gate(interval), 12)).toBe(expected);
  });

  it('ignores movingTracks without motion gating', () => {
    expect(run(gate(3, true), 7)).toBe('DiiDiiD');
  });

  it('a lower interval mid-stream applies at once, counted from the last detection', () => {
    const g = gate(4);
    expect(run(g, 3)).toBe('Dii'); // two skipped since frame 0
    g.setPlan(2, false);
    expect(run(g, 4, undefined, 3)).toBe('DiDi'); // 2 frames since the last detection: detect now
  });

  it('a higher interval mid-stream never detects early', () => {
    const g = gate(2);
    expect(run(g, 2)).toBe('Di');
    g.setPlan(4, false);
    expect(run(g, 6, undefined, 2)).toBe('iiDiii');
  });

  it('treats a bad interval as 1', () => {
    for (const bad of [0, -3, Number.NaN]) expect(run(gate(bad), 3)).toBe('DDD');
    expect(run(gate(2.7), 4)).toBe('DiDi');
  });

  it('reset detects the next frame, then the interval counts from there', () => {
    const g = gate(3);
    expect(run(g, 2)).toBe('Di');
    g.reset();
    expect(run(g, 5, undefined, 2)).toBe('DiiDi');
  });
});

describe('DetectionGate: motion gating', () => {
  const still = (): boolean => false;
  const moving = (): boolean => true;

  it('skips still frames as no_motion after the first', () => {
    expect(run(gate(1), 10, still)).toBe('Dmmmmmmmmm');
  });

  it('forces a detection when the last one is refresh_seconds old, and not before', () => {
    const g = gate(1, false, 2); // 2 s = 20 frames at 10 fps
    const decisions = run(g, 61, still);
    const detected = [...decisions].flatMap((c, i) => (c === 'D' ? [i] : []));
    expect(detected).toEqual([0, 20, 40, 60]);
  });

  it('measures the refresh on the clock, not in frames (a camera at 2.5 fps)', () => {
    const g = gate(1, false, 1);
    const at = [0, 400, 800, 1000, 1400, 1799, 2000, 2001];
    expect(at.map((t) => code(g.decide(t, false))).join('')).toBe('DmmDmmDm');
  });

  it('detects at once on motion onset, then the interval resumes', () => {
    const g = gate(3);
    // frames 0-5 still, motion from 6 on
    expect(run(g, 14, (f) => f >= 6)).toBe('Dmmmmm' + 'DiiDiiDi');
  });

  it('any detection resets the refresh clock', () => {
    const g = gate(2, false, 1); // refresh after 10 frames
    // moving for frames 0-4 (detected 0, 2, 4), still after: the refresh falls 10 frames after frame 4
    const decisions = run(g, 16, (f) => f < 5);
    expect(decisions).toBe('DiDiD' + 'mmmmmmmmm' + 'Dm');
  });

  it('detects every active frame while a track waits for confirmation, then the interval resumes; never without gating', () => {
    const g = gate(5);
    // Onset at frame 3: detected; the tracker then holds a tentative track until frame 6's detection confirms it.
    let decisions = run(g, 4, (f) => f >= 3);
    g.setPlan(5, true, true);
    decisions += run(g, 3, () => true, 4);
    g.setPlan(5, true, false);
    decisions += run(g, 8, () => true, 7);
    expect(decisions).toBe('Dmm' + 'D' + 'DDD' + 'iiiiDiii');
    const plain = gate(5);
    plain.setPlan(5, true, true);
    expect(run(plain, 7)).toBe('DiiiiDi');
  });

  it('a moving track keeps the interval running without motion', () => {
    expect(run(gate(2, true), 8, still)).toBe('DiDiDiDi');
  });

  it('a track starting to move after a gated stretch detects at once', () => {
    const g = gate(3);
    expect(run(g, 4, still)).toBe('Dmmm');
    g.setPlan(3, true);
    expect(run(g, 5, still, 4)).toBe('DiiDi');
    g.setPlan(3, false);
    expect(run(g, 3, still, 9)).toBe('mmm');
  });

  it('frames with motion skip as interval, frames without as no_motion', () => {
    // interval 4, motion on frames 0-2, then still
    expect(run(gate(4), 7, (f) => f < 3)).toBe('Diimmmm');
  });

  it('onset after a one-frame lull detects again (motion flickering at the threshold)', () => {
    expect(run(gate(3), 6, (f) => f % 2 === 0)).toBe('DmDmDm');
  });

  it('reset detects the next frame even when still, and keeps the plan', () => {
    const g = gate(2, false, 5);
    expect(run(g, 3, still)).toBe('Dmm');
    g.reset();
    expect(run(g, 3, still, 3)).toBe('Dmm');
    expect(run(g, 4, moving, 6)).toBe('DiDi');
  });

  it('interval 1 with gating: every moving frame detected, every still one skipped until the refresh', () => {
    const g = gate(1, false, 0.5); // refresh after 5 frames
    expect(run(g, 14, (f) => f >= 3 && f < 6)).toBe('Dmm' + 'DDD' + 'mmmm' + 'Dmmm');
  });
});
