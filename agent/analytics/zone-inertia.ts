/**
 * One track's membership of one zone, with inertia (issue 15): it counts as
 * inside after `inertia` observed frames in a row with its anchor inside, and
 * as outside after as many frames outside, so a box flickering on a border
 * neither enters nor leaves. The times recorded are those of the first frame
 * of such a run: the moment the object actually stepped in or out, so dwell
 * is not shortened or lengthened by the inertia.
 */
export class ZoneInertia {
  /** The confirmed state: counted in the zone's occupancy. */
  inside = false;
  /** First frame of the run that confirmed the last entry (epoch ms). */
  enteredAt = 0;
  /** First frame of the run that confirmed the last exit (epoch ms). */
  exitedAt = 0;
  private streak = 0;
  private streakAt = 0;

  /** One observed frame: whether the anchor is inside now. Says when the confirmed state changes. */
  observe(insideNow: boolean, at: number, inertia: number): 'entered' | 'left' | undefined {
    if (insideNow === this.inside) {
      this.streak = 0;
      return undefined;
    }
    if (this.streak === 0) this.streakAt = at;
    this.streak += 1;
    if (this.streak < inertia) return undefined;
    this.streak = 0;
    this.inside = insideNow;
    if (insideNow) {
      this.enteredAt = this.streakAt;
      return 'entered';
    }
    this.exitedAt = this.streakAt;
    return 'left';
  }

  /**
   * When a track that ends while counted inside left: the first frame of an
   * unfinished run outside if it was seen outside, else its last sighting —
   * never the time the end was noticed (a camera may have been gone minutes).
   */
  leftAtEnd(lastSeen: number): number {
    return this.streak > 0 ? this.streakAt : lastSeen;
  }
}
