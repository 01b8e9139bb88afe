import type { Box } from '../core/letterbox.js';
import type { TrackedObject } from '../core/scene.js';

/** The tracker's contract, apart from tracker.ts so that the implementations can use it without an import cycle. */

/** One detection of a frame, as the tracker needs it. */
export interface Detection {
  readonly box: Box;
  readonly score: number;
  readonly label: string;
}

export interface Tracker {
  /**
   * Confirmed tracks matched in this frame, each with the index of its
   * detection in `detections` (objectIndex) and its box as the Kalman
   * filter estimates it after this frame's update.
   */
  update(detections: readonly Detection[]): TrackedObject[];
  /** Ids of the confirmed tracks removed during the last update or clear. */
  readonly ended: readonly number[];
  /** Confirmed tracks alive: matched in the last frame or lost but not yet removed. */
  readonly activeCount: number;
  /** The camera disconnected: every track ends (their ids are then in `ended`); ids keep counting. */
  clear(): void;
}
