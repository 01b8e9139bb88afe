import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { trackerSchema, type TrackerConfig } from '../../agent/config/tracking-schema.js';
import { createTracker, type Detection, type Tracker } from '../../agent/tracking/tracker.js';
import { MotAccumulator, type MotCounts } from './accumulator.js';
import { overallMetrics, sequenceMetrics, type MotMetrics } from './metrics.js';
import { MotFormatError, formatMot, parseMot, readMotFile, rowsByFrame, scoredGroundTruth, type MotRow } from './mot-file.js';

/**
 * The tracker evaluation behind `npm run track-eval` (issue 15): feeds each
 * sequence's det.txt, frame by frame, to the product's tracker
 * (agent/tracking createTracker, the code the agent runs), writes the
 * confirmed tracks as a MOTChallenge file, reads that file back and scores
 * it against gt.txt.
 */

export type TrackerType = TrackerConfig['type'];

export interface EvalOptions {
  /** Folders holding det.txt and gt.txt (and seqinfo.ini for the length). */
  readonly sequences: readonly string[];
  readonly trackers: readonly TrackerType[];
  /** Track files go to <outDir>/<tracker>/<sequence>.txt. */
  readonly outDir: string;
  /** Feed only every N-th frame (1, 1 + N, …); ground truth is scored on those frames only. */
  readonly every?: number;
  /**
   * Detections on every N-th frame only (1, 1 + N, …: the agent's
   * detector.interval, issue 16), tracker.predict() on the frames between;
   * tracks are written and scored on every frame. Not with `every` > 1.
   */
  readonly interval?: number;
  /** Tracker settings over the defaults, as in the config's `tracker` section (`type` comes from `trackers`). */
  readonly settings?: Readonly<Record<string, unknown>>;
}

export interface SequenceResult {
  readonly sequence: string;
  readonly metrics: MotMetrics;
  /** Frames given to the tracker: update() or predict(). */
  readonly framesFed: number;
  /** Of those, frames given detections (update()). */
  readonly framesDetected: number;
  /** Wall-clock seconds spent in tracker.update and tracker.predict. */
  readonly trackerSeconds: number;
  /** CPU seconds of this process over the tracking loop: what a busy shared machine distorts least. */
  readonly trackerCpuSeconds: number;
  readonly trackFile: string;
}

export interface TrackerResult {
  readonly tracker: TrackerType;
  readonly config: TrackerConfig;
  readonly sequences: readonly SequenceResult[];
  readonly overall: MotMetrics;
  readonly framesFed: number;
  readonly framesDetected: number;
  readonly trackerSeconds: number;
  readonly trackerCpuSeconds: number;
  /** Frames fed per second of tracker wall time (the scoring and file I/O are not counted). */
  readonly framesPerSecond: number;
  /** Frames fed per CPU second of the tracking loop. */
  readonly framesPerCpuSecond: number;
}

/** Every folder under `dir` holding a det.txt, by name. */
export function findSequences(dir: string): string[] {
  if (!existsSync(dir)) throw new MotFormatError(`${dir}: no such folder (give --data, or set VIGIL_TESTDATA)`);
  const found = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'det.txt')))
    .map((entry) => join(dir, entry.name))
    .sort();
  if (found.length === 0) throw new MotFormatError(`${dir}: no sequence folder with a det.txt in it`);
  return found;
}

export function evaluate(options: EvalOptions): TrackerResult[] {
  const every = options.every ?? 1;
  const interval = options.interval ?? 1;
  if (!Number.isInteger(every) || every < 1) throw new MotFormatError(`every must be a whole number ≥ 1, got ${every}`);
  if (!Number.isInteger(interval) || interval < 1) throw new MotFormatError(`interval must be a whole number ≥ 1, got ${interval}`);
  if (every > 1 && interval > 1) throw new MotFormatError('every and interval exclude each other');
  const inputs = options.sequences.map((dir) => loadSequence(dir));
  return options.trackers.map((type) => {
    const config = trackerConfig(type, options.settings ?? {});
    const sequences = inputs.map((input) => runSequence(input, config, { every, interval }, options.outDir));
    const framesFed = sequences.reduce((sum, s) => sum + s.result.framesFed, 0);
    const framesDetected = sequences.reduce((sum, s) => sum + s.result.framesDetected, 0);
    const trackerSeconds = sequences.reduce((sum, s) => sum + s.result.trackerSeconds, 0);
    const trackerCpuSeconds = sequences.reduce((sum, s) => sum + s.result.trackerCpuSeconds, 0);
    return {
      tracker: type,
      config,
      sequences: sequences.map((s) => s.result),
      overall: overallMetrics(sequences.map((s) => s.counts)),
      framesFed,
      framesDetected,
      trackerSeconds,
      trackerCpuSeconds,
      framesPerSecond: framesFed / trackerSeconds,
      framesPerCpuSecond: framesFed / trackerCpuSeconds,
    };
  });
}

