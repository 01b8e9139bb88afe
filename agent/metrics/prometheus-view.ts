import { Gauge, Histogram, type MetricObjectWithValues, type MetricValueWithName, type Registry } from 'prom-client';
import type { BucketHistogram } from './bucket-histogram.js';
import { CAMERA_METRICS, seriesOf, type CameraHistogram, type CameraMetric, type CameraScalar, type Nested } from './camera-metrics.js';
import type { CameraStats } from './camera-stats.js';

type Labels = Record<string, string | number>;

/**
 * /metrics as a view of the camera stats: one prom-client metric per
 * definition in camera-metrics.ts, on `registry`, that reads the stats
 * when scraped instead of being written per frame.
 */
export function registerCameraMetrics(registry: Registry, cameras: readonly CameraStats[]): void {
  for (const metric of CAMERA_METRICS) {
    if (metric.type === 'histogram') new StatsHistogram(metric, cameras, registry);
    else new StatsScalar(metric, cameras, registry);
  }
}

type Exported = MetricObjectWithValues<MetricValueWithName<string>>;

/**
 * A counter, gauge or untyped metric whose values are read off the camera
 * stats when scraped. prom-client's Gauge is only its way onto the registry:
 * get() reports the definition's own type (`untyped` for box_count too).
 */
class StatsScalar extends Gauge {
  constructor(
    private readonly metric: CameraScalar,
    private readonly cameras: readonly CameraStats[],
    registry: Registry,
  ) {
    super({ name: metric.name, help: metric.help, labelNames: labelNames(metric), registers: [registry] });
  }

  override get(): Promise<Exported> {
    const { name, help, type } = this.metric;
    const values = series(this.metric, this.cameras).map(([labels, value]) => ({ labels, value }));
    // prom-client's typings declare `type` as a numeric enum; at run time it is this string.
    return Promise.resolve({ name, help, type, values, aggregator: 'sum' } as unknown as Exported);
  }
}

/** One value as prom-client's registry formats it: `labels` (here `le`) first, then the series' own (`sharedLabels`). */
interface ExportedValue {
  labels: Labels;
  sharedLabels: Labels;
  value: number;
  metricName: string;
}

interface HistogramExport {
  name: string;
  help: string;
  type: 'histogram';
  values: ExportedValue[];
  aggregator: 'sum';
}

/** A histogram whose buckets are the camera stats' BucketHistograms. */
class StatsHistogram extends Histogram {
  constructor(
    private readonly metric: CameraHistogram,
    private readonly cameras: readonly CameraStats[],
    registry: Registry,
  ) {
    super({ name: metric.name, help: metric.help, labelNames: labelNames(metric), registers: [registry] });
  }

  override async get(): Promise<Exported> {
    const exported = await this.getForPromString();
    const values = exported.values.map(({ labels, sharedLabels, value, metricName }) => ({ labels: { ...labels, ...sharedLabels }, value, metricName }));
    return { ...exported, values } as unknown as Exported;
  }

  /**
   * What prom-client's registry formats /metrics from (it prefers this to
   * get()), in prom-client's own layout, so the text stays byte for byte
   * what it was when prom-client kept the buckets.
   */
  getForPromString(): Promise<HistogramExport> {
    const { name, help } = this.metric;
    const values: ExportedValue[] = [];
    for (const [sharedLabels, histogram] of series(this.metric, this.cameras)) {
      const { bounds, counts, sum } = histogram.state();
      // bounds ends with Infinity, which prom-client writes as le="+Inf".
      bounds.forEach((le, i) => values.push({ labels: { le: le === Infinity ? '+Inf' : le }, sharedLabels, value: counts[i]!, metricName: `${name}_bucket` }));
      values.push({ labels: {}, sharedLabels, value: sum, metricName: `${name}_sum` }, { labels: {}, sharedLabels, value: histogram.count, metricName: `${name}_count` });
    }
    return Promise.resolve({ name, help, type: 'histogram', values, aggregator: 'sum' });
  }
}

function labelNames(metric: CameraMetric): string[] {
  return ['camera', ...(metric.labels ?? [])];
}

function series<V extends number | BucketHistogram>(
  metric: { read(stats: CameraStats): Nested<V> | undefined; readonly labels?: readonly string[] },
  cameras: readonly CameraStats[],
): [Labels, V][] {
  const names = metric.labels ?? [];
  return cameras.flatMap((stats) =>
    seriesOf(metric.read(stats)).map(([own, value]): [Labels, V] => {
      const labels: Labels = { camera: stats.camera };
      names.forEach((name, i) => (labels[name] = own[i]!));
      return [labels, value];
    }),
  );
}
