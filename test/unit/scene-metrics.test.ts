import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { FrameResult } from '../../agent/core/frame.js';
import { MetricsSink } from '../../agent/metrics/metrics-sink.js';
import { VigilMetrics } from '../../agent/metrics/registry.js';
import { MetricsSnapshotter } from '../../agent/mqtt/metrics-snapshot.js';
import { parseMetrics, sampleValue } from '../helpers/metrics-text.js';
import { EMPTY_SCENE } from '../helpers/scene-update.js';

const SCENE = {
  labels: ['person', 'car'],
  zones: [
    { name: 'counter', labels: ['person'] },
    { name: 'yard', labels: [] },
  ],
  lines: [{ name: 'gate', directions: ['in', 'out'], labels: [] }],
};

function trackedMetrics(): VigilMetrics {
  const metrics = new VigilMetrics();
  metrics.addCamera({ camera: 'plaza', queueCapacity: 4, queueSize: () => 0, classifier: false, scene: SCENE });
  metrics.addCamera({ camera: 'dock', queueCapacity: 4, queueSize: () => 0, classifier: false });
  return metrics;
}

const EMPTY = EMPTY_SCENE;

/** The lines of one metric family in exposition text. */
const family = (text: string, name: string): string[] => text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name}_`));

describe('tracking, zone and line series on /metrics', () => {
  it('exists at zero for every configured zone, line, direction and known label, narrowed by a zone filter, on tracked cameras only', async () => {
    const text = await trackedMetrics().registry.metrics();
    const samples = parseMetrics(text);
    expect(family(text, 'objects_tracked_total')).toEqual(['objects_tracked_total{camera="plaza",label="person"} 0', 'objects_tracked_total{camera="plaza",label="car"} 0']);
    expect(family(text, 'tracks_active')).toEqual(['tracks_active{camera="plaza"} 0']);
    // counter's own filter (person) narrows the camera's labels; yard has none, so both.
    expect(family(text, 'zone_objects')).toEqual([
      'zone_objects{camera="plaza",zone="counter",label="person"} 0',
      'zone_objects{camera="plaza",zone="yard",label="person"} 0',
      'zone_objects{camera="plaza",zone="yard",label="car"} 0',
    ]);
    expect(family(text, 'zone_entries_total')).toHaveLength(3);
    expect(family(text, 'line_crossings_total')).toEqual([
      'line_crossings_total{camera="plaza",line="gate",direction="in",label="person"} 0',
      'line_crossings_total{camera="plaza",line="gate",direction="in",label="car"} 0',
      'line_crossings_total{camera="plaza",line="gate",direction="out",label="person"} 0',
      'line_crossings_total{camera="plaza",line="gate",direction="out",label="car"} 0',
    ]);
    // 14 finite buckets + Inf, sum and count, per zone and label.
    expect(family(text, 'zone_dwell_seconds')).toHaveLength(3 * 17);
    expect(sampleValue(samples, 'zone_dwell_seconds_bucket', { camera: 'plaza', zone: 'counter', label: 'person', le: '3600' })).toBe(0);
    expect(samples.filter((s) => s.labels.camera === 'dock' && /^(objects_tracked|tracks_active|zone_|line_)/.test(s.name))).toEqual([]);
    expect(text).toContain('# TYPE zone_dwell_seconds histogram');
    expect(text).toContain('# TYPE line_crossings_total counter');
    expect(text).toContain('# TYPE zone_objects gauge');
  });

  it('counts what the scene updates say, the dwell histogram observed on exits, and leaves the seed series alone', async () => {
    const metrics = trackedMetrics();
    const sink = new MetricsSink(metrics);
    const at = 1_700_000_000_000;
    sink.handleScene('plaza', {
      ...EMPTY,
      tracksActive: 3,
      confirmed: [
        { trackId: 1, label: 'person' },
        { trackId: 2, label: 'person' },
        { trackId: 3, label: 'dog' },
      ],
      zoneEntries: [
        { zone: 'counter', label: 'person', trackId: 1, at },
        { zone: 'nowhere', label: 'person', trackId: 2, at },
      ],
      lineCrossings: [
        { line: 'gate', direction: 'in', label: 'person', trackId: 1, at },
        { line: 'gate', direction: 'out', label: 'dog', trackId: 3, at },
        { line: 'gate', direction: 'sideways', label: 'person', trackId: 2, at },
      ],
      counts: { zones: { counter: { person: 1 }, yard: { dog: 2 } }, lines: {} },
      countsChanged: true,
    });
    sink.handleScene('plaza', {
      ...EMPTY,
      tracksActive: 1,
      zoneExits: [
        { zone: 'counter', label: 'person', trackId: 1, at: at + 4000, dwellSeconds: 4 },
        { zone: 'counter', label: 'person', trackId: 2, at: at + 4000, dwellSeconds: 700 },
        { zone: 'nowhere', label: 'person', trackId: 2, at: at + 4000, dwellSeconds: 7 },
      ],
      counts: { zones: { counter: {}, yard: { dog: 2 } }, lines: {} },
      countsChanged: true,
    });
    sink.handleScene('dock', { ...EMPTY, tracksActive: 5 });
    const text = await metrics.registry.metrics();
    const samples = parseMetrics(text);
    const plaza = { camera: 'plaza' };
    expect(sampleValue(samples, 'tracks_active', plaza)).toBe(1);
    expect(sampleValue(samples, 'objects_tracked_total', { ...plaza, label: 'person' })).toBe(2);
    expect(sampleValue(samples, 'objects_tracked_total', { ...plaza, label: 'dog' })).toBe(1);
    expect(sampleValue(samples, 'zone_entries_total', { ...plaza, zone: 'counter', label: 'person' })).toBe(1);
    // The occupancy follows the counts: counter emptied again, yard's dog (a label the config did not name) shown.
    expect(sampleValue(samples, 'zone_objects', { ...plaza, zone: 'counter', label: 'person' })).toBe(0);
    expect(sampleValue(samples, 'zone_objects', { ...plaza, zone: 'yard', label: 'dog' })).toBe(2);
    expect(sampleValue(samples, 'line_crossings_total', { ...plaza, line: 'gate', direction: 'in', label: 'person' })).toBe(1);
    expect(sampleValue(samples, 'line_crossings_total', { ...plaza, line: 'gate', direction: 'out', label: 'dog' })).toBe(1);
    // Names outside the config never become series.
    expect(text).not.toMatch(/nowhere|sideways/);
    const dwell = family(text, 'zone_dwell_seconds').filter((l) => l.includes('zone="counter"'));
    expect(dwell).toContain('zone_dwell_seconds_bucket{le="2",camera="plaza",zone="counter",label="person"} 0');
    expect(dwell).toContain('zone_dwell_seconds_bucket{le="5",camera="plaza",zone="counter",label="person"} 1');
    expect(dwell).toContain('zone_dwell_seconds_bucket{le="600",camera="plaza",zone="counter",label="person"} 1');
    expect(dwell).toContain('zone_dwell_seconds_bucket{le="1200",camera="plaza",zone="counter",label="person"} 2');
    expect(dwell).toContain('zone_dwell_seconds_bucket{le="+Inf",camera="plaza",zone="counter",label="person"} 2');
    expect(dwell).toContain('zone_dwell_seconds_sum{camera="plaza",zone="counter",label="person"} 704');
    expect(dwell).toContain('zone_dwell_seconds_count{camera="plaza",zone="counter",label="person"} 2');
    expect(samples.filter((s) => s.labels.camera === 'dock' && s.name === 'tracks_active')).toEqual([]);
  });

  it('calls the scene of a result right after its frame numbers through the fan-out contract', async () => {
    const metrics = trackedMetrics();
    const sink = new MetricsSink(metrics);
    const result = {
      frame: { meta: { camera: 'plaza', seq: 0, capturedAt: Date.now(), videoIndex: 0, width: 640, height: 480 }, data: new ArrayBuffer(0) },
      objects: [{ label: 'person', score: 0.9, box: [0, 0, 10, 10], class: null, trackId: 1 }],
      timings: { detectSeconds: 0.01, batchFrames: 1, wide: false, classifySeconds: 0, classifiedObjects: 0 },
      dequeuedAt: performance.now(),
      completedAt: performance.now(),
      scene: { ...EMPTY, tracksActive: 1 },
    } satisfies FrameResult;
    sink.handle(result);
    sink.handleScene('plaza', result.scene);
    const samples = parseMetrics(await metrics.registry.metrics());
    expect(sampleValue(samples, 'box_count', { camera: 'plaza' })).toBe(1);
    expect(sampleValue(samples, 'tracks_active', { camera: 'plaza' })).toBe(1);
  });

  it('stays out of the MQTT metrics snapshot, whose schema is a contract', () => {
    const metrics = trackedMetrics();
    const snapshot = new MetricsSnapshotter(metrics.cameras, { device: 'd', site: 's', session: 'x' }, () => 1000).take();
    const keys = Object.keys(snapshot.cameras.plaza!);
    expect(keys).toContain('frames_dropped_total');
    for (const name of ['objects_tracked_total', 'tracks_active', 'zone_objects', 'zone_entries_total', 'zone_dwell_seconds', 'line_crossings_total']) expect(keys).not.toContain(name);
  });

  it.skipIf(spawnSync('promtool', ['--version']).status !== 0)('passes promtool check metrics with every new family in it', async () => {
    const metrics = trackedMetrics();
    new MetricsSink(metrics).handleScene('plaza', {
      ...EMPTY,
      zoneExits: [{ zone: 'yard', label: 'car', trackId: 1, at: 0, dwellSeconds: 12 }],
    });
    const run = spawnSync('promtool', ['check', 'metrics'], { input: await metrics.registry.metrics(), encoding: 'utf8' });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
