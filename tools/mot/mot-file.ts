import { readFileSync } from 'node:fs';

/**
 * MOTChallenge text files (issue 15): one box a line,
 * `frame, id, x, y, w, h, conf, X, Y, Z` — pixels, top-left corner and
 * size, frames from 1. Detections (det.txt) carry id -1 and the detector's
 * score; ground truth (gt.txt) carries conf 0 on rows to ignore; tracker
 * output carries the track id.
 */

export interface MotRow {
  readonly frame: number;
  readonly id: number;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly conf: number;
}

/** A MOT file that cannot be read: says which file, which line and why. */
export class MotFormatError extends Error {
  override readonly name = 'MotFormatError';
}

/** Parses MOT text; `source` names the file in errors. Blank lines are skipped; fewer than 7 fields or a non-number is an error. */
export function parseMot(text: string, source: string): MotRow[] {
  const rows: MotRow[] = [];
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.trim();
    if (line === '') continue;
    const fields = line.split(/[,\s]+/).map(Number);
    const where = `${source}:${index + 1}`;
    if (fields.length < 7) throw new MotFormatError(`${where}: expected at least 7 comma-separated fields (frame, id, x, y, w, h, conf), got ${fields.length}: "${line}"`);
    if (fields.slice(0, 7).some((value) => !Number.isFinite(value))) throw new MotFormatError(`${where}: not a number in "${line}"`);
    const [frame, id, x, y, w, h, conf] = fields as [number, number, number, number, number, number, number];
    if (!Number.isInteger(frame) || frame < 1) throw new MotFormatError(`${where}: frame must be an integer from 1, got ${frame}`);
    rows.push({ frame, id, x, y, w, h, conf });
  }
  return rows;
}

export function readMotFile(path: string): MotRow[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new MotFormatError(`${path}: cannot read (${(error as Error).message})`);
  }
  return parseMot(text, path);
}

/**
 * Ground truth as the MOT devkit and TrackEval score MOT15: rows with
 * conf 0 are ignored. (py-motmetrics' own test keeps them, but its
 * TUD files have none.)
 */
export function scoredGroundTruth(rows: readonly MotRow[]): MotRow[] {
  return rows.filter((row) => row.conf !== 0);
}

/** Tracker output as SORT writes it: `frame,id,x,y,w,h,conf,-1,-1,-1`, boxes to 2 decimals. */
export function formatMot(rows: readonly MotRow[]): string {
  return rows.map((r) => `${r.frame},${r.id},${fixed(r.x)},${fixed(r.y)},${fixed(r.w)},${fixed(r.h)},${fixed(r.conf)},-1,-1,-1\n`).join('');
}

function fixed(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** Rows by frame number, in file order within a frame. */
export function rowsByFrame(rows: readonly MotRow[]): Map<number, MotRow[]> {
  const frames = new Map<number, MotRow[]>();
  for (const row of rows) {
    const list = frames.get(row.frame);
    if (list) list.push(row);
    else frames.set(row.frame, [row]);
  }
  return frames;
}
