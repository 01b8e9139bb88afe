import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iou } from '../../agent/inference/nms.js';
import { AgentProcess, agentConfigYaml } from '../helpers/agent-process.js';
import { sampleValue, type Sample } from '../helpers/metrics-text.js';
import { Mosquitto, MqttRecorder, type RecordedMessage } from '../helpers/mosquitto.js';
import { boxAt, DARK_COAT, feetAt, firstFrame, WIDTH, writeSyntheticVideo, type Actor, type VideoSpec } from '../helpers/synthetic-video.js';
import { media, REPO_ROOT } from '../helpers/testdata.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Less inference per camera (issue 16) on the real agent: motion gating
 * skips the detector on a still scene yet detects, tracks and counts a
 * person walking through it exactly as without gating; `interval: auto`
 * rises under a load that would drop frames and falls back when it ends.
 */

const FPS = 10;
const DEVICE = 'density-01';
const GATE_X = 0.3 * WIDTH;

/**
 * The plaza, still for 3 s; then a man walks right at 10 px a frame (feet at
 * y = 300) from frame 30 (x 15) to frame 100 (x 715), across the line at
 * x = 230.4 between frames 51 (x 225) and 52 (x 235); then 6 s of still
 * plaza, so his track ends long before the file does.
 */
const WALKER: Actor = {
  name: 'walker',
  source: DARK_COAT,
  path: [
    { frame: 30, x: 15, y: 300 },
    { frame: 100, x: 715, y: 300 },
  ],
};
const SPEC: VideoSpec = { fps: FPS, frames: 160, actors: [WALKER] };
/** Frames where all of him is in the picture (his box is 45 px wide): the detector must see him in each. */
const IN_VIEW = { from: 33, to: 97 };

interface DetectionsMessage {
  seq: number;
  detected: boolean;
  skip_reason?: string;
  timestamp_ms: number;
  objects: { label: string; score: number; box: [number, number, number, number]; track_id?: number | null }[];
}
interface TrackEventMessage {
  type: 'new' | 'update' | 'end';
  track_id: number;
  label: string;
  crossings: { line: string; direction: string; at: number }[];
}
const parse = <T>(m: RecordedMessage): T => JSON.parse(m.payload) as T;
const topic = (camera: string, name: string): string => `vigil/${DEVICE}/${camera}/${name}`;

