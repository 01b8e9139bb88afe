import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, agentConfigYaml } from '../helpers/agent-process.js';
import type { Sample } from '../helpers/metrics-text.js';
import { Mosquitto, MqttRecorder } from '../helpers/mosquitto.js';
import { schemaErrors } from '../helpers/payload-schemas.js';
import { freePort } from '../helpers/ports.js';
import { media, model } from '../helpers/testdata.js';
import { waitFor } from '../helpers/wait.js';

const DEVICE = 'edge-card';
const SITE = 'lab';
/** detector.classes: K = 2 labels counted. */
const CLASSES = ['person', 'car'];

interface Zone {
  name: string;
  labels: string[];
}
interface Line extends Zone {
  directions: [string, string];
}
interface Camera {
  name: string;
  url: string;
  zones: Zone[];
  lines: Line[];
  /** Motion gating (issue 16): adds motion_level. */
  motion?: boolean;
  /** detector.interval of this camera (issue 16): no series of its own, detector_interval shows it. */
  interval?: number;
}

/**
 * docs/fleet.md "Series per camera", as written there (not from the agent's
 * code): per camera 143 base series (9 scalars, 3 drop reasons, 2 skip
 * reasons, 7 histograms), + 1 with motion gating, + 14 with a classifier,
 * + up to K objects_detected_total; per tracked camera 1 + K + 19 per
 * zone-label + 2 per line-label (two directions); per agent 4, + 1 with the
 * preview, + 40 with MQTT.
 */
const BASE_PER_CAMERA = 143;
const MOTION = 1;
function trackingSeries(camera: Camera, k: number): number {
  const counted = (own: string[]): number => (own.length === 0 ? k : own.length);
  return 1 + k + camera.zones.reduce((n, z) => n + 19 * counted(z.labels), 0) + camera.lines.reduce((n, l) => n + 2 * counted(l.labels), 0);
}
const PER_AGENT = 4 + 1 + 40;

/** Node's own metrics (prom-client defaults): not vigil's to budget, and their label values (heap spaces, handle types) are the runtime's. */
const isRuntime = (name: string): boolean => /^(process|nodejs)_/.test(name);

function yamlList(items: string[]): string {
  return `[${items.join(', ')}]`;
}

function cameraYaml(c: Camera): string {
  const zones = c.zones.map((z) => `      - { name: ${z.name}, polygon: [[0, 0.4], [1, 0.4], [1, 1], [0, 1]], labels: ${yamlList(z.labels)} }`);
  const lines = c.lines.map((l, i) => `      - { name: ${l.name}, points: [[0, ${0.5 + i * 0.1}], [1, ${0.5 + i * 0.1}]], directions: ${yamlList(l.directions)}, labels: ${yamlList(l.labels)} }`);
  const density = [...(c.motion ? ['    motion: { enabled: true }'] : []), ...(c.interval ? [`    detector: { interval: ${c.interval} }`] : [])];
  return [`  - name: ${c.name}`, `    url: ${c.url}`, '    file_pace: realtime', ...density, `    zones:${zones.length ? '' : ' []'}`, ...zones, `    lines:${lines.length ? '' : ' []'}`, ...lines, ''].join('\n');
}

/**
 * Issue 17, item 7: the number of series on /metrics for a config with 3
 * cameras, zones and lines equals the documented budget, and every label
 * value comes from the config, the model's labels file or a documented
 * enum — never from the data (no track id, no URL, no free text).
 */