/** The `tracker` section with these settings, validated as the agent validates it; errors name the key. */
export function trackerConfig(type: TrackerType, settings: Readonly<Record<string, unknown>>): TrackerConfig {
  const parsed = trackerSchema.safeParse({ ...settings, type });
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `tracker${issue.path.map((key) => `.${String(key)}`).join('')}: ${issue.message}`);
  throw new MotFormatError(problems.join('; '));
}

interface SequenceInput {
  readonly name: string;
  readonly detections: Map<number, MotRow[]>;
  readonly groundTruth: readonly MotRow[];
  readonly length: number;
}

function loadSequence(dir: string): SequenceInput {
  const name = dir.split(/[\\/]/).filter(Boolean).pop() ?? dir;
  for (const file of ['det.txt', 'gt.txt']) {
    if (!existsSync(join(dir, file))) throw new MotFormatError(`${join(dir, file)}: missing (a sequence folder needs det.txt and gt.txt)`);
  }
  const detections = readMotFile(join(dir, 'det.txt'));
  const groundTruth = scoredGroundTruth(readMotFile(join(dir, 'gt.txt')));
  const lastFrame = Math.max(0, ...detections.map((r) => r.frame), ...groundTruth.map((r) => r.frame));
  return { name, detections: rowsByFrame(detections), groundTruth, length: seqLength(dir) ?? lastFrame };
}

/** seqinfo.ini's seqLength, if there is one. */
function seqLength(dir: string): number | undefined {
  const file = join(dir, 'seqinfo.ini');
  if (!existsSync(file)) return undefined;
  const match = /^\s*seqLength\s*=\s*(\d+)\s*$/m.exec(readFileSync(file, 'utf8'));
  return match ? Number(match[1]) : undefined;
}

/** Which frames the tracker sees, and which of them with detections. */
export interface FrameSchedule {
  /** Only frames 1, 1 + every, … reach the tracker at all. */
  readonly every: number;
  /** Of those, frames 1, 1 + interval, … get update(detections), the rest predict(). */
  readonly interval: number;
}

export interface TrackedFrames {
  /** The confirmed tracks of every frame the tracker saw, in frame order. */
  readonly rows: MotRow[];
  readonly fed: Set<number>;
  readonly detected: number;
  /** Wall-clock seconds in tracker.update and tracker.predict. */
  readonly seconds: number;
}

/** Runs one tracker over a sequence's frames 1…length as the schedule says (the agent's loop: one update or predict a frame). */
export function trackFrames(tracker: Tracker, detections: ReadonlyMap<number, readonly MotRow[]>, length: number, schedule: FrameSchedule): TrackedFrames {
  const rows: MotRow[] = [];
  const fed = new Set<number>();
  let detected = 0;
  let seconds = 0;
  for (let frame = 1, n = 0; frame <= length; frame += schedule.every, n++) {
    fed.add(frame);
    const detect = n % schedule.interval === 0;
    const boxes: Detection[] = detect ? (detections.get(frame) ?? []).map((d) => ({ box: [d.x, d.y, d.x + d.w, d.y + d.h], score: d.conf, label: 'person' })) : [];
    if (detect) detected++;
    const start = performance.now();
    const tracks = detect ? tracker.update(boxes) : tracker.predict();
    seconds += (performance.now() - start) / 1000;
    for (const t of tracks) rows.push({ frame, id: t.trackId, x: t.box[0], y: t.box[1], w: t.box[2] - t.box[0], h: t.box[3] - t.box[1], conf: t.score });
  }
  return { rows, fed, detected, seconds };
}

function runSequence(input: SequenceInput, config: TrackerConfig, schedule: FrameSchedule, outDir: string): { result: SequenceResult; counts: MotCounts } {
  const cpuStart = process.cpuUsage();
  const { rows, fed, detected, seconds } = trackFrames(createTracker(config), input.detections, input.length, schedule);
  const cpu = process.cpuUsage(cpuStart);
  const trackFile = resolve(outDir, config.type, `${input.name}.txt`);
  mkdirSync(resolve(outDir, config.type), { recursive: true });
  const text = formatMot(rows);
  writeFileSync(trackFile, text);
  // score what was written, so the file and the figures agree
  const hypotheses = parseMot(text, trackFile);
  const groundTruth = input.groundTruth.filter((r) => fed.has(r.frame));
  const counts = MotAccumulator.scoreSequence(groundTruth, hypotheses);
  const trackerCpuSeconds = (cpu.user + cpu.system) / 1e6;
  const result = { sequence: input.name, metrics: sequenceMetrics(counts), framesFed: fed.size, framesDetected: detected, trackerSeconds: seconds, trackerCpuSeconds, trackFile };
  return { result, counts };
}
