import type { TrackerResult } from './evaluate.js';
import type { MotMetrics } from './metrics.js';

/**
 * The table `npm run track-eval` prints: Markdown, one row per sequence and
 * tracker side by side, then the overall rows, with SORT's published figures
 * (Bewley et al. 2016, its README; MOT devkit, IoU ≥ 0.5) beside ours where
 * the sequence is one of its six.
 */

type Published = Pick<MotMetrics, 'gt' | 'mt' | 'pt' | 'ml' | 'fp' | 'fn' | 'idSwitches' | 'fragmentationsDevkit'> & { mota: number; motpIouPercent: number };

const row = (gt: number, mt: number, pt: number, ml: number, fp: number, fn: number, idSwitches: number, fragmentationsDevkit: number, mota: number, motpIouPercent: number): Published => ({
  gt,
  mt,
  pt,
  ml,
  fp,
  fn,
  idSwitches,
  fragmentationsDevkit,
  mota: mota / 100,
  motpIouPercent,
});

/** SORT's published table on these detections (../shared/testdata/mot/README.md). */
export const SORT_PUBLISHED: Readonly<Record<string, Published>> = {
  'TUD-Campus': row(8, 6, 2, 0, 15, 113, 6, 9, 62.7, 73.7),
  'ETH-Sunnyday': row(30, 11, 16, 3, 319, 418, 22, 54, 59.1, 74.4),
  'ETH-Pedcross2': row(133, 17, 60, 56, 330, 3014, 77, 103, 45.4, 74.8),
  'ADL-Rundle-8': row(28, 6, 16, 6, 959, 3781, 103, 211, 28.6, 71.1),
  'Venice-2': row(26, 7, 9, 10, 1650, 4109, 57, 106, 18.6, 73.4),
  'KITTI-17': row(9, 1, 8, 0, 38, 225, 9, 16, 60.2, 72.3),
  overall: row(234, 48, 111, 75, 3311, 11660, 274, 499, 34.0, 73.3),
};

const HEADER = ['sequence', 'tracker', 'IDF1', 'IDP', 'IDR', 'Rcll', 'Prcn', 'GT', 'MT', 'PT', 'ML', 'FP', 'FN', 'IDs', 'FM', 'FM devkit', 'MOTA', 'MOTP', 'IoU %'];

const pct = (value: number | undefined): string => (value === undefined || Number.isNaN(value) ? '' : (100 * value).toFixed(1));

function cells(sequence: string, tracker: string, m: Partial<MotMetrics> & Published): string[] {
  return [
    sequence,
    tracker,
    pct(m.idf1),
    pct(m.idp),
    pct(m.idr),
    pct(m.recall),
    pct(m.precision),
    String(m.gt),
    String(m.mt),
    String(m.pt),
    String(m.ml),
    String(m.fp),
    String(m.fn),
    String(m.idSwitches),
    m.fragmentations === undefined ? '' : String(m.fragmentations),
    m.fragmentationsDevkit === undefined ? '' : String(m.fragmentationsDevkit),
    pct(m.mota),
    m.motp === undefined || Number.isNaN(m.motp) ? '' : m.motp.toFixed(3),
    Number.isNaN(m.motpIouPercent) ? '' : m.motpIouPercent.toFixed(1),
  ];
}

/** `withPublished`: add SORT's published rows (only meaningful when every frame was fed with its detections). */
export function resultTable(results: readonly TrackerResult[], withPublished: boolean): string {
  const lines = [HEADER, HEADER.map(() => '---')];
  const names = results[0]?.sequences.map((s) => s.sequence) ?? [];
  const block = (name: string, pick: (r: TrackerResult) => MotMetrics | undefined, published: Published | undefined): void => {
    for (const r of results) {
      const m = pick(r);
      if (m) lines.push(cells(name, r.tracker, m));
    }
    if (withPublished && published) lines.push(cells(name, 'SORT published', published));
  };
  for (const name of names) block(name, (r) => r.sequences.find((s) => s.sequence === name)?.metrics, SORT_PUBLISHED[name]);
  // the published overall is for exactly the six sequences
  const allSix = names.length === 6 && names.every((n) => n in SORT_PUBLISHED);
  block('overall', (r) => r.overall, allSix ? SORT_PUBLISHED.overall : undefined);
  return lines.map((c) => `| ${c.join(' | ')} |`).join('\n');
}

export function throughputLines(results: readonly TrackerResult[]): string[] {
  const perFrame = (seconds: number, frames: number): string => `${((seconds / frames) * 1e6).toFixed(0)} µs a frame`;
  return results.map(
    (r) =>
      `${r.tracker}: ${r.framesFed} frames${r.framesDetected < r.framesFed ? ` (${r.framesDetected} with detections)` : ''}, ` +
      `${Math.round(r.framesPerCpuSecond)} frames/s on CPU time (${perFrame(r.trackerCpuSeconds, r.framesFed)}), ` +
      `${Math.round(r.framesPerSecond)} frames/s on wall time in tracker.${r.framesDetected < r.framesFed ? 'update/predict' : 'update'} (${perFrame(r.trackerSeconds, r.framesFed)})`,
  );
}
