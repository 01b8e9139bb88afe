import type { Anchor, LineConfig, ZoneConfig } from '../config/zones-schema.js';
import type { Box } from '../core/letterbox.js';
import type { LineCrossing, SceneUpdate, TrackedObject, TrackEvent, ZoneVisit } from '../core/scene.js';
import { round } from '../util/numbers.js';
import { alongLine, anchorX, anchorY, pixelLine, pointInPolygon, signedDistance, type PixelLine } from './geometry.js';
import { LineSide } from './line-side.js';
import { SceneCountBook } from './scene-counts.js';
import { ZoneInertia } from './zone-inertia.js';

/**
 * One camera's zones and lines applied to its confirmed tracks, frame by
 * frame in capture order (issue 15): occupancy, entries, exits with dwell,
 * line crossings, the new/update/end events and the counts. Pure: times are
 * the frames' capture times, nothing here reads a clock. docs/tracking.md
 * ("Zones and lines") says what counts when.
 */

export interface SceneAnalyticsOptions {
  readonly zones: readonly ZoneConfig[];
  readonly lines: readonly LineConfig[];
  readonly anchor: Anchor;
}

export interface SceneFrame {
  readonly width: number;
  readonly height: number;
  /** Capture time, epoch ms. */
  readonly at: number;
}

interface Visit {
  readonly zone: string;
  readonly enteredAt: number;
  exitedAt: number | null;
}

interface TrackRecord {
  readonly trackId: number;
  readonly label: string;
  readonly firstSeen: number;
  lastSeen: number;
  bestScore: number;
  bestBox: Box;
  /** The track's latest class (classifier.mode per_track): null until classified; undefined when tracks carry none (per_frame, no classifier). */
  class: TrackedObject['class'];
  /** Per zone and line in config order; null where the label filter leaves this track out. */
  readonly zones: (ZoneInertia | null)[];
  readonly openVisits: (Visit | null)[];
  readonly lines: (LineSide | null)[];
  readonly visits: Visit[];
  readonly crossings: LineCrossing[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer E)[] ? E[] : T[K] };
type UpdateLists = Mutable<Pick<SceneUpdate, 'confirmed' | 'zoneEntries' | 'zoneExits' | 'lineCrossings' | 'events'>>;

const NONE: readonly never[] = Object.freeze([]);
/**
 * Zone visits and crossings a track's events carry, the most recent: a
 * track that lives for hours (a parked car on a line's edge) would otherwise
 * grow every event it sends. Counts and metrics see every one.
 */
export const SUMMARY_LIMIT = 32;

function pushBounded<T>(list: T[], item: T): void {
  if (list.length >= SUMMARY_LIMIT) list.shift();
  list.push(item);
}
const seconds = (ms: number): number => round(ms / 1000, 3);

export class SceneAnalytics {
  private readonly zones: readonly ZoneConfig[];
  private readonly lines: readonly LineConfig[];
  private readonly anchor: Anchor;
  private readonly zoneLabels: readonly (ReadonlySet<string> | null)[];
  private readonly lineLabels: readonly (ReadonlySet<string> | null)[];
  private readonly book: SceneCountBook;
  private readonly tracks = new Map<number, TrackRecord>();
  /** Zones and lines in pixels of the last frame size; rebuilt when it changes. */
  private width = 0;
  private height = 0;
  private zoneXs: Float64Array[] = [];
  private zoneYs: Float64Array[] = [];
  private pixelLines: PixelLine[] = [];
  private bands: number[] = [];

  constructor(options: SceneAnalyticsOptions) {
    this.zones = options.zones;
    this.lines = options.lines;
    this.anchor = options.anchor;
    const filter = (labels: readonly string[]): ReadonlySet<string> | null => (labels.length > 0 ? new Set(labels) : null);
    this.zoneLabels = options.zones.map((zone) => filter(zone.labels));
    this.lineLabels = options.lines.map((line) => filter(line.labels));
    this.book = new SceneCountBook(options.zones, options.lines);
  }

