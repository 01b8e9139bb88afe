import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MotAccumulator, iou } from '../../tools/mot/accumulator.js';
import { overallMetrics, sequenceMetrics, type MotMetrics } from '../../tools/mot/metrics.js';
import { MotFormatError, formatMot, parseMot, readMotFile, scoredGroundTruth, type MotRow } from '../../tools/mot/mot-file.js';
import { TESTDATA } from '../helpers/testdata.js';

const MOTMETRICS = resolve(TESTDATA, 'mot/motmetrics');

const score = (gt: readonly MotRow[], hyp: readonly MotRow[]): MotMetrics => sequenceMetrics(MotAccumulator.scoreSequence(gt, hyp));
const box = (frame: number, id: number, x: number, y = 0, w = 10, h = 10): MotRow => ({ frame, id, x, y, w, h, conf: 1 });

/** py-motmetrics' test_motchallenge_files, as ../shared/testdata/mot/README.md lists it. */
const EXPECTED = {
  'TUD-Campus': { idf1: 55.8, idp: 73.0, idr: 45.1, recall: 58.2, precision: 94.1, gt: 8, mt: 1, pt: 6, ml: 1, fp: 13, fn: 150, idSwitches: 7, fragmentations: 7, mota: 52.6, motp: 0.277 },
  'TUD-Stadtmitte': { idf1: 64.5, idp: 82.0, idr: 53.1, recall: 60.9, precision: 94.0, gt: 10, mt: 5, pt: 4, ml: 1, fp: 45, fn: 452, idSwitches: 7, fragmentations: 6, mota: 56.4, motp: 0.346 },
  overall: { idf1: 62.4, idp: 79.9, idr: 51.2, recall: 60.3, precision: 94.0, gt: 18, mt: 6, pt: 10, ml: 2, fp: 58, fn: 602, idSwitches: 14, fragmentations: 13, mota: 55.5, motp: 0.33 },
} as const;

function expectFigures(actual: MotMetrics, expected: (typeof EXPECTED)[keyof typeof EXPECTED]): void {
  const percent = (value: number): number => Math.round(value * 1000) / 10;
  expect({
    idf1: percent(actual.idf1),
    idp: percent(actual.idp),
    idr: percent(actual.idr),
    recall: percent(actual.recall),
    precision: percent(actual.precision),
    gt: actual.gt,
    mt: actual.mt,
    pt: actual.pt,
    ml: actual.ml,
    fp: actual.fp,
    fn: actual.fn,
    idSwitches: actual.idSwitches,
    fragmentations: actual.fragmentations,
    mota: percent(actual.mota),
    motp: Math.round(actual.motp * 1000) / 1000,
  }).toEqual(expected);
}

describe('MOT scorer against py-motmetrics', () => {
  const sequences = (['TUD-Campus', 'TUD-Stadtmitte'] as const).map((name) => {
    const gt = scoredGroundTruth(readMotFile(resolve(MOTMETRICS, name, 'gt.txt')));
    const hyp = readMotFile(resolve(MOTMETRICS, name, 'test.txt'));
    return { name, counts: MotAccumulator.scoreSequence(gt, hyp) };
  });

  for (const [index, name] of (['TUD-Campus', 'TUD-Stadtmitte'] as const).entries()) {
    it(`${name}: every figure of motmetrics' expected summary`, () => {
      expectFigures(sequenceMetrics(sequences[index]!.counts), EXPECTED[name]);
    });
  }

  it('overall: counts summed, ratios from the sums', () => {
    const overall = overallMetrics(sequences.map((s) => s.counts));
    expectFigures(overall, EXPECTED.overall);
    // the devkit's MOTP is the same matches' mean IoU, in percent
    expect(overall.motpIouPercent).toBeCloseTo(100 * (1 - overall.motp), 10);
  });
});