describe('cardinality: series budget and label values', () => {
  let broker: Mosquitto | undefined;
  let agent: AgentProcess | undefined;
  let recorder: MqttRecorder | undefined;
  let cameras: Camera[] = [];
  let samples: Sample[] = [];
  const labelsFile = readFileSync(model('coco80_labels.txt'), 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);

  beforeAll(async () => {
    cameras = [
      {
        name: 'plaza',
        url: media('vtest.avi'),
        zones: [
          { name: 'lower', labels: ['person'] },
          { name: 'whole', labels: [] },
        ],
        lines: [
          { name: 'middle', labels: ['person'], directions: ['north', 'south'] },
          { name: 'kerb', labels: [], directions: ['in', 'out'] },
        ],
        interval: 2,
      },
      { name: 'lobby', url: media('vtest.avi'), zones: [{ name: 'door', labels: [] }], lines: [], motion: true },
      // Never answers: its series must exist all the same, at zero.
      { name: 'gate', url: `rtsp://127.0.0.1:${await freePort()}/dead`, zones: [], lines: [] },
    ];
    broker = await Mosquitto.start();
    recorder = await MqttRecorder.start(broker.url(), `vigil/${DEVICE}/#`);
    agent = await AgentProcess.start(
      agentConfigYaml(cameras.map(cameraYaml).join(''), {
        extra: `device:\n  id: ${DEVICE}\n  site: ${SITE}\nmetrics:\n  constant_labels: true\nmqtt:\n  url: ${broker.url()}\n  metrics_interval: 1\n`,
      }).replace(/^(detector:\n(?: {2}.*\n)+)/m, `$1  classes: ${yamlList(CLASSES)}\n`),
    );
    const running = agent;
    // People detected and tracked on both file cameras, so the label-bearing series that appear with data are there too.
    samples = await waitFor(
      async () => {
        const s = await running.metrics();
        const ok = ['plaza', 'lobby'].every((camera) => s.some((x) => x.name === 'objects_tracked_total' && x.labels.camera === camera && x.labels.label === 'person' && x.value > 0));
        return ok ? s : undefined;
      },
      'persons tracked on both file cameras',
      60_000,
      500,
    );
  });

  afterAll(async () => {
    await recorder?.stop();
    await agent?.stop();
    await broker?.stop();
  });

  it('has exactly the documented number of series for 3 cameras with zones and lines', () => {
    const own = samples.filter((s) => !isRuntime(s.name));
    const detected = own.filter((s) => s.name === 'objects_detected_total');
    const perCamera = (camera: string): Sample[] => own.filter((s) => s.labels.camera === camera);
    // objects_detected_total{label} appears with a label's first detection: at most K a camera.
    for (const c of cameras) expect(detected.filter((s) => s.labels.camera === c.name).length, c.name).toBeLessThanOrEqual(CLASSES.length);
    for (const c of cameras) {
      const d = detected.filter((s) => s.labels.camera === c.name).length;
      // The preview's per-camera counters appear only while someone watches: nobody does here.
      expect(perCamera(c.name).length, c.name).toBe(BASE_PER_CAMERA + (c.motion ? MOTION : 0) + d + trackingSeries(c, CLASSES.length));
    }
    expect(trackingSeries(cameras[0]!, 2)).toBe(1 + 2 + 19 + 38 + 2 + 4);
    const budget = PER_AGENT + cameras.reduce((n, c) => n + BASE_PER_CAMERA + (c.motion ? MOTION : 0) + CLASSES.length + trackingSeries(c, CLASSES.length), 0);
    const exact = budget - cameras.length * CLASSES.length + detected.length;
    expect(own.length).toBe(exact);
    expect(own.length).toBeLessThanOrEqual(budget);
    // The whole exposition, Node's own metrics included, for docs/fleet.md.
    console.info(`cardinality: ${own.length} vigil series (budget ${budget}), ${samples.length} with Node's, 3 cameras`);
  });

  it('takes every label value from the config, the labels file or a documented enum', () => {
    const byName = new Map(cameras.map((c) => [c.name, c]));
    const enums: Record<string, readonly string[]> = {
      // frames_dropped_total, mqtt_messages_dropped_total, preview_frames_skipped_total, frames_skipped_total
      reason: ['queue_full', 'fps_cap', 'inference_error', 'buffer_full', 'too_large', 'rate_limit', 'rejected', 'shutdown', 'backpressure', 'interval', 'no_motion'],
      kind: ['metrics', 'detections', 'status', 'event', 'counts', 'discovery'],
      stage: ['detector', 'classifier'],
    };
    const problems: string[] = [];
    for (const s of samples) {
      if (isRuntime(s.name)) continue;
      const camera = s.labels.camera === undefined ? undefined : byName.get(s.labels.camera);
      for (const [key, value] of Object.entries(s.labels)) {
        const ok = ((): boolean => {
          switch (key) {
            case 'camera':
              return camera !== undefined;
            case 'device':
              return value === DEVICE;
            case 'site':
              return value === SITE;
            case 'label':
              return labelsFile.includes(value) && CLASSES.includes(value);
            case 'zone':
              return camera?.zones.some((z) => z.name === value) ?? false;
            case 'line':
              return camera?.lines.some((l) => l.name === value) ?? false;
            case 'direction':
              return camera?.lines.find((l) => l.name === s.labels.line)?.directions.includes(value) ?? false;
            case 'le':
              return value === '+Inf' || Number.isFinite(Number(value));
            default:
              // vigil_info's version, providers and model files: the build and the machine, one series.
              if (s.name === 'vigil_info' && /^(version|detector_provider|classifier_provider|detector_model|classifier_model)$/.test(key)) return true;
              return enums[key]?.includes(value) ?? false;
          }
        })();
        if (!ok) problems.push(`${s.name} ${key}="${value}"`);
      }
    }
    expect(problems).toEqual([]);
    // A zone's label filter narrows its series: `lower` counts persons only.
    expect(samples.filter((s) => s.name === 'zone_objects' && s.labels.zone === 'lower').map((s) => s.labels.label)).toEqual(['person']);
    expect(samples.filter((s) => s.name === 'line_crossings_total' && s.labels.line === 'middle').map((s) => s.labels.direction).sort()).toEqual(['north', 'south']);
    expect(samples.filter((s) => s.name === 'vigil_info')).toHaveLength(1);
  });

  it('shows each camera its interval, its skipped frames by reason, and motion_level only where motion gating is on (issue 16)', () => {
    const of = (name: string, camera: string): Sample[] => samples.filter((s) => s.name === name && s.labels.camera === camera);
    expect(of('detector_interval', 'plaza').map((s) => s.value)).toEqual([2]);
    expect(of('detector_interval', 'gate').map((s) => s.value)).toEqual([1]);
    for (const c of cameras) expect(of('frames_skipped_total', c.name).map((s) => s.labels.reason).sort(), c.name).toEqual(['interval', 'no_motion']);
    // Interval 2: about every other frame of plaza came from the tracks.
    expect(of('frames_skipped_total', 'plaza').find((s) => s.labels.reason === 'interval')!.value).toBeGreaterThan(0);
    expect(of('motion_level', 'lobby')).toHaveLength(1);
    expect(of('motion_level', 'lobby')[0]!.value).toBeGreaterThanOrEqual(0);
    expect(of('motion_level', 'lobby')[0]!.value).toBeLessThanOrEqual(1);
    expect(samples.filter((s) => s.name === 'motion_level').map((s) => s.labels.camera)).toEqual(['lobby']);
  });

  it('says on MQTT which frames were detected and which predicted, and carries the new series in the snapshot (issue 16)', async () => {
    const topic = (camera: string, kind: string): string => `vigil/${DEVICE}/${camera}/${kind}`;
    const detections = (camera: string): Record<string, unknown>[] => recorder!.messages.filter((m) => m.topic === topic(camera, 'detections')).map((m) => JSON.parse(m.payload) as Record<string, unknown>);
    await recorder!.waitFor(() => detections('plaza').length >= 20 && recorder!.messages.some((m) => m.topic === `vigil/${DEVICE}/metrics`), 20_000, 'plaza detections and a snapshot');
    const plaza = detections('plaza');
    for (const message of plaza) expect(schemaErrors('detections', message)).toEqual([]);
    const predicted = plaza.filter((m) => m.detected === false);
    // Interval 2: half the frames, give or take the start.
    expect(predicted.length).toBeGreaterThan(0.3 * plaza.length);
    expect(predicted.length).toBeLessThan(0.7 * plaza.length);
    expect(new Set(predicted.map((m) => m.skip_reason))).toEqual(new Set(['interval']));
    expect(plaza.filter((m) => m.detected === true).every((m) => !('skip_reason' in m))).toBe(true);
    // A predicted frame's objects are tracks: each has its track id.
    const predictedObjects = predicted.flatMap((m) => m.objects as { track_id: number | null }[]);
    expect(predictedObjects.length).toBeGreaterThan(0);
    expect(predictedObjects.every((o) => typeof o.track_id === 'number')).toBe(true);
    const snapshot = JSON.parse(recorder!.messages.filter((m) => m.topic === `vigil/${DEVICE}/metrics`).at(-1)!.payload) as { cameras: Record<string, Record<string, unknown>> };
    expect(schemaErrors('metrics', snapshot)).toEqual([]);
    expect(snapshot.cameras.plaza).toMatchObject({ detector_interval: 2, frames_skipped_total: { interval: expect.any(Number) as number, no_motion: 0 } });
    expect(snapshot.cameras.plaza).not.toHaveProperty('motion_level');
    expect(snapshot.cameras.lobby!.motion_level).toEqual(expect.any(Number));
    console.info(`issue 16: plaza ${predicted.length} of ${plaza.length} detections messages predicted, ${predictedObjects.length} objects on them; lobby motion_level ${String(snapshot.cameras.lobby!.motion_level)}`);
  });
});
