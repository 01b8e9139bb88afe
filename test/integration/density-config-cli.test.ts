import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { media, model } from '../helpers/testdata.js';
import { vigilCli } from '../helpers/vigil-cli.js';

/** Bad detector intervals and motion masks (issue 16) stop the real CLI before anything starts: exit 2, every key path on stderr. */

const dir = mkdtempSync(join(tmpdir(), 'vigil-density-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FILE = join(dir, 'agent.yaml');
writeFileSync(
  FILE,
  `detector:
  model: ${model('yolox_nano.onnx')}
  labels: ${model('coco80_labels.txt')}
  interval: 1.5
cameras:
  - name: gate
    url: ${media('vtest.avi')}
    detector:
      interval: 0
  - name: plaza
    url: ${media('vtest.avi')}
    detector:
      interval: -1
    motion:
      enabled: true
      mask:
        - [[0, 0], [1.2, 0], [1, 1]]
        - [[0.1, 0.1], [0.9, 0.9], [0.9, 0.1], [0.1, 0.9]]
`,
);

const EXPECTED = [
  'detector.interval: a whole number of frames (1–30) or auto (got 1.5)',
  'cameras.0.detector.interval: at least 1 (1 runs the detector on every frame) (got 0)',
  'cameras.1.detector.interval: at least 1 (1 runs the detector on every frame) (got -1)',
  'cameras.1.motion.mask.0.1.0: a fraction of the frame: 0–1 (got 1.2)',
  'cameras.1.motion.mask.1: self-intersecting: edge 0 (point 0 → point 1) crosses edge 2 (point 2 → point 3)',
];


describe('vigil with bad detector intervals and motion masks', () => {
  it.each([
    ['--validate-config', ['--validate-config', FILE]],
    ['run', ['run', '--config', FILE]],
  ])('%s exits 2 naming every bad key', async (_, args) => {
    const { code, stderr } = await vigilCli(args);
    expect(code).toBe(2);
    for (const line of EXPECTED) expect(stderr).toContain(line);
    expect(stderr).toContain(`${EXPECTED.length} config error(s)`);
  });
});