let dir: string;
let video: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-density-'));
  video = join(dir, 'walker.mp4');
  await writeSyntheticVideo(video, SPEC);
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('motion gating on a still scene with one person walking through', () => {
  /** The same file on two cameras of one agent: `gated` with motion gating, `plain` without. */
  const CAMERAS = ['gated', 'plain'] as const;
  let broker: Mosquitto;
  let recorder: MqttRecorder;
  let agent: AgentProcess;
  let samples: Sample[];
  const detections = new Map<string, DetectionsMessage[]>();
  const events = new Map<string, TrackEventMessage[]>();

  beforeAll(async () => {
    expect(firstFrame(WALKER, 0, (p) => p.x > GATE_X)).toBe(52);
    broker = await Mosquitto.start();
    recorder = await MqttRecorder.start(broker.url(), 'vigil/#');
    const camera = (name: string, motion: boolean): string =>
      `  - name: ${name}\n    url: ${video}\n    loop: false\n    file_pace: realtime\n    queue_capacity: ${SPEC.frames}\n` +
      `    motion:\n      enabled: ${motion}\n` +
      `    lines:\n      - name: gate\n        points: [[0.3, 0.2], [0.3, 0.95]]\n`;
    agent = await AgentProcess.start(agentConfigYaml(camera('gated', true) + camera('plain', false), { extra: `device:\n  id: ${DEVICE}\nmqtt:\n  url: ${broker.url()}\n` }));
    const ended = (cam: string): boolean => agent.logs.some((l) => l.camera === cam && /finished and loop is off/.test(l.msg));
    await waitFor(() => CAMERAS.every(ended), 'both cameras played the video to its end', 90_000).catch((err: Error) => {
      throw new Error(`${err.message}\nagent log:\n${agent.logs.filter((l) => l.level !== 'debug').slice(-15).map((l) => JSON.stringify(l)).join('\n')}\n${agent.stderr.slice(-2000)}`);
    });
    for (const cam of CAMERAS) {
      await recorder.waitFor(() => recorder.on(topic(cam, 'detections')).some((m) => parse<DetectionsMessage>(m).seq === SPEC.frames - 1), 15_000, `${cam}: the last frame's detections`);
      await recorder.waitFor(
        () => {
          const types = recorder.on(topic(cam, 'events')).map((m) => parse<TrackEventMessage>(m).type);
          return types.includes('end') && types.filter((t) => t === 'new').length === types.filter((t) => t === 'end').length;
        },
        15_000,
        `${cam}: every track ended`,
      );
      detections.set(cam, recorder.on(topic(cam, 'detections')).map((m) => parse<DetectionsMessage>(m)));
      events.set(cam, recorder.on(topic(cam, 'events')).map((m) => parse<TrackEventMessage>(m)));
    }
    samples = await agent.metrics();
    mkdirSync(join(REPO_ROOT, 'test-artifacts'), { recursive: true });
    writeFileSync(
      join(REPO_ROOT, 'test-artifacts', 'density-gating.json'),
      JSON.stringify(
        Object.fromEntries(CAMERAS.map((c) => [c, { events: events.get(c), detections: detections.get(c)!.map((d) => [d.seq, d.detected ? 'D' : d.skip_reason, ...d.objects.map((o) => [o.label, o.track_id, ...o.box.map(Math.round)])]) }])),
        null,
        1,
      ),
    );
  }, 150_000);

  afterAll(async () => {
    await agent?.stop();
    await recorder?.stop();
    await broker?.stop();
  });

  const value = (cam: string, name: string, labels: Record<string, string> = {}): number | undefined => sampleValue(samples, name, { camera: cam, ...labels });
  /** The detection on the walker in frame `seq` of `cam` (IoU ≥ 0.5 with where he is drawn), if any. */
  const walkerIn = (cam: string, seq: number): DetectionsMessage['objects'][number] | undefined => {
    const truth = boxAt(WALKER, seq);
    const frame = detections.get(cam)!.find((d) => d.seq === seq);
    return truth && frame ? frame.objects.find((o) => o.label === 'person' && iou(o.box, truth) >= 0.5) : undefined;
  };
  const personTracks = (cam: string): number[] => [...new Set(detections.get(cam)!.flatMap((d) => d.objects.filter((o) => o.label === 'person' && o.track_id != null).map((o) => o.track_id!)))];

  it('reads every frame on both cameras and drops none; only the gated camera skips the detector, for no motion', () => {
    for (const cam of CAMERAS) {
      expect(value(cam, 'frames_sent_total')).toBe(SPEC.frames);
      expect(samples.filter((s) => s.name === 'frames_dropped_total' && s.labels.camera === cam).reduce((n, s) => n + s.value, 0)).toBe(0);
      expect(detections.get(cam)!.map((d) => d.seq)).toEqual(Array.from({ length: SPEC.frames }, (_, i) => i));
    }
    const skipped = value('gated', 'frames_skipped_total', { reason: 'no_motion' }) ?? 0;
    console.log(`density gating: ${skipped} of ${SPEC.frames} frames skipped for no motion`);
    expect(skipped).toBeGreaterThan(0);
    expect(detections.get('gated')!.filter((d) => d.skip_reason === 'no_motion')).toHaveLength(skipped);
    expect(value('plain', 'frames_skipped_total', { reason: 'no_motion' }) ?? 0).toBe(0);
    expect(detections.get('plain')!.every((d) => d.detected)).toBe(true);
    // Nothing moves before he comes: the still plaza is mostly skipped.
    expect(detections.get('gated')!.slice(0, 30).filter((d) => !d.detected).length).toBeGreaterThan(10);
  });

  it('detects him in every frame he is in view, as the ungated camera does, from the same pixels', () => {
    const gated = detections.get('gated')!;
    for (let seq = IN_VIEW.from; seq <= IN_VIEW.to; seq++) {
      expect(gated.find((d) => d.seq === seq)?.detected, `frame ${seq} detected`).toBe(true);
      const [g, p] = [walkerIn('gated', seq), walkerIn('plain', seq)];
      expect(p, `plain camera finds him in frame ${seq} (feet ${JSON.stringify(feetAt(WALKER, seq))})`).toBeDefined();
      expect(g, `gated camera finds him in frame ${seq}`).toBeDefined();
      expect(iou(g!.box, p!.box), `frame ${seq}: the two cameras' boxes`).toBeGreaterThan(0.95);
    }
  });

  it('tracks him as one track on each camera, over the same frames, and nobody else', () => {
    for (const cam of CAMERAS) {
      expect(personTracks(cam), `${cam}: person track ids`).toHaveLength(1);
      expect(value(cam, 'objects_tracked_total', { label: 'person' })).toBe(1);
      expect(value(cam, 'tracks_active')).toBe(0);
    }
    const trackedFrames = (cam: string): number[] => detections.get(cam)!.filter((d) => walkerIn(cam, d.seq)?.track_id != null).map((d) => d.seq);
    const [g, p] = [trackedFrames('gated'), trackedFrames('plain')];
    expect(Math.abs(g.length - p.length), `tracked frames: gated ${g[0]}–${g.at(-1)} (${g.length}), plain ${p[0]}–${p.at(-1)} (${p.length})`).toBeLessThanOrEqual(1);
    expect(Math.abs(g[0]! - p[0]!)).toBeLessThanOrEqual(1);
  });

  it('counts his one crossing on each camera, at the same frame', () => {
    const crossedAt = (cam: string): number => {
      const end = events.get(cam)!.find((e) => e.type === 'end' && e.label === 'person')!;
      expect(end.crossings.map((c) => [c.line, c.direction])).toEqual([['gate', 'in']]);
      const at = end.crossings[0]!.at;
      return detections.get(cam)!.reduce((a, b) => (Math.abs(b.timestamp_ms - at) < Math.abs(a.timestamp_ms - at) ? b : a)).seq;
    };
    for (const cam of CAMERAS) {
      expect(value(cam, 'line_crossings_total', { line: 'gate', direction: 'in', label: 'person' })).toBe(1);
      expect(value(cam, 'line_crossings_total', { line: 'gate', direction: 'out', label: 'person' }) ?? 0).toBe(0);
    }
    const [g, p] = [crossedAt('gated'), crossedAt('plain')];
    expect(g).toBe(p);
    expect(Math.abs(g - 52)).toBeLessThanOrEqual(1);
  });
});

