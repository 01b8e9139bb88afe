import type { Box } from '../core/letterbox.js';
import type { SceneCounts, TrackEvent } from '../core/scene.js';
import { round } from '../util/numbers.js';
import { PAYLOAD_SCHEMA_VERSION } from './topics.js';

/** What the MQTT side needs to know of a camera's zones and lines (a `cameras[]` entry satisfies it): names, directions, label filters. */
export interface SceneLayout {
  readonly name: string;
  readonly zones: readonly { readonly name: string; readonly labels?: readonly string[] | undefined }[];
  readonly lines: readonly { readonly name: string; readonly directions: readonly string[]; readonly labels?: readonly string[] | undefined }[];
}

/** Who sent a message and where it stands in the sequence: (device, session, camera, seq) identifies it. */
export interface PayloadIdentity {
  readonly device: string;
  readonly camera: string;
  readonly session: string;
  readonly seq: number;
}

/** One message on <prefix>/<device>/<camera>/events (config/mqtt-schemas/events.schema.json). */
export interface EventPayload {
  schema: number;
  device: string;
  camera: string;
  session: string;
  seq: number;
  type: TrackEvent['type'];
  track_id: number;
  label: string;
  timestamp: string;
  timestamp_ms: number;
  first_seen: number;
  last_seen: number;
  best: { score: number; box: [number, number, number, number] };
  /** The track's latest classification (issue 16, classifier.mode per_track), null before one or without a classifier. */
  class: { label: string; score: number } | null;
  zones: { zone: string; entered_at: number; exited_at: number | null; dwell_seconds: number }[];
  crossings: { line: string; direction: string; at: number }[];
}

/** The retained message on <prefix>/<device>/<camera>/counts (config/mqtt-schemas/counts.schema.json). */
export interface CountsPayload {
  schema: number;
  device: string;
  camera: string;
  session: string;
  seq: number;
  timestamp: string;
  timestamp_ms: number;
  /** The camera delivers frames (detector_disconnected is 0). */
  connected: boolean;
  zones: Record<string, Record<string, number>>;
  lines: Record<string, Record<string, Record<string, number>>>;
  /** The same summed over labels, for consumers that want one number (Home Assistant's sensors read these). */
  totals: { zones: Record<string, number>; lines: Record<string, Record<string, number>> };
}

const ms = (t: number): number => round(t, 3);
const box1 = (b: Box): [number, number, number, number] => [round(b[0], 1), round(b[1], 1), round(b[2], 1), round(b[3], 1)];

/**
 * A track event as published; `timestamp` is when it happened: the first
 * sighting for `new`, the last for `update` and `end`.
 */
export function eventPayload(event: TrackEvent, id: PayloadIdentity): EventPayload {
  const at = event.type === 'new' ? event.first_seen : event.last_seen;
  return {
    schema: PAYLOAD_SCHEMA_VERSION,
    ...id,
    type: event.type,
    track_id: event.track_id,
    label: event.label,
    timestamp: new Date(at).toISOString(),
    timestamp_ms: ms(at),
    first_seen: ms(event.first_seen),
    last_seen: ms(event.last_seen),
    best: { score: round(event.best.score, 4), box: box1(event.best.box) },
    class: event.class ? { label: event.class.label, score: round(event.class.score, 4) } : null,
    zones: event.zones.map((v) => ({
      zone: v.zone,
      entered_at: ms(v.entered_at),
      exited_at: v.exited_at === null ? null : ms(v.exited_at),
      dwell_seconds: round(v.dwell_seconds, 3),
    })),
    crossings: event.crossings.map((c) => ({ line: c.line, direction: c.direction, at: ms(c.at) })),
  };
}

/** No objects anywhere: the counts of a camera before its first tracked frame. */
export const NO_COUNTS: SceneCounts = { zones: {}, lines: {} };

/**
 * The counts as published: every configured zone, line and direction
 * present (at 0 when nothing was counted yet), so a consumer's template
 * never meets a missing key, and the totals over labels.
 */
export function countsPayload(counts: SceneCounts, layout: SceneLayout | undefined, connected: boolean, id: PayloadIdentity, now: number): CountsPayload {
  const zones: CountsPayload['zones'] = {};
  const lines: CountsPayload['lines'] = {};
  for (const zone of layout?.zones ?? []) zones[zone.name] = {};
  for (const line of layout?.lines ?? []) lines[line.name] = Object.fromEntries(line.directions.map((d) => [d, {}]));
  for (const [zone, byLabel] of Object.entries(counts.zones)) zones[zone] = { ...byLabel };
  for (const [line, byDirection] of Object.entries(counts.lines)) {
    const target = (lines[line] ??= {});
    for (const [direction, byLabel] of Object.entries(byDirection)) target[direction] = { ...byLabel };
  }
  const sum = (byLabel: Record<string, number>): number => Object.values(byLabel).reduce((a, b) => a + b, 0);
  return {
    schema: PAYLOAD_SCHEMA_VERSION,
    ...id,
    timestamp: new Date(now).toISOString(),
    timestamp_ms: now,
    connected,
    zones,
    lines,
    totals: {
      zones: Object.fromEntries(Object.entries(zones).map(([zone, byLabel]) => [zone, sum(byLabel)])),
      lines: Object.fromEntries(Object.entries(lines).map(([line, byDir]) => [line, Object.fromEntries(Object.entries(byDir).map(([d, byLabel]) => [d, sum(byLabel)]))])),
    },
  };
}
