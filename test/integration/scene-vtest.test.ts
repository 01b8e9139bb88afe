import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, agentConfigYaml } from '../helpers/agent-process.js';
import { type Sample } from '../helpers/metrics-text.js';
import { Mosquitto, MqttRecorder, type RecordedMessage } from '../helpers/mosquitto.js';
import { assertMatchesSchema } from '../helpers/payload-schemas.js';
import { media, REPO_ROOT } from '../helpers/testdata.js';
import { waitFor } from '../helpers/wait.js';

/** The first 20 s of vtest.avi (200 frames at 10 fps), every frame analysed (`on_demand`), played once. */
const SECONDS = 20;
const FRAMES = SECONDS * 10;
const DEVICE = 'edge-01';
const TOPIC = (name: string): string => `vigil/${DEVICE}/plaza/${name}`;

/**
 * A line across the plaza at x = 0.7, top to bottom (its first direction,
 * `in`, is left to right in the picture), which walkers in the first 20 s
 * cross both ways, and a zone over the plaza's right half, where they walk
 * in and out (fractions of the 768×576 frame).
 */
const SCENE =
  '    zones:\n      - name: plaza_right\n        polygon: [[0.55, 0.35], [0.95, 0.35], [0.95, 0.7], [0.55, 0.7]]\n' +
  '    lines:\n      - name: crossing\n        points: [[0.7, 0.3], [0.7, 0.8]]\n';

interface TrackEventMessage {
  type: 'new' | 'update' | 'end';
  track_id: number;
  label: string;
  zones: { zone: string; entered_at: number; exited_at: number | null; dwell_seconds: number }[];
  crossings: { line: string; direction: string; at: number }[];
}
interface DetectionsMessage {
  seq: number;
  objects: { label: string; score: number; box: number[]; track_id?: number | null }[];
}
interface CountsMessage {
  zones: Record<string, Record<string, number>>;
  lines: Record<string, Record<string, Record<string, number>>>;
}

const parse = <T>(m: RecordedMessage): T => JSON.parse(m.payload) as T;

/** What one run ends with: the scene series on /metrics, the events, the retained counts. */
interface RunResult {
  /** Per frame (seq): the detections as `label score box`. */
  detections: Map<number, string>;
  samples: Sample[];
  events: TrackEventMessage[];
  counts: CountsMessage;
}

/** Scene series of camera plaza as `name{labels}` → value, for comparing runs and views. */
function sceneSeries(samples: readonly Sample[], names: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (!names.includes(s.name) || s.labels.camera !== 'plaza') continue;
    const labels = Object.entries(s.labels).filter(([k]) => k !== 'camera').sort(([a], [b]) => a.localeCompare(b));
    out[`${s.name}{${labels.map(([k, v]) => `${k}=${v}`).join(',')}}`] = s.value;
  }
  return out;
}

/** The crossings of the counts message as line_crossings_total series. */
function countsAsCrossings(counts: CountsMessage): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [line, directions] of Object.entries(counts.lines))
    for (const [direction, labels] of Object.entries(directions))
      for (const [label, n] of Object.entries(labels)) out[`line_crossings_total{direction=${direction},label=${label},line=${line}}`] = n;
  return out;
}

/** Nonzero entries only: a series at zero and a count left out say the same. */
const nonzero = (series: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(series).filter(([, v]) => v !== 0));

let dir: string;
let clip: string;
let broker: Mosquitto;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-scene-vtest-'));
  clip = join(dir, 'vtest-20s.avi');
  execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-i', media('vtest.avi'), '-frames:v', String(FRAMES), '-c:v', 'mpeg4', '-q:v', '2', '-an', clip]);
  broker = await Mosquitto.start();
});