describe('detector.interval auto under load', () => {
  const value = (samples: readonly Sample[], name: string, cam: string, labels: Record<string, string> = {}): number => sampleValue(samples, name, { camera: cam, ...labels }) ?? NaN;
  /**
   * `watch` plays a 50 fps clip live with `interval: auto`; `loads` more cameras read vtest.avi as fast as
   * decoding allows, detecting every frame. One inference thread (~100 runs/s here) shared fairly by five busy
   * cameras gives `watch` ~20 detections/s, far below its 50 frames/s, on a machine twice as fast too; alone it
   * needs 17–25 a second at interval 3–2, so the load going away is calm.
   */
  const config = (loads: number): string =>
    agentConfigYaml(
      `  - name: watch\n    url: ${fastVideo}\n    detector:\n      interval: auto\n      max_interval: 3\n` +
        Array.from({ length: loads }, (_, i) => `  - name: load-${i}\n    url: ${media('vtest.avi')}\n    file_pace: max\n`).join(''),
      { inference: '  workers: 1\n  intra_op_threads: 1\n' },
    );
  const LOADS = 4;
  let fastVideo: string;
  let agent: AgentProcess;

  beforeAll(async () => {
    fastVideo = join(dir, 'walker-50fps.mp4');
    await writeSyntheticVideo(fastVideo, { ...SPEC, fps: 50 });
    agent = await AgentProcess.start(config(0));
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
  });

  const reload = async (loads: number): Promise<void> => {
    writeFileSync(agent.configFile, config(loads));
    const res = await fetch(`http://127.0.0.1:${agent.port}/-/reload`, { method: 'POST' });
    expect(res.status).toBe(200);
  };

  it('rises above 1 once load cameras are added (POST /-/reload) and take the detector, skipping frames instead', async () => {
    // Alone it settles at 1 (the first runs, slower, can raise it for a calm period).
    await waitFor(async () => value(await agent.metrics(), 'detector_interval', 'watch') === 1, 'watch alone: detector_interval 1', 60_000, 500);
    const skipped = async (): Promise<number> => value(await agent.metrics(), 'frames_skipped_total', 'watch', { reason: 'interval' }) || 0;
    const skippedBefore = await skipped();
    await reload(LOADS);
    const started = Date.now();
    const samples = await waitFor(async () => {
      const s = await agent.metrics();
      return value(s, 'detector_interval', 'watch') > 1 ? s : null;
    }, 'watch: detector_interval above 1', 60_000);
    const seconds = (Date.now() - started) / 1000;
    // Only the auto camera moves: the load cameras keep their fixed interval 1.
    for (let i = 0; i < LOADS; i++) expect(value(samples, 'detector_interval', `load-${i}`)).toBe(1);
    await waitFor(async () => (await skipped()) > skippedBefore, 'watch: more frames skipped for the interval', 10_000);
    console.log(`density auto: watch's interval ${value(samples, 'detector_interval', 'watch')} after ${seconds.toFixed(1)} s of load`);
  }, 150_000);

  it('falls back to 1 once the load cameras are removed (POST /-/reload)', async () => {
    await reload(0);
    const started = Date.now();
    const before = value(await agent.metrics(), 'detector_interval', 'watch');
    // One step down per calm period (10 s, doubled after each flap up to 60 s).
    const samples = await waitFor(async () => {
      const s = await agent.metrics();
      return value(s, 'detector_interval', 'watch') === 1 ? s : null;
    }, 'watch: detector_interval back to 1', 150_000, 500);
    console.log(`density auto: watch's interval ${before} → 1 in ${((Date.now() - started) / 1000).toFixed(1)} s after the load went`);
    expect(samples.filter((s) => s.labels.camera?.startsWith('load-'))).toEqual([]);
    expect(value(samples, 'frames_sent_total', 'watch')).toBeGreaterThan(0);
  }, 180_000);
});