  /**
   * One frame: the tracker's confirmed tracks matched in it, the ids it
   * removed, and how many it holds. Tracks alive but unmatched this frame
   * (briefly lost) keep their zone state and stay counted.
   */
  update(frame: SceneFrame, tracks: readonly TrackedObject[], ended: readonly number[], tracksActive: number): SceneUpdate {
    this.resize(frame.width, frame.height);
    const lists = emptyLists();
    for (const track of tracks) this.observe(track, frame.at, lists);
    for (const id of ended) this.endTrack(id, Number.POSITIVE_INFINITY, lists);
    return this.result(tracks, tracksActive, lists);
  }

  /**
   * The camera disconnected: every track ends. Open visits close when each
   * track was last seen (before `at`), never at `at`, so an outage adds no
   * dwell. `ended` are the tracker's ids; tracks it did not name end too.
   */
  end(at: number, ended: readonly number[]): SceneUpdate {
    const lists = emptyLists();
    for (const id of ended) this.endTrack(id, at, lists);
    for (const id of [...this.tracks.keys()]) this.endTrack(id, at, lists);
    return this.result(NONE, 0, lists);
  }

  private observe(track: TrackedObject, at: number, lists: UpdateLists): void {
    let record = this.tracks.get(track.trackId);
    const isNew = record === undefined;
    if (record === undefined) {
      record = this.newRecord(track, at);
      this.tracks.set(track.trackId, record);
      lists.confirmed.push({ trackId: track.trackId, label: track.label });
    }
    record.lastSeen = at;
    if (track.class) record.class = track.class;
    else if (track.class === null) record.class ??= null;
    if (track.score > record.bestScore) {
      record.bestScore = track.score;
      record.bestBox = track.box;
    }
    const x = anchorX(track.box, this.anchor);
    const y = anchorY(track.box, this.anchor);
    let changed = false;
    for (let i = 0; i < this.zones.length; i++) {
      const state = record.zones[i];
      if (!state) continue;
      const zone = this.zones[i]!;
      const step = state.observe(pointInPolygon(x, y, this.zoneXs[i]!, this.zoneYs[i]!), at, zone.inertia);
      if (step === 'entered') {
        const visit: Visit = { zone: zone.name, enteredAt: state.enteredAt, exitedAt: null };
        record.openVisits[i] = visit;
        pushBounded(record.visits, visit);
        this.book.addOccupant(zone.name, record.label, 1);
        lists.zoneEntries.push({ zone: zone.name, label: record.label, trackId: record.trackId, at: state.enteredAt });
        changed = true;
      } else if (step === 'left') {
        this.closeVisit(record, i, state.exitedAt, lists);
        changed = true;
      }
    }
    for (let i = 0; i < this.lines.length; i++) {
      const side = record.lines[i];
      if (!side) continue;
      const line = this.pixelLines[i]!;
      const crossed = side.observe(signedDistance(line, x, y), alongLine(line, x, y), at, this.bands[i]!);
      if (crossed === 0) continue;
      const config = this.lines[i]!;
      const direction = crossed > 0 ? config.directions[0] : config.directions[1];
      pushBounded(record.crossings, { line: config.name, direction, at: side.crossedAt });
      this.book.addCrossing(config.name, direction, record.label);
      lists.lineCrossings.push({ line: config.name, direction, label: record.label, trackId: record.trackId, at: side.crossedAt });
      changed = true;
    }
    if (isNew) lists.events.push(trackEvent('new', record));
    if (changed) lists.events.push(trackEvent('update', record));
  }

