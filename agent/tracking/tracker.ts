import type { TrackerConfig } from '../config/tracking-schema.js';
import { ByteTracker } from './byte-tracker.js';
import { SortTracker } from './sort-tracker.js';
import type { Tracker } from './tracker-types.js';

/**
 * One camera's multi-object tracker (issue 15): detections of a frame in,
 * the confirmed tracks matched in that frame out, frame after frame in
 * capture order. docs/tracking.md describes both types.
 */

export type { Detection, Tracker } from './tracker-types.js';

export function createTracker(config: TrackerConfig): Tracker {
  return config.type === 'sort' ? new SortTracker(config.sort) : new ByteTracker(config);
}
