import type { Box } from '../core/letterbox.js';
import type { TrackedObject } from '../core/scene.js';
import { boxOf } from './motion-models.js';
import type { Detection, Tracker } from './tracker-types.js';

/** What every track has, whichever tracker keeps it. */
export interface IdentifiedTrack {
  /** 0 until the track gets its id (ByteTrack: confirmed; SORT: first reported). */
  id: number;
  readonly label: string;
  /** [x1, y1, x2, y2] as the motion model has it now. */
  readonly box: Float64Array;
}

/**
 * The bookkeeping ByteTracker and SortTracker share: the track list, the
 * count of detected frames, ids, and ended / activeCount / moving / clear.
 */
export abstract class TrackerBase<T extends IdentifiedTrack> implements Tracker {
  protected tracks: T[] = [];
  /** update() calls since the start or the last clear: predicted frames do not age tracks. */
  protected frame = 0;
  protected endedIds: number[] = [];
  private nextId = 1;

  abstract update(detections: readonly Detection[]): TrackedObject[];
  abstract predict(): TrackedObject[];
  /** Whether this live track moves or has just appeared (Tracker.moving). */
  protected abstract moves(track: T): boolean;

  get ended(): readonly number[] {
    return this.endedIds;
  }

  get activeCount(): number {
    let count = 0;
    for (const t of this.tracks) if (t.id > 0) count++;
    return count;
  }

  get moving(): boolean {
    for (const t of this.tracks) if (this.moves(t)) return true;
    return false;
  }

  anyPending(test: (label: string, box: Box) => boolean): boolean {
    for (const t of this.tracks) if (t.id === 0 && test(t.label, boxOf(t.box))) return true;
    return false;
  }

  clear(): void {
    this.endedIds = [];
    for (const t of this.tracks) if (t.id > 0) this.endedIds.push(t.id);
    this.tracks = [];
    this.frame = 0;
  }

  /** The next id: from 1, never reused, not even after clear(). */
  protected takeId(): number {
    return this.nextId++;
  }

  /** Records the end of a track that had an id (the caller removes it from the list). */
  protected end(track: T): void {
    if (track.id > 0) this.endedIds.push(track.id);
  }
}
