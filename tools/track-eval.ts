import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { TRACKER_TYPES } from '../agent/config/tracking-schema.js';
import { evaluate, findSequences, type TrackerType } from './mot/evaluate.js';
import { MotFormatError } from './mot/mot-file.js';
import { resultTable, throughputLines } from './mot/report-table.js';

/**
 * `npm run track-eval`: the product's tracker on MOTChallenge detections,
 * scored with CLEAR MOT and IDF1 (issue 15; docs/tracking.md, Evaluation).
 * Exit 0 when it scored, 2 on bad input (options, missing or malformed files).
 */

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const EXIT_BAD_INPUT = 2;

const USAGE = `usage: npm run track-eval -- [options]
  --data DIR        folder of MOTChallenge sequences (each with det.txt, gt.txt, seqinfo.ini);
                    default $VIGIL_TESTDATA/mot/MOT15, else ../shared/testdata/mot/MOT15
  --seq NAME        only this sequence (repeatable)
  --tracker TYPE    ${TRACKER_TYPES.join(' | ')} (repeatable; default: all, side by side)
  --every N         feed only every N-th frame's detections (1, 1+N, …), score those frames
  --interval N      detections on every N-th frame only (1, 1+N, …), tracker.predict() on the
                    frames between (the agent's detector.interval); every frame scored
  --set KEY=VALUE   a tracker setting over its default, as in the config's tracker section
                    (repeatable; e.g. --set high_score=0.6 --set sort.max_age=3)
  --out DIR         track files go to DIR/<tracker>/<sequence>.txt (default test-artifacts/track-eval)
  --json FILE       also write the figures as JSON`;

class UsageError extends Error {}

interface Cli {
  data: string;
  seqs: string[];
  trackers: TrackerType[];
  every: number;
  interval: number;
  out: string;
  settings: Record<string, unknown>;
  json: string | undefined;
}

function parseCli(argv: readonly string[]): Cli | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        data: { type: 'string' },
        seq: { type: 'string', multiple: true },
        tracker: { type: 'string', multiple: true },
        every: { type: 'string' },
        interval: { type: 'string' },
        set: { type: 'string', multiple: true },
        out: { type: 'string' },
        json: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const trackers = values.tracker ?? [...TRACKER_TYPES];
  for (const t of trackers) if (!(TRACKER_TYPES as readonly string[]).includes(t)) throw new UsageError(`--tracker: expected ${TRACKER_TYPES.join(' or ')}, got "${t}"`);
  const every = values.every === undefined ? 1 : Number(values.every);
  if (!Number.isInteger(every) || every < 1) throw new UsageError(`--every: expected a whole number ≥ 1, got "${values.every}"`);
  const interval = values.interval === undefined ? 1 : Number(values.interval);
  if (!Number.isInteger(interval) || interval < 1) throw new UsageError(`--interval: expected a whole number ≥ 1, got "${values.interval}"`);
  if (every > 1 && interval > 1) throw new UsageError('--every and --interval: give one of them (--every drops the frames between, --interval predicts them)');
  const testdata = process.env.VIGIL_TESTDATA ? resolve(process.env.VIGIL_TESTDATA) : resolve(ROOT, '../shared/testdata');
  return {
    data: resolve(values.data ?? join(testdata, 'mot/MOT15')),
    seqs: values.seq ?? [],
    trackers: [...new Set(trackers)] as TrackerType[],
    every,
    interval,
    out: resolve(values.out ?? join(ROOT, 'test-artifacts/track-eval')),
    settings: parseSettings(values.set ?? []),
    json: values.json === undefined ? undefined : resolve(values.json),
  };
}

/** `key=value` (`sort.max_age=3`): the value as JSON where it is (numbers, booleans), else as a string. */
function parseSettings(pairs: readonly string[]): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--set: expected KEY=VALUE, got "${pair}"`);
    const path = pair.slice(0, at).split('.');
    const text = pair.slice(at + 1);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // a plain string
    }
    let node = settings;
    for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[path.at(-1)!] = value;
  }
  return settings;
}

function pickSequences(cli: Cli): string[] {
  const all = findSequences(cli.data);
  if (cli.seqs.length === 0) return all;
  return cli.seqs.map((name) => {
    const dir = all.find((d) => d.endsWith(`/${name}`) || d.endsWith(`\\${name}`));
    if (!dir) throw new UsageError(`--seq: no sequence "${name}" in ${cli.data} (have: ${all.map((d) => d.split(/[\\/]/).pop()).join(', ')})`);
    return dir;
  });
}

function describeFrames(cli: Cli): string {
  if (cli.every > 1) return `one frame in ${cli.every} (1, ${1 + cli.every}, ${1 + 2 * cli.every}, …)`;
  if (cli.interval > 1) return `every frame, detections on one in ${cli.interval} (1, ${1 + cli.interval}, …), predicted between`;
  return 'every frame';
}

export function main(argv: readonly string[]): number {
  try {
    const cli = parseCli(argv);
    if (cli === 'help') {
      console.log(USAGE);
      return 0;
    }
    const sequences = pickSequences(cli);
    const results = evaluate({ sequences, trackers: cli.trackers, outDir: cli.out, every: cli.every, interval: cli.interval, settings: cli.settings });
    const frames = describeFrames(cli);
    const settings = Object.keys(cli.settings).length === 0 ? 'default settings' : `settings ${JSON.stringify(cli.settings)}`;
    console.log(`track-eval: ${sequences.length} sequences from ${cli.data}, ${frames}, ${settings}, IoU ≥ 0.5; MOTP as motmetrics (1 − IoU) and as the devkit (IoU %)\n`);
    console.log(resultTable(results, cli.every === 1 && cli.interval === 1));
    console.log(`\ntracker throughput (the tracking loop only, not reading or scoring; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs):\n${throughputLines(results).join('\n')}`);
    console.log(`track files: ${relative(process.cwd(), cli.out) || '.'}/<tracker>/<sequence>.txt`);
    if (cli.json) {
      mkdirSync(dirname(cli.json), { recursive: true });
      writeFileSync(cli.json, `${JSON.stringify({ data: cli.data, every: cli.every, interval: cli.interval, results }, null, 2)}\n`);
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof MotFormatError) {
      console.error(`track-eval: ${error.message}`);
      if (error instanceof UsageError) console.error(USAGE);
      return EXIT_BAD_INPUT;
    }
    throw error;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
