import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { media, model } from '../helpers/testdata.js';
import { vigilCli } from '../helpers/vigil-cli.js';

/** Bad zones and lines stop the real CLI before anything starts: exit 2, every key path on stderr. */

const dir = mkdtempSync(join(tmpdir(), 'vigil-zones-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FILE = join(dir, 'agent.yaml');
writeFileSync(
  FILE,
  `detector:
  model: ${model('yolox_nano.onnx')}
  labels: ${model('coco80_labels.txt')}
cameras:
  - name: gate
    url: ${media('vtest.avi')}
  - name: plaza
    url: ${media('vtest.avi')}
    zones:
      - name: bench
        polygon: [[0.1, 0.1], [0.9, 0.9], [0.9, 0.1], [0.1, 0.9]]
      - name: bench
        polygon: [[0, 0], [1.2, 0], [1, 1]]
    lines:
      - name: crossing
        points: [[0.3, 0.5], [0.3, 0.5]]
`,
);

const EXPECTED = [
  'cameras.1.zones.0.polygon: self-intersecting: edge 0 (point 0 → point 1) crosses edge 2 (point 2 → point 3)',
  'cameras.1.zones.1.polygon.1.0: a fraction of the frame: 0–1 (got 1.2)',
  'cameras.1.zones.1.name: duplicate zone name "bench" (also zones[0]) (got "bench")',
  'cameras.1.lines.0.points: the two points are the same: a line needs length',
];


describe('vigil with bad zones and lines', () => {
  it.each([
    ['--validate-config', ['--validate-config', FILE]],
    ['run', ['run', '--config', FILE]],
  ])('%s exits 2 naming every bad key', async (_, args) => {
    const { code, stderr } = await vigilCli(args);
    expect(code).toBe(2);
    for (const line of EXPECTED) expect(stderr).toContain(line);
    expect(stderr).toContain('4 config error(s)');
  });
});
