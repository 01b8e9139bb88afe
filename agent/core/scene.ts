import type { Box } from './letterbox.js';

/**
 * What the tracker and the zone/line analytics of a camera make of each
 * frame (issue 15): written by agent/tracking and agent/analytics, read by
 * the sinks (metrics, MQTT, preview). Times are epoch milliseconds of frame
 * capture (FrameMeta.capturedAt), so dwell is measured on the frames' own
 * clock, not on when they were processed.
 */

export const TRACK_STATES = ['tentative', 'confirmed', 'lost'] as const;
export type TrackState = (typeof TRACK_STATES)[number];

/** One confirmed track in one frame, as analytics and sinks see it. */
export interface TrackedObject {
  /** Per camera, from 1, never reused within a run. */
  readonly trackId: number;
  /** The detector's label; a track never changes label (class-aware tracking). */
  readonly label: string;
  /** The matched detection's score this frame. */
  readonly score: number;
  /**
   * [x1, y1, x2, y2] in source pixels: the track's box as its Kalman filter
   * estimates it after this frame's update (what SORT and ByteTrack output);
   * the matched detection's own box is FrameResult.objects[objectIndex].
   */
  readonly box: Box;
  /** Index of the matched detection in FrameResult.objects. */
  readonly objectIndex: number;
  /**
   * The classifier's verdict carried on the track (issue 16, classifier.mode
   * per_track): set by the pipeline after tracking, null until classified.
   */
  readonly class?: { readonly label: string; readonly score: number } | null;
}

/**
 * A zone visit of one track: entered_at, and exited_at with dwell once it
 * left. Both are the first frame of the `inertia` frames in a row that
 * confirmed the entry or exit (a track that ends inside leaves when it was
 * last seen), so dwell is the time the object was actually inside.
 */
export interface ZoneVisit {
  readonly zone: string;
  readonly entered_at: number;
  readonly exited_at: number | null;
  /** Seconds inside: exited_at - entered_at once left, so far while inside. */
  readonly dwell_seconds: number;
}

export interface LineCrossing {
  readonly line: string;
  /** The line's own names for its two directions (config: `in` / `out` by default). */
  readonly direction: string;
  readonly at: number;
}

/** MQTT `<prefix>/<device>/<camera>/events` (config/mqtt-schemas/events.schema.json). */
export interface TrackEvent {
  /** new: the track was confirmed; update: it entered or left a zone or crossed a line; end: it is gone. */
  readonly type: 'new' | 'update' | 'end';
  readonly track_id: number;
  readonly label: string;
  readonly first_seen: number;
  readonly last_seen: number;
  /** The best detection score the track had, and its box then. */
  readonly best: { readonly score: number; readonly box: Box };
  /** The track's latest classification (classifier.mode per_track), null without one. */
  readonly class?: { readonly label: string; readonly score: number } | null;
  readonly zones: readonly ZoneVisit[];
  readonly crossings: readonly LineCrossing[];
}

/** Occupancy now and cumulative crossings: the retained `<prefix>/<device>/<camera>/counts` message. */
export interface SceneCounts {
  /** zone → label → objects inside now. */
  readonly zones: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** line → direction → label → crossings since the agent started. */
  readonly lines: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, number>>>>>>;
}

/** Everything that changed in one frame, for the metrics sink (deltas) and MQTT (events, counts). */
export interface SceneUpdate {
  /** Confirmed tracks matched in this frame. */
  readonly tracks: readonly TrackedObject[];
  /** Tracks alive now (confirmed, matched or briefly lost): tracks_active. */
  readonly tracksActive: number;
  /** Tracks confirmed in this frame, by label: objects_tracked_total. */
  readonly confirmed: readonly { readonly trackId: number; readonly label: string }[];
  readonly zoneEntries: readonly { readonly zone: string; readonly label: string; readonly trackId: number; readonly at: number }[];
  /** A track leaving a zone (or ending inside it): zone_dwell_seconds observes dwellSeconds. */
  readonly zoneExits: readonly { readonly zone: string; readonly label: string; readonly trackId: number; readonly at: number; readonly dwellSeconds: number }[];
  readonly lineCrossings: readonly { readonly line: string; readonly direction: string; readonly label: string; readonly trackId: number; readonly at: number }[];
  readonly events: readonly TrackEvent[];
  /** The counts now; `countsChanged` says whether they differ from the previous frame's. */
  readonly counts: SceneCounts;
  readonly countsChanged: boolean;
}
