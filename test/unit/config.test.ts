import { describe, expect, it } from 'vitest';
import { ConfigError, formatIssue, parseConfig, type ConfigIssue } from '../../agent/config/load.js';
import { ErrorCode, isConfigError } from '../../agent/errors.js';
import { configIssues } from '../helpers/config-issues.js';

const M = '/work/shared/testdata/models';
const FILE = '/etc/vigil/agent.yaml';

const DETECTOR = `detector:
  model: ${M}/yolox_nano.onnx
  labels: ${M}/coco80_labels.txt
`;
const ONE_CAMERA = `cameras:
  - name: gate
    url: rtsp://10.0.0.5:554/stream1
`;
const MINIMAL = DETECTOR + ONE_CAMERA;

/** Runs parseConfig, expects a ConfigError and returns its issues. */
const issuesOf = (text: string, file = FILE, env: NodeJS.ProcessEnv = {}): readonly ConfigIssue[] => configIssues(text, file, env);

function issueAt(issues: readonly ConfigIssue[], path: string): ConfigIssue {
  const found = issues.find((i) => i.path === path);
  if (!found) throw new Error(`no issue at ${path}; got ${JSON.stringify(issues)}`);
  return found;
}

describe('parseConfig: valid input', () => {
  it('parses a minimal config and fills the defaults', () => {
    const config = parseConfig(MINIMAL, FILE, {});
    expect(config.detector.model).toBe(`${M}/yolox_nano.onnx`);
    expect(config.detector.labels).toBe(`${M}/coco80_labels.txt`);
    expect(config.detector.type).toBe('yolox');
    expect(config.detector.score_threshold).toBe(0.3);
    expect(config.detector.nms_iou_threshold).toBe(0.45);
    expect(config.cameras).toHaveLength(1);
    const cam = config.cameras[0]!;
    expect(cam.name).toBe('gate');
    expect(cam.url).toBe('rtsp://10.0.0.5:554/stream1');
    expect(cam.queue_capacity).toBe(4);
    expect(cam.stall_timeout_seconds).toBe('auto');
    expect(cam.reconnect_probe_seconds).toBe(1);
    expect(cam.enabled).toBe(true);
    expect(cam.file_pace).toBe('realtime');
    expect(cam.reconnect).toEqual({ initial_seconds: 0.5, max_seconds: 30, jitter: 0.2 });
    expect(config.inference.providers).toBe('auto');
    expect(config.inference.restart).toEqual({ initial_seconds: 1, max_seconds: 30, jitter: 0.2 });
    expect(config.http).toEqual({ host: '127.0.0.1', port: 9110, protect_metrics: false, allowed_hosts: [] });
    expect(config.preview).toEqual({ enabled: true, fps: 5, width: 640, jpeg_quality: 70, max_viewers: 8, max_buffered_kib: 512, ping_interval_seconds: 10 });
    expect(config.health).toEqual({ disconnected_seconds: 60, inference_stall_seconds: 10 });
    expect(config.capture).toEqual({ rtsp_transport: 'tcp', rtsp_timeout_seconds: 2, analyze_duration_micros: 200_000, workers: 'auto' });
    expect(config.log.level).toBe('info');
    expect(config.classifier).toBeUndefined();
  });

  it('returns a deeply frozen object', () => {
    const config = parseConfig(MINIMAL, FILE, {});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.cameras)).toBe(true);
    expect(Object.isFrozen(config.cameras[0])).toBe(true);
    expect(Object.isFrozen(config.inference.providers)).toBe(true);
    expect(() => {
      (config.http as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('parses a classifier section with its defaults', () => {
    const text = `${MINIMAL}classifier:
  model: ${M}/mobilenetv2-12-int8.onnx
  labels: ${M}/classification_classes_ILSVRC2012.txt
  apply_to: [dog, cat]
`;
    const config = parseConfig(text, FILE, {});
    expect(config.classifier?.model).toBe(`${M}/mobilenetv2-12-int8.onnx`);
    expect(config.classifier?.apply_to).toEqual(['dog', 'cat']);
    expect(config.classifier?.input_size).toBe(224);
    expect(config.classifier?.crop_margin).toBe(1.1);
    expect(config.classifier?.mean).toEqual([0.485, 0.456, 0.406]);
  });

  it('resolves relative model paths and media paths against the config file folder', () => {
    const text = `detector:
  model: yolox_nano.onnx
  labels: ./coco80_labels.txt
cameras:
  - name: clip
    url: ../media/clip.mp4
  - name: cam
    url: rtsp://10.0.0.5/s
  - name: gst
    url: videotestsrc ! appsink
`;
    const config = parseConfig(text, `${M}/x.yaml`, {});
    expect(config.detector.model).toBe(`${M}/yolox_nano.onnx`);
    expect(config.detector.labels).toBe(`${M}/coco80_labels.txt`);
    expect(config.cameras.map((c) => c.url)).toEqual(['/work/shared/testdata/media/clip.mp4', 'rtsp://10.0.0.5/s', 'videotestsrc ! appsink']);
  });
});

describe('parseConfig: environment substitution', () => {
  it('substitutes ${NAME} from the env argument', () => {
    const text = `detector:
  model: \${VIGIL_TEST_MODEL}
  labels: ${M}/coco80_labels.txt
${ONE_CAMERA}`;
    const config = parseConfig(text, FILE, { VIGIL_TEST_MODEL: `${M}/yolox_nano.onnx` });
    expect(config.detector.model).toBe(`${M}/yolox_nano.onnx`);
  });

  it('uses the default of ${NAME:-default} when the variable is unset or empty, also inside a string', () => {
    const text = `${DETECTOR}device:
  site: \${VIGIL_MISSING_SITE:-lab-3}
cameras:
  - name: gate
    url: rtsp://\${CAM_HOST:-10.0.0.9}:554/s
`;
    const config = parseConfig(text, FILE, { CAM_HOST: '' });
    expect(config.device.site).toBe('lab-3');
    expect(config.cameras[0]!.url).toBe('rtsp://10.0.0.9:554/s');
  });

  it('reports ${NAME} without default and unset, naming the variable and the key path', () => {
    const issues = issuesOf(`${MINIMAL}device:\n  site: \${VIGIL_MISSING}\n`);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toEqual({ path: 'device.site', message: 'environment variable VIGIL_MISSING is not set', value: '${VIGIL_MISSING}' });
    expect(formatIssue(issues[0]!)).toBe('device.site: environment variable VIGIL_MISSING is not set (got "${VIGIL_MISSING}")');
  });

  it('a whole-value reference becomes a number: port: ${PORT} with PORT=9123', () => {
    const config = parseConfig(`${MINIMAL}http:\n  port: \${PORT}\n`, FILE, { PORT: '9123' });
    expect(config.http.port).toBe(9123);
    const fallback = parseConfig(`${MINIMAL}http:\n  port: \${PORT:-9200}\n`, FILE, {});
    expect(fallback.http.port).toBe(9200);
  });
});

describe('parseConfig: errors', () => {
  it('throws a ConfigError with the CONFIG_INVALID code and the file name', () => {
    try {
      parseConfig(DETECTOR, FILE, {});
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).code).toBe(ErrorCode.CONFIG_INVALID);
      expect((err as ConfigError).file).toBe(FILE);
      expect((err as Error).message).toBe(`${FILE}: 1 config error(s)\ncameras: required`);
      expect(isConfigError(err)).toBe(true);
    }
  });

  it('reports an unknown key with its full path', () => {
    const issues = issuesOf(`${MINIMAL}    bogus: 1\n`);
    expect(issues).toEqual([{ path: 'cameras.0.bogus', message: 'unknown key' }]);
  });

  it('reports an unknown top-level key', () => {
    expect(issuesOf(`${MINIMAL}detektor: {}\n`)).toEqual([{ path: 'detektor', message: 'unknown key' }]);
  });

  it('reports each of two unknown keys in one object at its own path', () => {
    const issues = issuesOf(`${MINIMAL}    bogus: 1\n    other: 2\n`);
    expect(issues.map((i) => i.path)).toEqual(['cameras.0.bogus', 'cameras.0.other']);
  });

  it('reports a wrong type with the offending value', () => {
    const issues = issuesOf(`${MINIMAL}    queue_capacity: four\n`);
    expect(issues).toHaveLength(1);
    const issue = issueAt(issues, 'cameras.0.queue_capacity');
    expect(issue.value).toBe('four');
    expect(issue.message).toMatch(/expected number/);
    expect(formatIssue(issue)).toContain('(got "four")');
    expect(formatIssue(issue)).toMatch(/^cameras\.0\.queue_capacity: .*\(got "four"\)$/);
  });

  it('reports an out-of-range value', () => {
    const issue = issueAt(issuesOf(`${MINIMAL}    queue_capacity: 0\n`), 'cameras.0.queue_capacity');
    expect(issue.value).toBe(0);
    expect(formatIssue(issue)).toContain('(got 0)');
  });

  it('reports a missing camera name as required', () => {
    const issues = issuesOf(`${DETECTOR}cameras:\n  - url: rtsp://10.0.0.5/s\n`);
    expect(issues).toEqual([{ path: 'cameras.0.name', message: 'required' }]);
  });

  it('reports a missing camera url at cameras.0.url', () => {
    const issues = issuesOf(`${DETECTOR}cameras:\n  - name: gate\n`);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('cameras.0.url');
    expect(issues[0]!.value).toBeUndefined();
  });

  it("a missing camera url says 'required'", () => {
    const issues = issuesOf(`${DETECTOR}cameras:\n  - name: gate\n`);
    expect(issues).toEqual([{ path: 'cameras.0.url', message: 'required' }]);
  });

  it('reports a model file that does not exist, with the absolute path', () => {
    const text = `detector:\n  model: ${M}/nope.onnx\n  labels: ${M}/coco80_labels.txt\n${ONE_CAMERA}`;
    const issues = issuesOf(text);
    expect(issues).toEqual([{ path: 'detector.model', message: `file not found: ${M}/nope.onnx`, value: `${M}/nope.onnx` }]);
  });

  it('reports a relative model path that does not exist, resolved against the config folder', () => {
    const text = `detector:\n  model: missing.onnx\n  labels: coco80_labels.txt\n${ONE_CAMERA}`;
    const issues = issuesOf(text, `${M}/x.yaml`);
    expect(issues).toEqual([{ path: 'detector.model', message: `file not found: ${M}/missing.onnx`, value: 'missing.onnx' }]);
  });

  it('reports a directory given as a model file', () => {
    const text = `detector:\n  model: ${M}\n  labels: ${M}/coco80_labels.txt\n${ONE_CAMERA}`;
    expect(issuesOf(text)).toEqual([{ path: 'detector.model', message: `not a regular file: ${M}`, value: M }]);
  });

  it('reports several errors at once', () => {
    const text = `${DETECTOR}device:
  site: \${VIGIL_MISSING}
cameras:
  - name: gate
    url: rtsp://10.0.0.5/s
    queue_capacity: four
    bogus: true
  - url: rtsp://10.0.0.6/s
`;
    const issues = issuesOf(text);
    expect(issues.length).toBeGreaterThanOrEqual(4);
    expect(issues.map((i) => i.path).sort()).toEqual(['cameras.0.bogus', 'cameras.0.queue_capacity', 'cameras.1.name', 'device.site']);
  });

  it('rejects duplicate camera names at the second one', () => {
    const text = `${DETECTOR}cameras:
  - name: gate
    url: rtsp://10.0.0.5/s
  - name: yard
    url: rtsp://10.0.0.6/s
  - name: gate
    url: rtsp://10.0.0.7/s
`;
    const issues = issuesOf(text);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('cameras.2.name');
    expect(issues[0]!.message).toBe('duplicate camera name "gate"');
  });

  it('reports invalid YAML with its line', () => {
    const issues = issuesOf('cameras: [1,\n');
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toMatch(/^line \d+$/);
  });

  it('decoder: software and nvv4l2 are for rtsp:// cameras; the default is ffmpeg, codec h264', () => {
    const config = parseConfig(`${MINIMAL}    decoder: nvv4l2\n    codec: h265\n`, FILE, {});
    expect(config.cameras[0]).toMatchObject({ decoder: 'nvv4l2', codec: 'h265' });
    expect(parseConfig(MINIMAL, FILE, {}).cameras[0]).toMatchObject({ decoder: 'ffmpeg', codec: 'h264' });
    const issues = issuesOf(`${DETECTOR}cameras:\n  - name: gate\n    url: [rtsp://10.0.0.5/s, /videos/a.mp4]\n    decoder: software\n`);
    expect(issues).toMatchObject([{ path: 'cameras.0.decoder', message: 'software builds an RTSP pipeline: every url must be rtsp://' }]);
  });

  it('durations have floors that say why: a 1 ms stall timeout or stuck timeout would be a restart loop', () => {
    const stall = issueAt(issuesOf(`${MINIMAL}    stall_timeout_seconds: 0.001\n`), 'cameras.0.stall_timeout_seconds');
    expect(stall.message).toMatch(/^at least 1 s: /);
    const stuck = issueAt(issuesOf(`${MINIMAL}inference:\n  stuck_timeout_seconds: 0.001\n`), 'inference.stuck_timeout_seconds');
    expect(stuck.message).toMatch(/^at least 1 s: a normal inference run must fit/);
    const backoff = issueAt(issuesOf(`${MINIMAL}    reconnect: { initial_seconds: 10, max_seconds: 2 }\n`), 'cameras.0.reconnect.max_seconds');
    expect(backoff.message).toBe('max_seconds must be at least initial_seconds');
  });

  it('rejects an empty camera list', () => {
    expect(issueAt(issuesOf(`${DETECTOR}cameras: []\n`), 'cameras').message).toMatch(/>=1|at least|too small/i);
  });
});

describe('formatIssue', () => {
  it('writes path: message, with (got value) only when a value is present', () => {
    expect(formatIssue({ path: 'a.b', message: 'required' })).toBe('a.b: required');
    expect(formatIssue({ path: 'a.b', message: 'bad', value: 'x' })).toBe('a.b: bad (got "x")');
    expect(formatIssue({ path: 'a', message: 'bad', value: 12 })).toBe('a: bad (got 12)');
    expect(formatIssue({ path: 'a', message: 'bad', value: [1, 2] })).toBe('a: bad (got [1,2])');
    expect(formatIssue({ path: 'a', message: 'bad', value: null })).toBe('a: bad (got null)');
  });

  it('names an empty path <root>', () => {
    expect(formatIssue({ path: '', message: 'expected object' })).toBe('<root>: expected object');
  });

  it('shortens long values to 80 characters', () => {
    const text = formatIssue({ path: 'p', message: 'm', value: 'x'.repeat(200) });
    const got = text.slice('p: m (got '.length, -1);
    expect(got).toHaveLength(80);
    expect(got.endsWith('...')).toBe(true);
  });
});
