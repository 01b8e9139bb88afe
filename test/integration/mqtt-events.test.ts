import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, agentConfigYaml } from '../helpers/agent-process.js';
import { Mosquitto, MqttRecorder, type RecordedMessage } from '../helpers/mosquitto.js';
import { assertMatchesSchema } from '../helpers/payload-schemas.js';
import { media } from '../helpers/testdata.js';
import { waitFor } from '../helpers/wait.js';

/** The first 20 s of vtest.avi (200 frames at 10 fps), every frame analysed (`on_demand`), played once. */
const FRAMES = 200;
const DEVICE = 'edge-01';
const topic = (name: string): string => `vigil/${DEVICE}/plaza/${name}`;

/** A line down the middle of the plaza and a zone over its right half (fractions of the 768×576 frame). */
const SCENE =
  '    zones:\n      - name: plaza_right\n        polygon: [[0.55, 0.35], [0.95, 0.35], [0.95, 0.7], [0.55, 0.7]]\n' +
  '    lines:\n      - name: middle\n        points: [[0.5, 0.3], [0.5, 0.75]]\n';

interface EventMessage {
  session: string;
  seq: number;
  type: 'new' | 'update' | 'end';
  track_id: number;
  label: string;
  zones: { zone: string; entered_at: number; exited_at: number | null; dwell_seconds: number }[];
  crossings: { line: string; direction: string; at: number }[];
}
interface CountsMessage {
  seq: number;
  connected: boolean;
  zones: Record<string, Record<string, number>>;
  lines: Record<string, Record<string, Record<string, number>>>;
  totals: { zones: Record<string, number>; lines: Record<string, Record<string, number>> };
}
interface DetectionsMessage {
  objects: { label: string; track_id?: number | null }[];
}

const parse = <T>(m: RecordedMessage): T => JSON.parse(m.payload) as T;

/** What in an event can change between two of a track: visits begun, visits ended, crossings. */
const changeKey = (e: EventMessage): string => `${e.zones.length}/${e.zones.filter((z) => z.exited_at !== null).length}/${e.crossings.length}`;

/**
 * Track events, counts and track ids against a real Mosquitto and the real
 * agent on vtest.avi with a line across the plaza and a zone (issue 15 item 4).
 */
