import type { Box } from '../core/letterbox.js';
import type { TrackedObject } from '../core/scene.js';

/** The tracker's contract, apart from tracker.ts so that the implementations can use it without an import cycle. */

/** One detection of a frame, as the tracker needs it. */
export interface Detection {
  readonly box: Box;
  readonly score: number;
  readonly label: string;
}

/**
 * Frame after frame in capture order, exactly one call per frame: update()
 * for a frame the detector ran on, predict() for one it skipped (detector
 * interval, motion gating; issue 16). Each steps every track's motion model
 * by one frame, so velocities stay per frame whatever the interval, and the
 * interval may change at any frame; update() after a run of predict() calls
 * steps only its own frame (the skipped ones were stepped already) before
 * matching. Track ages (lost-track expiry, confirmation) count update() calls
 * only: a parked car survives any number of predicted frames.
 */
export interface Tracker {
  /**
   * Confirmed tracks matched in this frame, each with the index of its
   * detection in `detections` (objectIndex) and its box as the Kalman
   * filter estimates it after this frame's update.
   */
  update(detections: readonly Detection[]): TrackedObject[];
  /**
   * A frame without detections: the confirmed tracks matched at the last
   * update, each with its box as predicted for this frame, the score of its
   * last matched detection, and objectIndex = its index in the returned array.
   */
  predict(): TrackedObject[];
  /**
   * Whether a live track moves (its Kalman velocity, see motion-models.ts
   * `moves`) or is tentative (something just appeared and needs detections
   * to be confirmed or dropped): motion gating keeps the detector on while true.
   */
  readonly moving: boolean;
  /**
   * Whether a live track without its id yet (ByteTrack: tentative; SORT: not
   * yet reported) passes `test`: the next detected frame may confirm it.
   * Per-track classification wants that frame's pixels, and motion gating
   * detects every frame until then (issue 16).
   */
  anyPending(test: (label: string, box: Box) => boolean): boolean;
  /** Ids of the confirmed tracks removed during the last update, predict or clear. */
  readonly ended: readonly number[];
  /** Confirmed tracks alive: matched in the last frame or lost but not yet removed. */
  readonly activeCount: number;
  /** The camera disconnected: every track ends (their ids are then in `ended`); ids keep counting. */
  clear(): void;
}
