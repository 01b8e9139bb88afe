import { execFileSync, spawn } from 'node:child_process';
import type { Box } from '../../agent/core/letterbox.js';
import { media } from './testdata.js';

/**
 * Videos with known ground truth for the scene tests (issue 15): real
 * persons cut from vtest_f050.jpg, moved along known paths over the plaza of
 * vtest.avi with its pedestrians taken out, encoded with ffmpeg. Every pixel
 * comes from the real footage, so the real detector sees what it sees on the
 * plaza; only where each person stands in each frame is ours, and known.
 */

export const WIDTH = 768;
export const HEIGHT = 576;

/** A person of vtest_f050.jpg: the crop pasted (a margin of plaza around them) and the person's box inside it, in the still's pixels. */
export interface PersonCrop {
  readonly crop: Box;
  readonly person: Box;
}

/** The man in the dark coat and jeans walking at the right (the largest person of the still). */
export const DARK_COAT: PersonCrop = { crop: [660, 250, 725, 374], person: [670, 260, 715, 365] };
/** The man in the red and blue jacket at the centre (the woman beside him stays out of the crop). */
export const RED_JACKET: PersonCrop = { crop: [500, 207, 547, 312], person: [508, 215, 543, 305] };

/** Where a person's feet (the bottom centre of their box) are at a frame; positions between keyframes are linear. */
export interface Keyframe {
  readonly frame: number;
  readonly x: number;
  readonly y: number;
}

/** One person in the video: shown from the first keyframe to the last, absent before and after. */
export interface Actor {
  readonly name: string;
  readonly source: PersonCrop;
  /** Integer magnification of the crop (nearest neighbour keeps the footage's own pixels); 1 by default. */
  readonly scale?: number;
  readonly path: readonly Keyframe[];
}

/** The feet of `actor` at `frame` (rounded to pixels, as drawn), or null when the actor is not in the frame. */
export function feetAt(actor: Actor, frame: number): { x: number; y: number } | null {
  const path = actor.path;
  if (path.length === 0 || frame < path[0]!.frame || frame > path.at(-1)!.frame) return null;
  for (let i = 0; i < path.length - 1; i++) {
    const a = path[i]!;
    const b = path[i + 1]!;
    if (frame > b.frame) continue;
    const t = b.frame === a.frame ? 1 : (frame - a.frame) / (b.frame - a.frame);
    return { x: Math.round(a.x + (b.x - a.x) * t), y: Math.round(a.y + (b.y - a.y) * t) };
  }
  return { x: Math.round(path[0]!.x), y: Math.round(path[0]!.y) };
}

/** The person's box (without the pasted margin) at `frame`, in video pixels, or null. */
export function boxAt(actor: Actor, frame: number): Box | null {
  const feet = feetAt(actor, frame);
  if (!feet) return null;
  const s = actor.scale ?? 1;
  const [px1, py1, px2, py2] = actor.source.person;
  const w = (px2 - px1) * s;
  const h = (py2 - py1) * s;
  return [feet.x - w / 2, feet.y - h, feet.x + w / 2, feet.y];
}

/** Raw BGR pixels (rows top to bottom, 3 bytes a pixel) of the first (or last) video frame ffmpeg makes of `args`. */
function decodeBgr(args: string[], width: number, height: number, last = false): Buffer {
  const raw = execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', ...args, '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-'], { maxBuffer: 64 * width * height * 3 });
  const size = width * height * 3;
  if (raw.length < size) throw new Error(`ffmpeg gave ${raw.length} bytes, wanted a ${width}x${height} frame`);
  return Buffer.from(last ? raw.subarray(raw.length - size) : raw.subarray(0, size));
}

/**
 * The plaza of vtest.avi without its pedestrians: the per-pixel median of 39
 * frames two seconds apart (ffmpeg's tmedian), where everyone who walks is
 * somewhere else in most of them; the parked van and car stay.
 */
export function plazaBackground(): Buffer {
  const plaza = decodeBgr(['-i', media('vtest.avi'), '-vf', 'select=not(mod(n\\,20)),tmedian=radius=19', '-vsync', '0'], WIDTH, HEIGHT, true);
  // The blue sign on the lawn at the left (x 30–50, y 110–140) is a person to
  // YOLOX-Nano at 0.5–0.6 in every frame: covered with the lawn and path
  // 24 px to its left (5 px lower, where the path's slope puts it).
  for (let y = 104; y < 146; y++) plaza.copy(plaza, (y * WIDTH + 26) * 3, ((y + 5) * WIDTH + 2) * 3, ((y + 5) * WIDTH + 28) * 3);
  return plaza;
}

