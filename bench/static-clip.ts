import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Actor, VideoSpec } from '../test/helpers/synthetic-video.js';

/**
 * The mostly static scene of the density bench (issue 16 (e)): the plaza of
 * vtest.avi with its pedestrians taken out (test/helpers/synthetic-video.ts),
 * and now and then one real person of vtest_f050.jpg walking across it for
 * 2.5 s, 10 fps. Every burst crosses the vertical line at x = 0.5, so a
 * missed burst shows as a missed track and a missed crossing.
 */

export const STATIC_FPS = 10;
export const STATIC_FRAMES = 600;
/** The line every burst crosses (frame fractions). */
export const STATIC_LINE: readonly [readonly [number, number], readonly [number, number]] = [
  [0.5, 0],
  [0.5, 1],
];

/** Bursts: first frame, walking right (true) or left; each lasts BURST_FRAMES frames, about 18 s apart, the last one 10 s before the end. */
const BURSTS: readonly { readonly start: number; readonly right: boolean }[] = [
  { start: 50, right: true },
  { start: 230, right: false },
  { start: 420, right: true },
];
const BURST_FRAMES = 25;

/** 10 px a frame, feet at y 300 (where the scene tests see these persons detected), across x 384 in the middle of the walk. */
function burstActor(source: Actor['source'], index: number, start: number, right: boolean): Actor {
  const [from, to] = right ? [264, 504] : [504, 264];
  return {
    name: `burst${index}`,
    source,
    path: [
      { frame: start, x: from, y: 300 },
      { frame: start + BURST_FRAMES - 1, x: to, y: 300 },
    ],
  };
}

/** The clip's actors: the bursts, alternating between the two persons given (the helper's DARK_COAT and RED_JACKET). */
export function staticActors(first: Actor['source'], second: Actor['source']): Actor[] {
  return BURSTS.map((b, i) => burstActor(i % 2 === 0 ? first : second, i, b.start, b.right));
}

/** How many bursts the clip holds (one person and one crossing each): what a gated camera must still count per pass. */
export const STATIC_BURSTS = BURSTS.length;

/**
 * Renders the clip into `dir` once (ffmpeg; a few seconds) and returns its
 * path. The helper is loaded only here, with VIGIL_TESTDATA made absolute,
 * because from dist/ it resolves a relative one against the wrong folder.
 */
export async function renderStaticClip(dir: string, testdata: string): Promise<string> {
  const file = join(dir, 'static-plaza.mp4');
  if (existsSync(file)) return file;
  process.env.VIGIL_TESTDATA = testdata;
  const { DARK_COAT, RED_JACKET, writeSyntheticVideo } = await import('../test/helpers/synthetic-video.js');
  const spec: VideoSpec = { fps: STATIC_FPS, frames: STATIC_FRAMES, actors: staticActors(DARK_COAT, RED_JACKET) };
  await writeSyntheticVideo(file, spec);
  return file;
}

/**
 * `count` copies of the clip, copy k starting 60·k/count s in and wrapping
 * round (k = 0 is the clip itself): cameras given different copies have
 * their bursts at different times, as real cameras would, instead of all
 * at once. Cut at whole seconds, where the clip has its keyframes (one a
 * second), and joined without re-encoding.
 */
export function shiftedCopies(clip: string, dir: string, count: number): string[] {
  const seconds = STATIC_FRAMES / STATIC_FPS;
  const copies = [clip];
  for (let k = 1; k < count; k++) {
    const offset = Math.round((seconds * k) / count);
    const out = join(dir, `static-plaza-${offset}s.mp4`);
    if (!existsSync(out)) {
      const head = join(dir, `head-${offset}.mp4`);
      const tail = join(dir, `tail-${offset}.mp4`);
      const list = join(dir, `list-${offset}.txt`);
      const ffmpeg = (...args: string[]): void => void execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', ...args]);
      ffmpeg('-ss', String(offset), '-i', clip, '-an', '-c', 'copy', head);
      ffmpeg('-i', clip, '-t', String(offset), '-an', '-c', 'copy', tail);
      writeFileSync(list, `file '${head}'\nfile '${tail}'\n`);
      ffmpeg('-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', out);
    }
    copies.push(out);
  }
  return copies;
}
