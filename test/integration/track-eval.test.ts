import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrackerResult } from '../../tools/mot/evaluate.js';
import { SORT_PUBLISHED } from '../../tools/mot/report-table.js';
import { REPO_ROOT, TESTDATA } from '../helpers/testdata.js';

/**
 * `npm run track-eval` as a user runs it (dist/tools/track-eval.js; build
 * first): the product's tracker on the six MOT15 sequences with SORT's own
 * detections, scored by tools/mot (checked against py-motmetrics in
 * test/unit/mot-scorer.test.ts). The figures are issue 15's.
 */

const TRACK_EVAL = resolve(REPO_ROOT, 'dist/tools/track-eval.js');
const MOT15 = resolve(TESTDATA, 'mot/MOT15');
const SEQUENCES = ['ADL-Rundle-8', 'ETH-Pedcross2', 'ETH-Sunnyday', 'KITTI-17', 'TUD-Campus', 'Venice-2'];
/** Σ seqLength of the six (seqinfo.ini). */
const FRAMES = 71 + 354 + 837 + 654 + 600 + 145;
/** Frames 1, 3, 5, … of each: those with detections at --interval 2. */
const ODD_FRAMES = 36 + 177 + 419 + 327 + 300 + 73;

const run = promisify(execFile);

async function trackEval(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [TRACK_EVAL, ...args], { timeout: 110_000, maxBuffer: 4 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('npm run track-eval on MOT15', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-track-eval-'));
  let printed: { code: number; stdout: string; stderr: string };
  let results: Map<string, TrackerResult>;
  let interval2: { code: number; stdout: string; stderr: string };
  let results2: Map<string, TrackerResult>;

  beforeAll(async () => {
    // ByteTrack's MOT15 settings (docs/tracking.md, Tracker): SORT's detections score 0.5 at the least; sort ignores them.
    const mot15 = ['--set', 'high_score=0.85', '--set', 'new_track_score=0.92', '--set', 'confirm_iou=0.5'];
    [printed, interval2] = await Promise.all([
      trackEval(['--data', MOT15, ...mot15, '--out', join(dir, 'tracks'), '--json', join(dir, 'figures.json')]),
      trackEval(['--data', MOT15, ...mot15, '--interval', '2', '--out', join(dir, 'interval2'), '--json', join(dir, 'interval2.json')]),
    ]);
    const read = (file: string): Map<string, TrackerResult> =>
      new Map((JSON.parse(readFileSync(join(dir, file), 'utf8')) as { results: TrackerResult[] }).results.map((r) => [r.tracker, r]));
    results = read('figures.json');
    results2 = read('interval2.json');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs both trackers on all six sequences in one run and prints the table', () => {
    expect(printed.stderr).toBe('');
    expect(printed.code).toBe(0);
    expect([...results.keys()]).toEqual(['bytetrack', 'sort']);
    for (const r of results.values()) {
      expect(r.sequences.map((s) => s.sequence)).toEqual(SEQUENCES);
      expect(r.framesFed).toBe(FRAMES);
      expect(r.framesPerSecond).toBeGreaterThan(0);
      expect(printed.stdout).toContain(`| overall | ${r.tracker} | ${(100 * r.overall.idf1).toFixed(1)} |`);
      expect(r.framesPerCpuSecond).toBeGreaterThan(0);
      expect(printed.stdout).toMatch(new RegExp(`^${r.tracker}: ${FRAMES} frames, \\d+ frames/s on CPU time \\(\\d+ µs a frame\\), \\d+ frames/s on wall time`, 'm'));
    }
  });

  it('ByteTrack: overall MOTA ≥ 36.0 and at most 200 ID switches (SORT published 34.0 and 274)', () => {
    const overall = results.get('bytetrack')!.overall;
    expect(overall.gt).toBe(SORT_PUBLISHED.overall!.gt);
    expect(100 * overall.mota).toBeGreaterThanOrEqual(36.0);
    expect(overall.idSwitches).toBeLessThanOrEqual(200);
    expect(overall.idf1).toBeGreaterThan(0);
  });

  it("SORT mode reproduces SORT's published FP and FN on every sequence, ID switches within ±1", () => {
    const sort = results.get('sort')!;
    for (const s of sort.sequences) {
      const published = SORT_PUBLISHED[s.sequence]!;
      expect({ sequence: s.sequence, fp: s.metrics.fp, fn: s.metrics.fn }).toEqual({ sequence: s.sequence, fp: published.fp, fn: published.fn });
    }
    expect(sort.overall.fp).toBe(3311);
    expect(sort.overall.fn).toBe(11660);
    expect(Math.abs(sort.overall.idSwitches - 274)).toBeLessThanOrEqual(1);
    expect(sort.overall.idf1).toBeGreaterThan(0);
  });

  it('--interval 2 (issue 16): detections on frames 1, 3, 5, …, every frame scored, MOTA within 3 points of every frame', () => {
    expect(interval2.stderr).toBe('');
    expect(interval2.code).toBe(0);
    expect(interval2.stdout).not.toContain('SORT published');
    for (const type of ['bytetrack', 'sort']) {
      const every = results.get(type)!.overall;
      const r = results2.get(type)!;
      expect(r.framesFed).toBe(FRAMES);
      expect(r.framesDetected).toBe(ODD_FRAMES);
      expect(r.overall.gtBoxes).toBe(every.gtBoxes); // every frame's ground truth, not half of it
      expect(100 * (every.mota - r.overall.mota), `${type}: MOTA points lost at interval 2`).toBeLessThanOrEqual(3);
    }
    // Predicted frames carry the tracks: the track file has even frames too.
    const campus = readFileSync(join(dir, 'interval2', 'bytetrack', 'TUD-Campus.txt'), 'utf8').trim().split('\n');
    expect(campus.some((line) => Number(line.split(',')[0]) % 2 === 0)).toBe(true);
  });

  it('writes MOTChallenge track files that hold the scored boxes', () => {
    const sort = results.get('sort')!;
    const campus = sort.sequences.find((s) => s.sequence === 'TUD-Campus')!;
    expect(campus.trackFile).toBe(join(dir, 'tracks', 'sort', 'TUD-Campus.txt'));
    const rows = readFileSync(campus.trackFile, 'utf8').trim().split('\n');
    expect(rows).toHaveLength(campus.metrics.predictedBoxes);
    expect(rows[0]).toMatch(/^1,\d+,[\d.-]+,[\d.-]+,[\d.]+,[\d.]+,[\d.]+,-1,-1,-1$/);
  });
});

describe('track-eval options and bad input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-track-eval-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--every 2 feeds frames 1, 3, 5, … and scores those frames only', async () => {
    const result = await trackEval(['--seq', 'TUD-Campus', '--tracker', 'sort', '--every', '2', '--out', dir, '--json', join(dir, 'every.json')]);
    expect(result.code).toBe(0);
    const [sort] = (JSON.parse(readFileSync(join(dir, 'every.json'), 'utf8')) as { results: TrackerResult[] }).results;
    expect(sort!.framesFed).toBe(36);
    const frames = new Set(readFileSync(join(dir, 'sort', 'TUD-Campus.txt'), 'utf8').trim().split('\n').map((line) => Number(line.split(',')[0])));
    expect([...frames].every((f) => f % 2 === 1)).toBe(true);
    const gtOnOddFrames = readFileSync(join(MOT15, 'TUD-Campus', 'gt.txt'), 'utf8').trim().split('\n').filter((line) => Number(line.split(',')[0]) % 2 === 1);
    expect(sort!.overall.gtBoxes).toBe(gtOnOddFrames.length);
    expect(result.stdout).not.toContain('SORT published');
  });

  it('exits 2 with a clear message on an unknown tracker, a bad --every or --interval, both, a missing folder, a malformed det.txt or a bad tracker setting', async () => {
    const seq = join(dir, 'data', 'broken');
    mkdirSync(seq, { recursive: true });
    writeFileSync(join(seq, 'det.txt'), '1,-1,10,10,20,40,0.9,-1,-1,-1\n2,-1,10,ten,20,40,0.9,-1,-1,-1\n');
    writeFileSync(join(seq, 'gt.txt'), '1,1,10,10,20,40,1,-1,-1,-1\n');
    const [unknown, every, missing, malformed, setting, interval, both] = await Promise.all([
      trackEval(['--tracker', 'kalman']),
      trackEval(['--every', '0']),
      trackEval(['--data', join(dir, 'nowhere')]),
      trackEval(['--data', join(dir, 'data'), '--out', dir]),
      trackEval(['--set', 'high_score=2', '--seq', 'TUD-Campus']),
      trackEval(['--interval=-2']),
      trackEval(['--every', '2', '--interval', '2']),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--tracker: expected bytetrack or sort, got "kalman"');
    expect(every.code).toBe(2);
    expect(every.stderr).toContain('--every: expected a whole number ≥ 1, got "0"');
    expect(interval.code).toBe(2);
    expect(interval.stderr).toContain('--interval: expected a whole number ≥ 1, got "-2"');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--every and --interval: give one of them');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`${join(dir, 'nowhere')}: no such folder`);
    expect(malformed.code).toBe(2);
    expect(setting.code).toBe(2);
    expect(setting.stderr).toContain('tracker.high_score: Too big');
    expect(malformed.stderr).toContain(`${join(seq, 'det.txt')}:2: not a number in "2,-1,10,ten,20,40,0.9,-1,-1,-1"`);
  });
});