/** `crop` of vtest_f050.jpg as raw BGR, magnified `scale` times. */
function cropPixels(source: PersonCrop, scale: number): { data: Buffer; width: number; height: number } {
  const [x1, y1, x2, y2] = source.crop;
  const width = (x2 - x1) * scale;
  const height = (y2 - y1) * scale;
  const data = decodeBgr(['-i', media('vtest_f050.jpg'), '-vf', `crop=${x2 - x1}:${y2 - y1}:${x1}:${y1},scale=${width}:${height}:flags=neighbor`], width, height);
  return { data, width, height };
}

/** Weight of the pasted pixel at (x, y) of a w×h crop: 1 inside, falling linearly to 0 over `feather` pixels at the edges, so no hard rectangle shows. */
function alpha(x: number, y: number, w: number, h: number, feather: number): number {
  const d = Math.min(x + 0.5, y + 0.5, w - x - 0.5, h - y - 0.5);
  return Math.max(0, Math.min(1, d / feather));
}

/** Pastes `crop` into `frame` so that the person's feet land on `feet`; pixels outside the frame are cut off. */
function paste(frame: Buffer, crop: { data: Buffer; width: number; height: number }, actor: Actor, feet: { x: number; y: number }): void {
  const s = actor.scale ?? 1;
  const [cx1, cy1] = actor.source.crop;
  const [px1, , px2, py2] = actor.source.person;
  // Crop pixel of the person's feet, then the crop's top-left in the frame.
  const left = feet.x - Math.round(((px1 + px2) / 2 - cx1) * s);
  const top = feet.y - (py2 - cy1) * s;
  const feather = 3 * s;
  for (let y = 0; y < crop.height; y++) {
    const fy = top + y;
    if (fy < 0 || fy >= HEIGHT) continue;
    for (let x = 0; x < crop.width; x++) {
      const fx = left + x;
      if (fx < 0 || fx >= WIDTH) continue;
      const a = alpha(x, y, crop.width, crop.height, feather);
      const src = (y * crop.width + x) * 3;
      const dst = (fy * WIDTH + fx) * 3;
      for (let c = 0; c < 3; c++) frame[dst + c] = Math.round(a * crop.data[src + c]! + (1 - a) * frame[dst + c]!);
    }
  }
}

export interface VideoSpec {
  readonly fps: number;
  readonly frames: number;
  readonly actors: readonly Actor[];
}

/** Every frame of `spec` as raw BGR, in order (the background, with each actor present pasted at their feet). */
export function* renderFrames(spec: VideoSpec, background: Buffer = plazaBackground()): Generator<Buffer> {
  const crops = new Map(spec.actors.map((a) => [a, cropPixels(a.source, a.scale ?? 1)]));
  for (let f = 0; f < spec.frames; f++) {
    const frame = Buffer.from(background);
    for (const actor of spec.actors) {
      const feet = feetAt(actor, f);
      if (feet) paste(frame, crops.get(actor)!, actor, feet);
    }
    yield frame;
  }
}

/**
 * Encodes `spec` to `file` (H.264 in MP4, every frame kept, `spec.fps`
 * frames a second, near-lossless so the detector sees the pasted pixels).
 */
export async function writeSyntheticVideo(file: string, spec: VideoSpec): Promise<void> {
  const ffmpeg = spawn(
    'ffmpeg',
    ['-nostdin', '-loglevel', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-s', `${WIDTH}x${HEIGHT}`, '-r', String(spec.fps), '-i', '-',
      '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '16', '-pix_fmt', 'yuv420p', '-g', String(spec.fps), file],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  ffmpeg.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<void>((resolve, reject) => {
    ffmpeg.once('error', reject);
    ffmpeg.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}: ${stderr}`))));
  });
  for (const frame of renderFrames(spec)) {
    if (!ffmpeg.stdin.write(frame)) await new Promise((r) => ffmpeg.stdin.once('drain', r));
  }
  ffmpeg.stdin.end();
  await done;
}

/** The first frame (from `from`) at which `inside(feet)` is true for `actor`, or -1. */
export function firstFrame(actor: Actor, from: number, inside: (feet: { x: number; y: number }) => boolean): number {
  const last = actor.path.at(-1)?.frame ?? -1;
  for (let f = from; f <= last; f++) {
    const feet = feetAt(actor, f);
    if (feet && inside(feet)) return f;
  }
  return -1;
}
