import { BucketHistogram } from './bucket-histogram.js';

/** Bucket upper bounds in seconds for a stay in a zone: a walk through (under a second) to an hour. */
export const DWELL_BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600];

/**
 * The label values a tracked camera's series may take, all from the config:
 * zone, line and direction names, and the object labels known up front
 * (docs/metrics.md#cardinality).
 */
export interface SceneSeriesOptions {
  /** Object labels whose series exist from the start (`detector.classes`); [] when every class is kept: series then appear with a label's first object. */
  readonly labels: readonly string[];
  /** `labels`: the zone's own label filter, narrowing the camera's; [] for none. */
  readonly zones: readonly { readonly name: string; readonly labels: readonly string[] }[];
  /** `directions`: the line's names for its two crossing directions. */
  readonly lines: readonly { readonly name: string; readonly directions: readonly string[]; readonly labels: readonly string[] }[];
}

/**
 * A tracked camera's tracking, zone and line numbers, written by
 * metrics-sink.ts from each scene update. Zone and line maps hold the
 * configured names only: the sink ignores any other, so a zone or line
 * series can only carry a name from the config.
 */
export class SceneStats {
  tracksActive = 0;
  /** label → tracks confirmed. */
  readonly objectsTracked = new Map<string, number>();
  /** zone → label → objects inside now. */
  readonly zoneObjects = new Map<string, Map<string, number>>();
  readonly zoneEntries = new Map<string, Map<string, number>>();
  readonly zoneDwell = new Map<string, Map<string, BucketHistogram>>();
  /** line → direction → label → crossings. */
  readonly lineCrossings = new Map<string, Map<string, Map<string, number>>>();

  constructor(options: SceneSeriesOptions) {
    for (const label of options.labels) this.objectsTracked.set(label, 0);
    for (const zone of options.zones) {
      const labels = narrowed(options.labels, zone.labels);
      this.zoneObjects.set(zone.name, new Map(labels.map((l) => [l, 0])));
      this.zoneEntries.set(zone.name, new Map(labels.map((l) => [l, 0])));
      this.zoneDwell.set(zone.name, new Map(labels.map((l) => [l, new BucketHistogram(DWELL_BUCKETS)])));
    }
    for (const line of options.lines) {
      const labels = narrowed(options.labels, line.labels);
      this.lineCrossings.set(line.name, new Map(line.directions.map((d) => [d, new Map(labels.map((l) => [l, 0]))])));
    }
  }
}

/** The labels a zone or line counts, as far as the config names them: its own filter within the camera's, else the camera's. */
function narrowed(camera: readonly string[], own: readonly string[]): readonly string[] {
  if (own.length === 0) return camera;
  return camera.length === 0 ? own : own.filter((l) => camera.includes(l));
}