  private newRecord(track: TrackedObject, at: number): TrackRecord {
    return {
      trackId: track.trackId,
      label: track.label,
      firstSeen: at,
      lastSeen: at,
      bestScore: track.score,
      bestBox: track.box,
      class: undefined,
      zones: this.zoneLabels.map((labels) => (labels === null || labels.has(track.label) ? new ZoneInertia() : null)),
      openVisits: this.zones.map(() => null),
      lines: this.lineLabels.map((labels) => (labels === null || labels.has(track.label) ? new LineSide() : null)),
      visits: [],
      crossings: [],
    };
  }

  private closeVisit(record: TrackRecord, zoneIndex: number, exitedAt: number, lists: UpdateLists): void {
    const visit = record.openVisits[zoneIndex];
    if (!visit) return;
    visit.exitedAt = Math.max(exitedAt, visit.enteredAt);
    record.openVisits[zoneIndex] = null;
    this.book.addOccupant(visit.zone, record.label, -1);
    const dwellSeconds = seconds(visit.exitedAt - visit.enteredAt);
    lists.zoneExits.push({ zone: visit.zone, label: record.label, trackId: record.trackId, at: visit.exitedAt, dwellSeconds });
  }

  /** The track is gone: visits still open close when it was last seen (or first seen outside), then its end event. */
  private endTrack(id: number, notAfter: number, lists: UpdateLists): void {
    const record = this.tracks.get(id);
    if (!record) return;
    this.tracks.delete(id);
    record.lastSeen = Math.min(record.lastSeen, notAfter);
    record.zones.forEach((state, i) => {
      if (state?.inside) this.closeVisit(record, i, Math.min(state.leftAtEnd(record.lastSeen), record.lastSeen), lists);
    });
    lists.events.push(trackEvent('end', record));
  }

  private result(tracks: readonly TrackedObject[], tracksActive: number, lists: UpdateLists): SceneUpdate {
    const countsChanged = this.book.changed;
    return {
      tracks,
      tracksActive,
      confirmed: orNone(lists.confirmed),
      zoneEntries: orNone(lists.zoneEntries),
      zoneExits: orNone(lists.zoneExits),
      lineCrossings: orNone(lists.lineCrossings),
      events: orNone(lists.events),
      counts: this.book.counts(),
      countsChanged,
    };
  }

  /** Zones and lines are fractions of the frame: scale them to this frame's pixels when its size changes. */
  private resize(width: number, height: number): void {
    if (width === this.width && height === this.height) return;
    this.width = width;
    this.height = height;
    this.zoneXs = this.zones.map((zone) => Float64Array.from(zone.polygon, (p) => p[0] * width));
    this.zoneYs = this.zones.map((zone) => Float64Array.from(zone.polygon, (p) => p[1] * height));
    this.pixelLines = this.lines.map(({ points: [a, b] }) => pixelLine(a[0] * width, a[1] * height, b[0] * width, b[1] * height));
    const diagonal = Math.hypot(width, height);
    this.bands = this.lines.map((line) => line.hysteresis * diagonal);
  }
}

/** Five small lists a frame; those left empty (most, most frames) go out as one shared frozen empty list. */
function emptyLists(): UpdateLists {
  return { confirmed: [], zoneEntries: [], zoneExits: [], lineCrossings: [], events: [] };
}

function orNone<T>(list: T[]): readonly T[] {
  return list.length === 0 ? NONE : list;
}

function trackEvent(type: TrackEvent['type'], record: TrackRecord): TrackEvent {
  const zones: ZoneVisit[] = record.visits.map((visit) => ({
    zone: visit.zone,
    entered_at: visit.enteredAt,
    exited_at: visit.exitedAt,
    dwell_seconds: seconds((visit.exitedAt ?? record.lastSeen) - visit.enteredAt),
  }));
  return {
    type,
    track_id: record.trackId,
    label: record.label,
    first_seen: record.firstSeen,
    last_seen: record.lastSeen,
    best: { score: record.bestScore, box: record.bestBox },
    ...(record.class !== undefined ? { class: record.class } : {}),
    zones,
    crossings: [...record.crossings],
  };
}
