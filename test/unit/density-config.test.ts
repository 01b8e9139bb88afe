import { describe, expect, it } from 'vitest';
import { intervalSetting } from '../../agent/config/density-schema.js';
import { formatIssue, parseConfig } from '../../agent/config/load.js';
import { configIssues } from '../helpers/config-issues.js';

/** Issue 16's keys: the detector interval (top level and per camera) and motion gating; every bad value named by its key path. */

const M = '/work/shared/testdata/models';
const FILE = '/etc/vigil/agent.yaml';

/** `detector` gets `detector` (YAML indented under it), the one camera gets `camera`. */
const config = (detector: string, camera = ''): string => `detector:
  model: ${M}/yolox_nano.onnx
  labels: ${M}/coco80_labels.txt
${detector}cameras:
  - name: gate
    url: rtsp://10.0.0.5:554/stream1
${camera}`;

const printed = (detector: string, camera = ''): string[] => configIssues(config(detector, camera), FILE).map(formatIssue);

describe('density config: valid', () => {
  it('defaults: interval 1, max_interval 5, motion off with its defaults', () => {
    const parsed = parseConfig(config(''), FILE, {});
    expect(parsed.detector).toMatchObject({ interval: 1, max_interval: 5 });
    expect(parsed.cameras[0]!.motion).toEqual({ enabled: false, width: 160, threshold: 25, min_area: 0.002, refresh_seconds: 5, mask: [] });
    expect(intervalSetting(parsed.cameras[0]!, parsed.detector)).toEqual({ interval: 1, maxInterval: 5 });
  });

  it('a camera keeps its own interval; unset keys take the top-level ones', () => {
    const parsed = parseConfig(
      config('  interval: auto\n  max_interval: 8\n', '    detector:\n      interval: 3\n    motion:\n      enabled: true\n      mask:\n        - [[0, 0], [0.3, 0], [0.3, 0.1], [0, 0.1]]\n'),
      FILE,
      {},
    );
    const camera = parsed.cameras[0]!;
    expect(intervalSetting(camera, parsed.detector)).toEqual({ interval: 3, maxInterval: 8 });
    expect(camera.motion.mask).toEqual([[[0, 0], [0.3, 0], [0.3, 0.1], [0, 0.1]]]);
  });
});

describe('density config: each bad value names its key', () => {
  it.each([
    ['0', 'detector.interval: at least 1 (1 runs the detector on every frame) (got 0)'],
    ['-1', 'detector.interval: at least 1 (1 runs the detector on every frame) (got -1)'],
    ['1.5', 'detector.interval: a whole number of frames (1–30) or auto (got 1.5)'],
    ['fast', 'detector.interval: a whole number of frames (1–30) or auto (got "fast")'],
  ])('detector.interval %s', (value, message) => {
    expect(printed(`  interval: ${value}\n`)).toEqual([message]);
  });

  it('a camera interval of 0, and max_interval below 2', () => {
    expect(printed('  max_interval: 1\n', '    detector:\n      interval: 0\n')).toEqual([
      'detector.max_interval: Too small: expected number to be >=2 (got 1)',
      'cameras.0.detector.interval: at least 1 (1 runs the detector on every frame) (got 0)',
    ]);
  });

  it('an unknown key under cameras[].detector', () => {
    expect(printed('', '    detector:\n      intervall: 2\n')).toEqual(['cameras.0.detector.intervall: unknown key']);
  });

  it('a motion mask point outside the frame, each coordinate by its own path', () => {
    expect(printed('', '    motion:\n      enabled: true\n      mask:\n        - [[0.1, 0.1], [1.2, 0.1], [0.5, -0.5]]\n')).toEqual([
      'cameras.0.motion.mask.0.1.0: a fraction of the frame: 0–1 (got 1.2)',
      'cameras.0.motion.mask.0.2.1: a fraction of the frame: 0–1 (got -0.5)',
    ]);
  });

  it('a self-intersecting mask polygon, and one with too few points', () => {
    expect(printed('', '    motion:\n      mask:\n        - [[0.5, 0.5], [0.6, 0.5], [0.6, 0.6]]\n        - [[0, 0], [1, 1], [1, 0], [0, 1]]\n        - [[0, 0], [1, 1]]\n')).toEqual([
      'cameras.0.motion.mask.1: self-intersecting: edge 0 (point 0 → point 1) crosses edge 2 (point 2 → point 3) (got [[0,0],[1,1],[1,0],[0,1]])',
      'cameras.0.motion.mask.2: a mask region needs at least 3 points (got [[0,0],[1,1]])',
    ]);
  });

  it('motion numbers out of range, all at once', () => {
    expect(printed('', '    motion:\n      width: 8\n      threshold: 0\n      min_area: 2\n      refresh_seconds: 0.1\n')).toEqual([
      'cameras.0.motion.width: Too small: expected number to be >=32 (got 8)',
      'cameras.0.motion.threshold: Too small: expected number to be >=1 (got 0)',
      'cameras.0.motion.min_area: Too big: expected number to be <=1 (got 2)',
      'cameras.0.motion.refresh_seconds: at least 0.5 s: detecting that often is no gating at all (got 0.1)',
    ]);
  });
});
