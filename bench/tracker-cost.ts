import { trackerSchema } from '../agent/config/tracking-schema.js';
import type { Box } from '../agent/core/letterbox.js';
import { createTracker, type Detection } from '../agent/tracking/tracker.js';

/**
 * (t) What the tracker costs a frame: synthetic scenes of N objects (people
 * and cars) moving at constant speeds with a pixel of jitter, bouncing off
 * the frame's edges, one detection in 20 missed and one in 10 scored low
 * (the second stage's work), for both tracker types. Pure CPU on the main
 * thread, where the agent runs it.
 */

const WIDTH = 1280;
const HEIGHT = 720;
const WARMUP_FRAMES = 2_000;
const FRAMES = 20_000;

/** mulberry32, so every run sees the same scene. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Mover {
  x: number;
  y: number;
  vx: number;
  vy: number;
  readonly w: number;
  readonly h: number;
  readonly label: string;
}

/** The frames' detections, made before timing so only the tracker is measured. */
export function syntheticFrames(objects: number, frames: number, seed = 15): Detection[][] {
  const rnd = random(seed);
  const movers: Mover[] = Array.from({ length: objects }, (_, i) => {
    const car = i % 3 === 2;
    return {
      x: rnd() * (WIDTH - 200),
      y: rnd() * (HEIGHT - 200),
      vx: (rnd() - 0.5) * 12,
      vy: (rnd() - 0.5) * 6,
      w: car ? 160 : 50,
      h: car ? 90 : 130,
      label: car ? 'car' : 'person',
    };
  });
  const out: Detection[][] = [];
  for (let f = 0; f < frames; f++) {
    const dets: Detection[] = [];
    for (const m of movers) {
      m.x += m.vx;
      m.y += m.vy;
      if (m.x < 0 || m.x + m.w > WIDTH) m.vx = -m.vx;
      if (m.y < 0 || m.y + m.h > HEIGHT) m.vy = -m.vy;
      if (rnd() < 0.05) continue;
      const j = (): number => (rnd() - 0.5) * 2;
      const box: Box = [m.x + j(), m.y + j(), m.x + m.w + j(), m.y + m.h + j()];
      dets.push({ box, score: rnd() < 0.1 ? 0.3 + rnd() * 0.2 : 0.6 + rnd() * 0.35, label: m.label });
    }
    out.push(dets);
  }
  return out;
}

/**
 * µs a frame for one tracker type over `frames`, after a warm-up on the same
 * scene: wall clock, and this thread's CPU time (what a busy machine's other
 * processes do not inflate).
 */
export function trackerMicrosPerFrame(type: 'bytetrack' | 'sort', frames: readonly Detection[][]): { wall: number; cpu: number } {
  const config = trackerSchema.parse({ type });
  const warm = createTracker(config);
  for (let f = 0; f < Math.min(WARMUP_FRAMES, frames.length); f++) warm.update(frames[f]!);
  const tracker = createTracker(config);
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (const dets of frames) tracker.update(dets);
  const wall = Number(process.hrtime.bigint() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { wall: wall / frames.length, cpu: (used.user + used.system) / frames.length };
}

export function trackerFigures(): string {
  const rows: string[] = [];
  for (const objects of [10, 30]) {
    const frames = syntheticFrames(objects, FRAMES);
    const cost = (type: 'bytetrack' | 'sort'): string => {
      const { wall, cpu } = trackerMicrosPerFrame(type, frames);
      return `${type} ${wall.toFixed(1)} µs a frame (CPU ${cpu.toFixed(1)})`;
    };
    rows.push(`${objects} objects: ${cost('bytetrack')}, ${cost('sort')}`);
  }
  return `(t) tracker, synthetic moving boxes, ${FRAMES} frames each:\n      ${rows.join('\n      ')}`;
}