afterAll(async () => {
  await broker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** One run of the agent over the clip, with its own MQTT prefix so retained counts of the other run never mix in. */
async function run(prefix: string): Promise<RunResult> {
  const recorder = await MqttRecorder.start(broker.url(), `${prefix}/#`);
  const agent = await AgentProcess.start(
    agentConfigYaml(`  - name: plaza\n    url: ${clip}\n    loop: false\n    file_pace: on_demand\n${SCENE}`, {
      extra: `device:\n  id: ${DEVICE}\nmqtt:\n  url: ${broker.url()}\n  topic_prefix: ${prefix}\n`,
    }),
  );
  const topic = (name: string): string => TOPIC(name).replace(/^vigil/, prefix);
  try {
    await waitFor(() => agent.logs.some((l) => l.camera === 'plaza' && /finished and loop is off/.test(l.msg)), 'the clip played to its end', 90_000);
    await recorder.waitFor(() => recorder.on(topic('detections')).length >= FRAMES, 20_000, `${FRAMES} detections messages`);
    // Everything the agent published has arrived: its own count of events sent equals the recorder's.
    const published = async (): Promise<number> =>
      (await agent.metrics()).find((s) => s.name === 'mqtt_messages_published_total' && s.labels.kind === 'event')?.value ?? NaN;
    // The end of the file ends every track (as a disconnect does): the run is over once each track's
    // `end` event is in, and everything the agent published has arrived (its count of events sent).
    const allEnded = (): boolean => {
      const events = recorder.on(topic('events')).map((m) => parse<TrackEventMessage>(m));
      return events.length > 0 && events.filter((e) => e.type === 'new').length === events.filter((e) => e.type === 'end').length;
    };
    await waitFor(async () => allEnded() && recorder.on(topic('events')).length === (await published()), 'every track ended, every published event received', 20_000);
    const samples = await agent.metrics();
    const counts = parse<CountsMessage>(await MqttRecorder.retained(broker.url(), topic('counts')));
    const events = recorder.on(topic('events')).map((m) => parse<TrackEventMessage>(m));
    const detections = new Map<number, string>();
    for (const m of recorder.on(topic('detections'))) {
      const d = parse<DetectionsMessage>(m);
      assertMatchesSchema('detections', d);
      detections.set(d.seq, d.objects.map((o) => `${o.label} ${o.score} ${o.box.join(',')} ${o.track_id}`).join('; '));
    }
    // What the run saw, for a failure's post-mortem.
    mkdirSync(join(REPO_ROOT, 'test-artifacts'), { recursive: true });
    writeFileSync(join(REPO_ROOT, 'test-artifacts', `scene-vtest-${prefix}.json`), JSON.stringify({ counts, events, metrics: sceneSeries(samples, [...COUNTED, 'zone_objects']), detections: [...detections] }, null, 1));
    return { detections, samples, events, counts };
  } finally {
    await agent.stop();
    await recorder.stop();
  }
}

const COUNTED = ['line_crossings_total', 'zone_entries_total', 'zone_dwell_seconds_count', 'objects_tracked_total'];

describe(`the agent on the first ${SECONDS} s of vtest.avi, twice`, () => {
  let first: RunResult;
  let second: RunResult;
  beforeAll(async () => {
    first = await run('run1');
    second = await run('run2');
  }, 300_000);

  it('counts something: persons tracked, the line crossed both ways, the zone entered', () => {
    const series = sceneSeries(first.samples, COUNTED);
    const total = (prefix: string): number => Object.entries(series).filter(([k]) => k.startsWith(prefix)).reduce((n, [, v]) => n + v, 0);
    expect(total('objects_tracked_total{label=person')).toBeGreaterThan(5);
    expect(total('line_crossings_total{direction=in,')).toBeGreaterThan(0);
    expect(total('line_crossings_total{direction=out,')).toBeGreaterThan(0);
    expect(total('zone_entries_total{')).toBeGreaterThan(0);
    console.log(`scene-vtest: ${JSON.stringify(nonzero(series))}`);
  });

  it('counts the same in both runs (same frames, same counts)', () => {
    // Same frames, same detections: the premise (inference is deterministic in this configuration).
    const differing = [...first.detections].filter(([seq, d]) => second.detections.has(seq) && second.detections.get(seq) !== d).map(([seq]) => seq);
    expect(differing, `frames whose detections differ between the runs`).toEqual([]);
    expect(sceneSeries(second.samples, COUNTED)).toEqual(sceneSeries(first.samples, COUNTED));
    const story = (r: RunResult): string[] => r.events.map((e) => `${e.type} ${e.track_id} ${e.label} ${e.crossings.map((c) => `${c.line}:${c.direction}`).join(',')} ${e.zones.map((z) => z.zone).join(',')}`);
    expect(story(second)).toEqual(story(first));
  });

  it('publishes events that match their schema, and the counts /metrics shows', () => {
    for (const r of [first, second]) {
      for (const e of r.events) assertMatchesSchema('events', e);
      assertMatchesSchema('counts', r.counts);
      expect(nonzero(countsAsCrossings(r.counts))).toEqual(nonzero(sceneSeries(r.samples, ['line_crossings_total'])));
      const occupancy: Record<string, number> = {};
      for (const [zone, labels] of Object.entries(r.counts.zones)) for (const [label, n] of Object.entries(labels)) occupancy[`zone_objects{label=${label},zone=${zone}}`] = n;
      expect(nonzero(occupancy)).toEqual(nonzero(sceneSeries(r.samples, ['zone_objects'])));
      // Each zone entry on /metrics is a visit in the events: entries equal the visits the tracks' last events hold.
      const last = new Map(r.events.map((e) => [e.track_id, e]));
      const visits: Record<string, number> = {};
      for (const e of last.values()) for (const z of e.zones) visits[`zone_entries_total{label=${e.label},zone=${z.zone}}`] = (visits[`zone_entries_total{label=${e.label},zone=${z.zone}}`] ?? 0) + 1;
      expect(visits).toEqual(nonzero(sceneSeries(r.samples, ['zone_entries_total'])));
    }
  });
});
