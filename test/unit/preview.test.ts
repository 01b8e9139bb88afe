import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { CvBinding, CvMat } from '../../agent/capture/opencv-binding.js';
import { PreviewEncoder } from '../../agent/capture/preview-encoder.js';
import { deviceHostNames, knownHost, presentedToken, sameOrigin, tokenMatches } from '../../agent/http/access.js';
import type { FrameResult } from '../../agent/core/frame.js';
import type { SceneUpdate } from '../../agent/core/scene.js';
import { frameHeader, frameMessage, parseFrameMessage } from '../../agent/preview/frame-message.js';
import { PreviewStats } from '../../agent/preview/preview-stats.js';
import { cameraLayout } from '../../agent/preview/scene-layout.js';

const request = (url: string, headers: Record<string, string> = {}): IncomingMessage => ({ url, headers }) as unknown as IncomingMessage;

describe('access', () => {
  it('takes the token from Authorization, then ?token=, then the cookie', () => {
    expect(presentedToken(request('/ws?token=q', { authorization: 'Bearer h', cookie: 'vigil_token=c' }))).toBe('h');
    expect(presentedToken(request('/ws?token=q', { cookie: 'vigil_token=c' }))).toBe('q');
    expect(presentedToken(request('/ws', { cookie: 'a=1; vigil_token=c%3Dd; b=2' }))).toBe('c=d');
    expect(presentedToken(request('/ws'))).toBeUndefined();
  });

  it('compares tokens exactly', () => {
    expect(tokenMatches('s3cret-token', 's3cret-token')).toBe(true);
    expect(tokenMatches('s3cret-toke', 's3cret-token')).toBe(false);
    expect(tokenMatches(undefined, 's3cret-token')).toBe(false);
  });

  it('accepts no Origin or the same host, refuses another site', () => {
    expect(sameOrigin(request('/ws', { host: '10.0.0.5:9110' }))).toBe(true);
    expect(sameOrigin(request('/ws', { host: '10.0.0.5:9110', origin: 'http://10.0.0.5:9110' }))).toBe(true);
    expect(sameOrigin(request('/ws', { host: '10.0.0.5:9110', origin: 'http://evil.example' }))).toBe(false);
    expect(sameOrigin(request('/ws', { host: '10.0.0.5:9110', origin: 'http://10.0.0.5:9111' }))).toBe(false);
    expect(sameOrigin(request('/ws', { host: '10.0.0.5:9110', origin: 'null' }))).toBe(false);
  });
});

describe('knownHost', () => {
  const names = deviceHostNames('0.0.0.0', ['camera-box.lan']);

  it('knows loopback, the extra names and this machine’s addresses, with or without a port', () => {
    for (const host of ['localhost:9110', '127.0.0.1', '[::1]:9110', 'CAMERA-BOX.lan:80']) expect(knownHost(request('/', { host }), names), host).toBe(true);
  });

  it('refuses another name, a missing Host and the wildcard bind address', () => {
    for (const host of ['evil.example:9110', '0.0.0.0:9110', '']) expect(knownHost(request('/', { host }), names), host).toBe(false);
    expect(knownHost(request('/'), names)).toBe(false);
  });

  it('adds a specific bind address', () => {
    expect(knownHost(request('/', { host: '192.0.2.7:9110' }), deviceHostNames('192.0.2.7', []))).toBe(true);
  });
});

describe('frameMessage', () => {
  it('round-trips header and JPEG bytes', () => {
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 1, 2, 3]).buffer;
    const header = { camera: 'gate', seq: 7, captured_at: 1.5, width: 768, height: 576, jpeg_width: 640, jpeg_height: 480, objects: [], latency_ms: 20 };
    const message = frameMessage(header, { jpeg, width: 640, height: 480 });
    expect(message.readUInt32BE(0)).toBe(Buffer.byteLength(JSON.stringify(header)));
    const parsed = parseFrameMessage(message);
    expect(parsed.header).toEqual(header);
    expect([...parsed.jpeg]).toEqual([0xff, 0xd8, 0xff, 1, 2, 3]);
  });
});

describe('frameHeader', () => {
  const capturedAt = performance.timeOrigin + 1000;
  /** A processed 768×576 frame with a tracked person and a person not (yet) in a confirmed track, finished 42 ms after capture. */
  const result = (scene?: SceneUpdate): FrameResult => ({
    frame: { meta: { camera: 'gate', seq: 12, capturedAt, videoIndex: 0, width: 768, height: 576 }, data: new ArrayBuffer(0) },
    objects: [
      { label: 'person', score: 0.87654, box: [10.04, 20.06, 110, 320], class: null, trackId: 12 },
      { label: 'person', score: 0.41, box: [400, 100, 450, 250], class: null },
    ],
    timings: { detectSeconds: 0.02, batchFrames: 1, wide: false, classifySeconds: 0, classifiedObjects: 0 },
    dequeuedAt: 1010,
    completedAt: 1042,
    ...(scene && { scene }),
  });
  const counts = { zones: { counter: { person: 2, car: 1 } }, lines: { door: { in: { person: 5 }, out: { person: 3 } } } };
  const scene: SceneUpdate = {
    tracks: [],
    tracksActive: 4,
    confirmed: [],
    zoneEntries: [],
    zoneExits: [],
    lineCrossings: [],
    events: [],
    counts,
    countsChanged: false,
  };

  it('gives each object its track id (null when it has none) beside the shared object JSON', () => {
    const header = frameHeader(result(), { width: 640, height: 480 });
    expect(header).toEqual({
      camera: 'gate',
      seq: 12,
      captured_at: capturedAt,
      width: 768,
      height: 576,
      jpeg_width: 640,
      jpeg_height: 480,
      objects: [
        { label: 'person', score: 0.8765, box: [10, 20.1, 110, 320], class: null, track_id: 12 },
        { label: 'person', score: 0.41, box: [400, 100, 450, 250], class: null, track_id: null },
      ],
      latency_ms: 42,
    });
    // An untracked camera sends no counts at all, not empty ones.
    expect('counts' in header || 'tracks_active' in header).toBe(false);
  });

  it('adds the counts and the active tracks of a tracked camera, and they survive the binary message', () => {
    const header = frameHeader(result(scene), { width: 640, height: 480 });
    expect(header.counts).toEqual(counts);
    expect(header.tracks_active).toBe(4);
    const parsed = parseFrameMessage(frameMessage(header, { jpeg: new Uint8Array([0xff, 0xd8]).buffer, width: 640, height: 480 }));
    expect(parsed.header.counts?.lines.door?.in?.person).toBe(5);
    expect(parsed.header.objects.map((o) => o.track_id)).toEqual([12, null]);
  });
});