describe('MOT scorer on hand-made sequences', () => {
  const gtTrack = [1, 2, 3, 4].map((f) => box(f, 1, 10 * f));

  it('a perfect track: MOTA 1, IDF1 1, no switch, mostly tracked', () => {
    const m = score(gtTrack, gtTrack.map((r) => ({ ...r, id: 7 })));
    expect(m).toMatchObject({ mota: 1, idf1: 1, motp: 0, motpIouPercent: 100, fp: 0, fn: 0, idSwitches: 0, fragmentations: 0, mt: 1, pt: 0, ml: 0, gt: 1 });
  });

  it('one ID switch: the hypothesis id changes halfway, IDF1 keeps the longer half', () => {
    const hyp = gtTrack.map((r) => ({ ...r, id: r.frame <= 2 ? 1 : 2 }));
    const m = score(gtTrack, hyp);
    expect(m).toMatchObject({ idSwitches: 1, fp: 0, fn: 0, fragmentations: 0, mt: 1 });
    expect(m.mota).toBeCloseTo(1 - 1 / 4, 12);
    expect(m.idf1).toBeCloseTo(0.5, 12); // 2 of 4 frames on the mapped id
  });

  it('one fragmentation: a missed frame between two matched runs, same id, no switch', () => {
    const m = score(gtTrack, gtTrack.filter((r) => r.frame !== 3));
    expect(m).toMatchObject({ fragmentations: 1, idSwitches: 0, fn: 1, fp: 0, mt: 0, pt: 1 });
  });

  it('the devkit also counts a gap in the ground truth as a fragmentation; motmetrics does not', () => {
    const gt = gtTrack.filter((r) => r.frame !== 3); // not annotated in frame 3 (occluded, or a conf-0 row)
    expect(score(gt, gt)).toMatchObject({ fragmentations: 0, fragmentationsDevkit: 1, fn: 0 });
    expect(score(gtTrack, gt)).toMatchObject({ fragmentations: 1, fragmentationsDevkit: 1, fn: 1 });
  });

  it('one false positive: a hypothesis with IoU < 0.5 to the object is an FP and the object a miss', () => {
    // 10×10 boxes shifted by 4 px: IoU 60/140 ≈ 0.43
    expect(iou(box(1, 1, 0), box(1, 2, 4))).toBeCloseTo(60 / 140, 12);
    const m = score([box(1, 1, 0)], [box(1, 2, 4), box(1, 3, 100)]);
    expect(m).toMatchObject({ fp: 2, fn: 1, matches: 0, ml: 1 });
    const matched = score([box(1, 1, 0)], [box(1, 2, 3)]); // IoU 70/130 ≈ 0.54
    expect(matched).toMatchObject({ fp: 0, fn: 0, matches: 1 });
  });

  it('keeps last frame\'s pair while valid even when a switch would fit better', () => {
    // frame 2: hypothesis 2 sits exactly on the object, hypothesis 1 still overlaps enough
    const gt = [box(1, 1, 0), box(2, 1, 0)];
    const hyp = [box(1, 1, 0), box(2, 1, 2), box(2, 2, 0)];
    expect(score(gt, hyp)).toMatchObject({ idSwitches: 0, fp: 1, matches: 2 });
  });

  it('carries a pair over from the previous frame only: after a miss the best pair wins (and is a switch)', () => {
    // frame 2: nothing valid near the object; frame 3: hypothesis 1 is back but 2 fits better (motmetrics ≥ 1.4, as the devkit)
    const gt = [1, 2, 3].map((f) => box(f, 1, 0));
    const hyp = [box(1, 1, 0), box(2, 1, 50), box(3, 1, 2), box(3, 2, 0)];
    expect(score(gt, hyp)).toMatchObject({ idSwitches: 1, fragmentations: 1, fn: 1, fp: 2 });
  });

  it('pairs as many valid pairs as it can before minimising the distance', () => {
    // o1–h1 is perfect (distance 0) but leaves o2 and h2 apart (IoU 0.25); o1–h2 and o2–h1 are both valid (IoU ≈ 0.54)
    const gt = [box(1, 1, 0), box(1, 2, 3)];
    const hyp = [box(1, 1, 0), box(1, 2, -3)];
    expect(score(gt, hyp)).toMatchObject({ matches: 2, fp: 0, fn: 0 });
  });
});

describe('MOT files', () => {
  it('round-trips tracker output, ignores gt rows with conf 0, names the line of a bad row', () => {
    const rows = [box(1, 3, 1.234, 2, 3, 4)];
    expect(parseMot(formatMot(rows), 'x')).toEqual([{ ...rows[0], x: 1.23 }]);
    expect(scoredGroundTruth(parseMot('1,1,0,0,5,5,0,-1,-1,-1\n1,2,0,0,5,5,1,-1,-1,-1\n', 'gt')).map((r) => r.id)).toEqual([2]);
    expect(() => parseMot('1,1,0,0,5,5,1\n2,1,0,zero,5,5,1\n', 'det.txt')).toThrow(new MotFormatError('det.txt:2: not a number in "2,1,0,zero,5,5,1"'));
    expect(() => parseMot('1,1,0,0,5\n', 'det.txt')).toThrow(/det\.txt:1: expected at least 7/);
  });
});
