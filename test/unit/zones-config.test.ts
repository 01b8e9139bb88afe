import { describe, expect, it } from 'vitest';
import { formatIssue, parseConfig, type ConfigIssue } from '../../agent/config/load.js';
import { configIssues } from '../helpers/config-issues.js';

const M = '/work/shared/testdata/models';
const FILE = '/etc/vigil/agent.yaml';
const DETECTOR = `detector:\n  model: ${M}/yolox_nano.onnx\n  labels: ${M}/coco80_labels.txt\n`;

/** Two cameras; the second gets `extra` (YAML indented under the camera). */
const config = (extra: string): string => `${DETECTOR}cameras:
  - name: gate
    url: rtsp://10.0.0.5:554/stream1
  - name: shop
    url: rtsp://10.0.0.6:554/stream1
${extra}`;

const printed = (extra: string): string[] => configIssues(config(extra), FILE).map(formatIssue);

describe('zones and lines config: valid', () => {
  it('fills the defaults', () => {
    const parsed = parseConfig(
      config(`    zones:
      - name: counter
        polygon: [[0.1, 0.5], [0.5, 0.5], [0.5, 1], [0.1, 1]]
    lines:
      - name: door
        points: [[0, 0.6], [1, 0.6]]
`),
      FILE,
      {},
    );
    const shop = parsed.cameras[1]!;
    expect(shop.anchor).toBe('bottom_center');
    expect(shop.zones).toEqual([{ name: 'counter', polygon: [[0.1, 0.5], [0.5, 0.5], [0.5, 1], [0.1, 1]], labels: [], inertia: 3 }]);
    expect(shop.lines).toEqual([{ name: 'door', points: [[0, 0.6], [1, 0.6]], directions: ['in', 'out'], labels: [], hysteresis: 0.02 }]);
    expect(parsed.cameras[0]!.zones).toEqual([]);
    expect(parsed.cameras[0]!.lines).toEqual([]);
  });

  it('takes a label filter, direction names and another anchor', () => {
    const shop = parseConfig(
      config(`    anchor: center
    lines:
      - name: gate
        points: [[0.5, 0], [0.5, 1]]
        directions: [eastbound, westbound]
        labels: [car, truck]
        hysteresis: 0
`),
      FILE,
      {},
    ).cameras[1]!;
    expect(shop.anchor).toBe('center');
    expect(shop.lines[0]).toMatchObject({ directions: ['eastbound', 'westbound'], labels: ['car', 'truck'], hysteresis: 0 });
  });
});

describe('zones and lines config: each bad input names its key', () => {
  it('a self-intersecting polygon', () => {
    expect(printed(`    zones:\n      - name: bowtie\n        polygon: [[0, 0], [1, 1], [1, 0], [0, 1]]\n`)).toEqual([
      'cameras.1.zones.0.polygon: self-intersecting: edge 0 (point 0 → point 1) crosses edge 2 (point 2 → point 3) (got [[0,0],[1,1],[1,0],[0,1]])',
    ]);
  });

  it('a polygon with fewer than 3 points', () => {
    expect(printed(`    zones:\n      - name: thin\n        polygon: [[0, 0], [1, 1]]\n`)).toEqual([
      'cameras.1.zones.0.polygon: a zone needs at least 3 points (got [[0,0],[1,1]])',
    ]);
  });

  it('a line of zero length', () => {
    expect(printed(`    lines:\n      - name: dot\n        points: [[0.5, 0.5], [0.5, 0.5]]\n`)).toEqual([
      'cameras.1.lines.0.points: the two points are the same: a line needs length (got [[0.5,0.5],[0.5,0.5]])',
    ]);
  });

  it('coordinates outside 0-1, each by its own path', () => {
    const issues = configIssues(
      config(`    zones:\n      - name: big\n        polygon: [[0, 0], [1.5, 0], [1, -0.2]]\n    lines:\n      - name: wide\n        points: [[0, 0.5], [640, 0.5]]\n`),
      FILE,
    );
    expect(issues.map((i) => [i.path, i.message, i.value])).toEqual([
      ['cameras.1.zones.0.polygon.1.0', 'a fraction of the frame: 0–1', 1.5],
      ['cameras.1.zones.0.polygon.2.1', 'a fraction of the frame: 0–1', -0.2],
      ['cameras.1.lines.0.points.1.0', 'a fraction of the frame: 0–1', 640],
    ]);
  });

  it('duplicate zone and line names within a camera (the same name in another camera is fine)', () => {
    const zone = `      - name: counter\n        polygon: [[0, 0], [1, 0], [1, 1]]\n`;
    const line = `      - name: door\n        points: [[0, 0.5], [1, 0.5]]\n`;
    expect(printed(`    zones:\n${zone}${zone}    lines:\n${line}${line}${line}`)).toEqual([
      'cameras.1.zones.1.name: duplicate zone name "counter" (also zones[0]) (got "counter")',
      'cameras.1.lines.1.name: duplicate line name "door" (also lines[0]) (got "door")',
      'cameras.1.lines.2.name: duplicate line name "door" (also lines[0]) (got "door")',
    ]);
    const twoCameras = `${DETECTOR}cameras:\n  - name: a\n    url: x.mp4\n    zones:\n${zone}  - name: b\n    url: y.mp4\n    zones:\n${zone}`;
    expect(parseConfig(twoCameras, FILE, {}).cameras.map((c) => c.zones[0]?.name)).toEqual(['counter', 'counter']);
  });

  it('an inertia below 1, an unknown anchor, equal direction names, a bad name and an unknown key, all at once', () => {
    const issues: readonly ConfigIssue[] = configIssues(
      config(`    anchor: feet
    zones:
      - name: counter
        polygon: [[0, 0], [1, 0], [1, 1]]
        inertia: 0
      - name: "no spaces"
        polygon: [[0, 0], [1, 0], [1, 1]]
        colour: red
    lines:
      - name: door
        points: [[0, 0.5], [1, 0.5]]
        directions: [in, in]
`),
      FILE,
    );
    expect(issues.map((i) => i.path).sort()).toEqual([
      'cameras.1.anchor',
      'cameras.1.lines.0.directions',
      'cameras.1.zones.0.inertia',
      'cameras.1.zones.1.colour',
      'cameras.1.zones.1.name',
    ]);
    expect(issues.find((i) => i.path === 'cameras.1.zones.0.inertia')).toMatchObject({ message: 'at least 1 frame', value: 0 });
    expect(issues.find((i) => i.path === 'cameras.1.lines.0.directions')?.message).toBe('the two directions need different names');
  });
});

describe('zones and lines config: label filters', () => {
  it('names a filter label the detector drops (detector.classes), which would never count', () => {
    const text = config(`    zones:\n      - name: counter\n        polygon: [[0, 0], [1, 0], [1, 1]]\n        labels: [person, preson]\n`).replace(
      'labels: /work',
      'classes: [person, car]\n  labels: /work',
    );
    expect(configIssues(text, FILE).map(formatIssue)).toEqual(['cameras.1.zones.0.labels.1: not in detector.classes, so never counted (got "preson")']);
  });

  it('takes any label when the detector keeps every class', () => {
    expect(parseConfig(config(`    lines:\n      - name: door\n        points: [[0, 0.5], [1, 0.5]]\n        labels: [preson]\n`), FILE, {}).cameras[1]!.lines[0]!.labels).toEqual(['preson']);
  });
});
