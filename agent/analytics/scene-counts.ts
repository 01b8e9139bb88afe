import type { SceneCounts } from '../core/scene.js';

/**
 * A camera's occupancy and cumulative crossings (issue 15), kept in maps and
 * handed out as a frozen snapshot that is rebuilt only when a count changed:
 * sinks may keep the snapshot they were given (a retained MQTT message), and
 * a frame without change allocates nothing.
 */
export class SceneCountBook {
  private readonly zones = new Map<string, Map<string, number>>();
  private readonly lines = new Map<string, Map<string, Map<string, number>>>();
  private snapshot: SceneCounts | undefined;

  /** Zones and lines from the config; a label filter's labels start at 0 so they show before the first object. */
  constructor(zones: readonly { name: string; labels: readonly string[] }[], lines: readonly { name: string; labels: readonly string[]; directions: readonly string[] }[]) {
    for (const zone of zones) this.zones.set(zone.name, new Map(zone.labels.map((label) => [label, 0])));
    for (const line of lines) {
      this.lines.set(line.name, new Map(line.directions.map((direction) => [direction, new Map(line.labels.map((label) => [label, 0]))])));
    }
  }

  /** Whether the counts changed since the last snapshot (true before the first). */
  get changed(): boolean {
    return this.snapshot === undefined;
  }

  addOccupant(zone: string, label: string, delta: 1 | -1): void {
    const byLabel = this.zones.get(zone)!;
    byLabel.set(label, (byLabel.get(label) ?? 0) + delta);
    this.snapshot = undefined;
  }

  addCrossing(line: string, direction: string, label: string): void {
    const byLabel = this.lines.get(line)!.get(direction)!;
    byLabel.set(label, (byLabel.get(label) ?? 0) + 1);
    this.snapshot = undefined;
  }

  counts(): SceneCounts {
    this.snapshot ??= Object.freeze({
      zones: Object.freeze(Object.fromEntries([...this.zones].map(([zone, byLabel]) => [zone, Object.freeze(Object.fromEntries(byLabel))]))),
      lines: Object.freeze(
        Object.fromEntries(
          [...this.lines].map(([line, byDirection]) => [
            line,
            Object.freeze(Object.fromEntries([...byDirection].map(([direction, byLabel]) => [direction, Object.freeze(Object.fromEntries(byLabel))]))),
          ]),
        ),
      ),
    });
    return this.snapshot;
  }
}
