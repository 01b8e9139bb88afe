import type { DetectedObject } from '../core/frame.js';
import { round } from '../util/numbers.js';

/** A detected object as every output (MQTT detections, the preview) writes it. */
export interface ObjectJson {
  label: string;
  score: number;
  box: [number, number, number, number];
  class: { label: string; score: number } | null;
  /** The object's confirmed track; null without one, or with tracking off. */
  track_id: number | null;
}

/**
 * Scores to 4 decimals and pixels to 1 keep a frame with 20 objects near
 * 2 KB without losing anything a consumer could use.
 */
export function objectsJson(objects: readonly DetectedObject[]): ObjectJson[] {
  return objects.map((o) => ({
    label: o.label,
    score: round(o.score, 4),
    box: [round(o.box[0], 1), round(o.box[1], 1), round(o.box[2], 1), round(o.box[3], 1)],
    class: o.class && { label: o.class.label, score: round(o.class.score, 4) },
    track_id: o.trackId ?? null,
  }));
}