describe('MQTT track events and counts on vtest.avi', () => {
  let dir: string;
  let broker: Mosquitto;
  let recorder: MqttRecorder;
  let agent: AgentProcess;
  let events: EventMessage[];
  let counts: CountsMessage[];
  let detections: DetectionsMessage[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-mqtt-events-'));
    const clip = join(dir, 'vtest-20s.avi');
    execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-i', media('vtest.avi'), '-frames:v', String(FRAMES), '-c:v', 'mpeg4', '-q:v', '2', '-an', clip]);
    broker = await Mosquitto.start();
    recorder = await MqttRecorder.start(broker.url(), 'vigil/#');
    agent = await AgentProcess.start(
      agentConfigYaml(`  - name: plaza\n    url: ${clip}\n    loop: false\n    file_pace: on_demand\n${SCENE}`, {
        extra: `device:\n  id: ${DEVICE}\nmqtt:\n  url: ${broker.url()}\n`,
      }),
    );
    await waitFor(() => agent.logs.some((l) => l.camera === 'plaza' && /finished and loop is off/.test(l.msg)), 'the clip played to its end', 120_000);
    await recorder.waitFor(() => recorder.on(topic('detections')).length >= FRAMES, 20_000, `${FRAMES} detections messages`);
    // Everything published has arrived once the agent's own counts of acknowledged messages match the recorder's.
    const published = async (kind: string): Promise<number> =>
      (await agent.metrics()).find((s) => s.name === 'mqtt_messages_published_total' && s.labels.kind === kind)?.value ?? Number.NaN;
    await waitFor(
      async () => recorder.on(topic('events')).length === (await published('event')) && recorder.on(topic('counts')).length === (await published('counts')),
      'every published event and counts message received',
      10_000,
    );
    events = recorder.on(topic('events')).map((m) => parse<EventMessage>(m));
    counts = recorder.on(topic('counts')).map((m) => parse<CountsMessage>(m));
    detections = recorder.on(topic('detections')).map((m) => parse<DetectionsMessage>(m));
  }, 240_000);

  afterAll(async () => {
    await agent?.stop();
    await recorder?.stop();
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('publishes schema-valid events in one gap-free sequence: per track new first, end last', () => {
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) assertMatchesSchema('events', e);
    expect(new Set(events.map((e) => e.session)).size).toBe(1);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const byTrack = new Map<number, EventMessage[]>();
    for (const e of events) byTrack.set(e.track_id, [...(byTrack.get(e.track_id) ?? []), e]);
    expect(byTrack.size).toBeGreaterThan(5);
    for (const [id, list] of byTrack) {
      const types = list.map((e) => e.type).join(' ');
      // the clip ended: every track ended with it, and no visit is left open
      expect(types, `track ${id}`).toMatch(/^new( update)* end$/);
      expect(list.at(-1)!.zones.every((z) => z.exited_at !== null)).toBe(true);
      expect(new Set(list.map((e) => e.label)).size).toBe(1);
    }
  });

  it('sends update only when a track entered or left a zone or crossed a line, never per frame', () => {
    const updates = events.filter((e) => e.type === 'update');
    expect(updates.length).toBeGreaterThan(0);
    const previous = new Map<number, EventMessage>();
    for (const e of events) {
      const before = previous.get(e.track_id);
      if (e.type === 'update') expect(changeKey(e), `update ${e.seq} of track ${e.track_id}`).not.toBe(changeKey(before!));
      previous.set(e.track_id, e);
    }
    // far fewer events than tracked boxes: the per-frame story stays in detections
    const trackedBoxes = detections.reduce((n, d) => n + d.objects.filter((o) => typeof o.track_id === 'number').length, 0);
    expect(events.length * 10).toBeLessThan(trackedBoxes);
  });

  it('gives every detected object a track_id: the ids of the events, with their labels', () => {
    for (const d of detections) for (const o of d.objects) expect(o).toHaveProperty('track_id');
    const labels = new Map<number, Set<string>>();
    for (const d of detections) for (const o of d.objects) if (typeof o.track_id === 'number') labels.set(o.track_id, (labels.get(o.track_id) ?? new Set()).add(o.label));
    const eventIds = new Set(events.map((e) => e.track_id));
    expect(new Set(labels.keys())).toEqual(eventIds);
    for (const e of events) expect([...labels.get(e.track_id)!]).toEqual([e.label]);
    expect(detections.some((d) => d.objects.some((o) => o.track_id === null))).toBe(true);
  });

  it('publishes schema-valid counts only on change, which add up to the crossings of the events', () => {
    expect(counts.length).toBeGreaterThan(1);
    expect(counts.map((c) => c.seq)).toEqual(counts.map((_, i) => i + 1));
    const state = (c: CountsMessage): string => JSON.stringify([c.connected, c.zones, c.lines]);
    for (const [i, c] of counts.entries()) {
      assertMatchesSchema('counts', c);
      if (i > 0) expect(state(c), `counts ${c.seq}`).not.toBe(state(counts[i - 1]!));
    }
    const last = counts.at(-1)!;
    const crossings: Record<string, Record<string, Record<string, number>>> = { middle: { in: {}, out: {} } };
    for (const e of events.filter((x) => x.type === 'end')) {
      for (const c of e.crossings) crossings[c.line]![c.direction]![e.label] = (crossings[c.line]![c.direction]![e.label] ?? 0) + 1;
    }
    expect(last.lines).toEqual(crossings);
    expect(last.totals.lines.middle!.in! + last.totals.lines.middle!.out!).toBeGreaterThan(0);
    // every track ended with the clip: nobody is in the zone, though someone was
    expect(last.totals.zones).toEqual({ plaza_right: 0 });
    expect(counts.some((c) => (c.totals.zones.plaza_right ?? 0) > 0)).toBe(true);
  });

  it('retains the counts: a subscriber arriving now gets the last one', async () => {
    const late = await MqttRecorder.retained(broker.url(), topic('counts'));
    expect(late.retain).toBe(true);
    expect(JSON.parse(late.payload)).toEqual(counts.at(-1));
  });
});