describe('cameraLayout', () => {
  it('keeps a camera without zones or lines as the bare name the hello always sent', () => {
    expect(cameraLayout({ name: 'gate' })).toEqual({ name: 'gate' });
    expect(JSON.stringify(cameraLayout({ name: 'gate', zones: [], lines: [] }))).toBe('{"name":"gate"}');
  });

  it('sends zones and lines in frame fractions with their direction names, and nothing else of the config', () => {
    const config = {
      name: 'shop',
      url: 'rtsp://admin:s3cret@10.0.0.9/stream',
      zones: [{ name: 'counter', polygon: [[0.1, 0.5], [0.4, 0.5], [0.4, 0.9]], labels: ['person'], inertia: 3 }],
      lines: [
        { name: 'door', points: [[0.2, 0.3], [0.8, 0.3]], directions: ['enter', 'leave'], hysteresis: 0.01 },
        { name: 'gate', points: [[0, 0.6], [1, 0.6]] },
      ],
    };
    const layout = cameraLayout(config);
    expect(layout).toEqual({
      name: 'shop',
      zones: [{ name: 'counter', polygon: [[0.1, 0.5], [0.4, 0.5], [0.4, 0.9]] }],
      lines: [
        { name: 'door', points: [[0.2, 0.3], [0.8, 0.3]], directions: ['enter', 'leave'] },
        { name: 'gate', points: [[0, 0.6], [1, 0.6]], directions: ['in', 'out'] },
      ],
    });
    expect(JSON.stringify(layout)).not.toContain('s3cret');
  });
});

describe('PreviewStats', () => {
  it('gives processed fps, the last box count and p95 latency over the last 10 s', () => {
    const stats = new PreviewStats();
    for (let i = 0; i < 100; i++) stats.record('gate', i * 100, i < 95 ? 20 : 80, i % 7);
    // 100 frames in the 9.9 s since the first → 10.1/s; 5 % of them at 80 ms → p95 is the last 20 ms one
    expect(stats.numbers('gate', 9900)).toEqual({ fps: 10.1, box_count: 99 % 7, latency_p95_ms: 20 });
    expect(stats.numbers('gate', 30_000)).toEqual({ fps: 0, box_count: 99 % 7, latency_p95_ms: null });
    expect(stats.numbers('other', 0)).toEqual({ fps: 0, box_count: 0, latency_p95_ms: null });
  });
});

describe('PreviewEncoder', () => {
  /** A stand-in binding whose encoder returns a 3-byte "JPEG"; `resized` collects the frame's resizes. */
  function fakeCv(): { cv: CvBinding; resized: [number, number][] } {
    const resized: [number, number][] = [];
    const cv = { INTER_AREA: 3, IMWRITE_JPEG_QUALITY: 1, imencode: () => Buffer.from([0xff, 0xd8, 0xff]) } as unknown as CvBinding;
    return { cv, resized };
  }

  it('encodes only while configured, at most at the asked rate with 10 % slack for frame jitter, downscaled, never upscaled', () => {
    const { cv, resized } = fakeCv();
    const encoder = new PreviewEncoder(cv);
    const frame = { rows: 576, cols: 768, channels: 3, resize: (r: number, c: number) => (resized.push([r, c]), frame), release: () => undefined } as unknown as CvMat;
    expect(encoder.maybeEncode(frame, 0)).toBeUndefined();
    encoder.configure({ everyMs: 200, width: 640, quality: 70 });
    // A 10 fps camera with ±2 ms jitter: every other frame, 5 a second.
    const times = Array.from({ length: 50 }, (_, i) => i * 100 + (i % 2 ? 2 : -2));
    const encoded = times.filter((t) => encoder.maybeEncode(frame, t));
    expect(encoded.length).toBe(25);
    expect(resized[0]).toEqual([480, 640]);
    encoder.configure({ everyMs: 200, width: 1920, quality: 70 });
    expect(encoder.maybeEncode(frame, 10_000)).toMatchObject({ width: 768, height: 576 });
    encoder.configure(null);
    expect(encoder.maybeEncode(frame, 20_000)).toBeUndefined();
  });
});
