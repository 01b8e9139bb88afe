import { describe, expect, it } from 'vitest';
import type { TrackEvent } from '../../agent/core/scene.js';
import { countsPayload, eventPayload, NO_COUNTS, type SceneLayout } from '../../agent/mqtt/scene-payloads.js';
import { schemaErrors } from '../helpers/payload-schemas.js';

const T0 = Date.UTC(2026, 11, 5, 8, 0, 0, 0);
const ID = { device: 'edge-01', camera: 'plaza', session: 'a1b2', seq: 3 };

const event: TrackEvent = {
  type: 'update',
  track_id: 17,
  label: 'person',
  first_seen: T0 + 0.5,
  last_seen: T0 + 5400.5,
  best: { score: 0.912345678, box: [10.04, 20.06, 99.96, 200.01] },
  zones: [
    { zone: 'counter', entered_at: T0 + 1000, exited_at: T0 + 4250.25, dwell_seconds: 3.25025 },
    { zone: 'door', entered_at: T0 + 5000, exited_at: null, dwell_seconds: 0.4 },
  ],
  crossings: [{ line: 'gate', direction: 'in', at: T0 + 900 }],
};

const layout: SceneLayout = {
  name: 'plaza',
  zones: [{ name: 'counter', labels: [] }, { name: 'door' }],
  lines: [{ name: 'gate', directions: ['in', 'out'] }],
};

describe('eventPayload', () => {
  it('is the track event with the identity, score to 4 decimals, dwell to the millisecond and pixels to 1', () => {
    expect(eventPayload(event, ID)).toEqual({
      schema: 1,
      device: 'edge-01',
      camera: 'plaza',
      session: 'a1b2',
      seq: 3,
      type: 'update',
      track_id: 17,
      label: 'person',
      timestamp: '2026-12-05T08:00:05.400Z',
      timestamp_ms: T0 + 5400.5,
      first_seen: T0 + 0.5,
      last_seen: T0 + 5400.5,
      best: { score: 0.9123, box: [10, 20.1, 100, 200] },
      class: null,
      zones: [
        { zone: 'counter', entered_at: T0 + 1000, exited_at: T0 + 4250.25, dwell_seconds: 3.25 },
        { zone: 'door', entered_at: T0 + 5000, exited_at: null, dwell_seconds: 0.4 },
      ],
      crossings: [{ line: 'gate', direction: 'in', at: T0 + 900 }],
    });
  });

  it("carries the track's class (issue 16), score to 4 decimals, null before one; events.schema.json takes both and refuses a class without a score", () => {
    const classified = eventPayload({ ...event, class: { label: 'adult', score: 0.876543 } }, ID);
    expect(classified.class).toEqual({ label: 'adult', score: 0.8765 });
    expect(eventPayload({ ...event, class: null }, ID).class).toBeNull();
    expect(schemaErrors('events', classified)).toEqual([]);
    expect(schemaErrors('events', eventPayload(event, ID))).toEqual([]);
    // An event of schema 1 from before issue 16, without the key, still matches.
    const before: Partial<typeof classified> = { ...classified };
    delete before.class;
    expect(schemaErrors('events', before)).toEqual([]);
    expect(schemaErrors('events', { ...classified, class: { label: 'adult' } }).some((e) => e.instancePath === '/class' && e.keyword === 'oneOf')).toBe(true);
  });

  it('dates a new event at the first sighting, update and end at the last', () => {
    expect(eventPayload({ ...event, type: 'new' }, ID).timestamp).toBe('2026-12-05T08:00:00.000Z');
    expect(eventPayload({ ...event, type: 'end' }, ID).timestamp_ms).toBe(T0 + 5400.5);
  });

  it('matches events.schema.json, which refuses an unknown type, a track id of 0 and a visit without exited_at', () => {
    for (const type of ['new', 'update', 'end'] as const) expect(schemaErrors('events', eventPayload({ ...event, type }, ID))).toEqual([]);
    expect(schemaErrors('events', eventPayload({ ...event, zones: [], crossings: [] }, ID))).toEqual([]);
    const paths = (value: unknown): string[] => schemaErrors('events', value).map((e) => `${e.instancePath} ${e.keyword}`);
    expect(paths({ ...eventPayload(event, ID), type: 'moved' })).toEqual(['/type enum']);
    expect(paths({ ...eventPayload(event, ID), track_id: 0 })).toEqual(['/track_id minimum']);
    const visit = { zone: 'counter', entered_at: T0, dwell_seconds: 1 };
    expect(paths({ ...eventPayload(event, ID), zones: [visit] })).toEqual(['/zones/0 required']);
  });
});

describe('countsPayload', () => {
  it('fills in every configured zone, line and direction at zero before anything was counted', () => {
    const payload = countsPayload(NO_COUNTS, layout, true, ID, T0);
    expect(payload).toEqual({
      schema: 1,
      device: 'edge-01',
      camera: 'plaza',
      session: 'a1b2',
      seq: 3,
      timestamp: '2026-12-05T08:00:00.000Z',
      timestamp_ms: T0,
      connected: true,
      zones: { counter: {}, door: {} },
      lines: { gate: { in: {}, out: {} } },
      totals: { zones: { counter: 0, door: 0 }, lines: { gate: { in: 0, out: 0 } } },
    });
    expect(schemaErrors('counts', payload)).toEqual([]);
  });

  it('carries the counts by label and their sums over labels', () => {
    const counts = {
      zones: { counter: { person: 2, dog: 1 }, door: {} },
      lines: { gate: { in: { person: 5, car: 2 }, out: { person: 3 } } },
    };
    const payload = countsPayload(counts, layout, false, ID, T0);
    expect(payload.connected).toBe(false);
    expect(payload.zones).toEqual({ counter: { person: 2, dog: 1 }, door: {} });
    expect(payload.lines).toEqual({ gate: { in: { person: 5, car: 2 }, out: { person: 3 } } });
    expect(payload.totals).toEqual({ zones: { counter: 3, door: 0 }, lines: { gate: { in: 7, out: 3 } } });
    expect(schemaErrors('counts', payload)).toEqual([]);
  });

  it('without a layout (a camera without zones or lines) is just the connected state', () => {
    const payload = countsPayload(NO_COUNTS, undefined, true, ID, T0);
    expect([payload.zones, payload.lines, payload.totals]).toEqual([{}, {}, { zones: {}, lines: {} }]);
    expect(schemaErrors('counts', payload)).toEqual([]);
  });

  it('counts.schema.json refuses a negative or fractional count and a missing connected', () => {
    const good = countsPayload({ zones: { counter: { person: 1 } }, lines: {} }, layout, true, ID, T0);
    const paths = (value: unknown): string[] => schemaErrors('counts', value).map((e) => `${e.instancePath} ${e.keyword}`);
    expect(paths({ ...good, zones: { counter: { person: -1 } } })).toEqual(['/zones/counter/person minimum']);
    expect(paths({ ...good, totals: { ...good.totals, zones: { counter: 0.5 } } })).toEqual(['/totals/zones/counter type']);
    const noConnected: Partial<typeof good> = { ...good };
    delete noConnected.connected;
    expect(paths(noConnected)).toEqual([' required']);
  });
});
