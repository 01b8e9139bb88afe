/**
 * One track's side of one line, with hysteresis (issue 15). The anchor's
 * side counts only once it is more than `band` pixels from the line; a
 * crossing is the side changing from one such firm side to the other, so a
 * box jittering on the line counts once, and the way back counts only after
 * it has got as far past the line again. The crossing must happen between
 * the segment's two ends (where the anchor's path met the line, interpolated
 * between the two frames either side), so walking round the end of a line
 * is not a crossing.
 */
export class LineSide {
  /** When the last counted crossing met the line (epoch ms, interpolated between frames). */
  crossedAt = 0;
  /** -1, +1: the firm side (sign of the signed distance); 0: not yet known. */
  private side = 0;
  private lastDistance = Number.NaN;
  private lastAlong = 0;
  private lastAt = 0;
  /** Where along the segment (0–1) and when the anchor's path last met the line. */
  private meetAlong = Number.NaN;
  private meetAt = 0;

  /**
   * One observed frame: the anchor's signed distance from the line (pixels)
   * and where it projects along it (0–1 between the ends). Returns +1 for a
   * crossing from the positive side to the negative (the line's first
   * direction), -1 for the other way, 0 for none.
   */
  observe(distance: number, along: number, at: number, band: number): -1 | 0 | 1 {
    const last = this.lastDistance;
    if (!Number.isNaN(last) && distance >= 0 !== last >= 0) {
      const f = last / (last - distance);
      this.meetAlong = this.lastAlong + f * (along - this.lastAlong);
      this.meetAt = this.lastAt + f * (at - this.lastAt);
    }
    this.lastDistance = distance;
    this.lastAlong = along;
    this.lastAt = at;
    const firm = distance > band ? 1 : distance < -band ? -1 : 0;
    if (firm === 0 || firm === this.side) return 0;
    const from = this.side;
    this.side = firm;
    const between = this.meetAlong >= 0 && this.meetAlong <= 1;
    this.meetAlong = Number.NaN;
    if (from === 0 || !between) return 0;
    this.crossedAt = Math.round(this.meetAt);
    return from > 0 ? 1 : -1;
  }
}
