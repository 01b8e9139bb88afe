import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AGENT_MAIN, media, model, REPO_ROOT } from '../helpers/testdata.js';

const run = promisify(execFile);

async function vigil(args: string[], yaml?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = join(mkdtempSync(join(tmpdir(), 'vigil-cli-')), 'agent.yaml');
  if (yaml !== undefined) writeFileSync(file, yaml);
  try {
    const { stdout, stderr } = await run(process.execPath, [AGENT_MAIN, ...args.map((a) => (a === '@' ? file : a))], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const DETECTOR = `detector:\n  model: ${model('yolox_nano.onnx')}\n  labels: ${model('coco80_labels.txt')}\n`;
const CAMERA = `cameras:\n  - name: cam\n    url: ${media('vtest.avi')}\n`;

describe('vigil CLI and config validation', () => {
  it('accepts the demo config', async () => {
    const result = await vigil(['--validate-config', join(REPO_ROOT, 'config/demo.yaml')]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('accepts the documented example config', async () => {
    const result = await vigil(['--validate-config', join(REPO_ROOT, 'config/agent.example.yaml')]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('reports every error at once with its key path and exits 2', async () => {
    const yaml = `${DETECTOR}bogus_key: 1\ncameras:\n  - name: cam\n    queue_capacity: four\n`;
    const { code, stderr } = await vigil(['--validate-config', '@'], yaml);
    expect(code).toBe(2);
    expect(stderr).toContain('bogus_key: unknown key');
    expect(stderr).toContain('cameras.0.queue_capacity: ');
    expect(stderr).toContain('(got "four")');
    expect(stderr).toContain('cameras.0.url: required');
  });

  it('names a model file that does not exist and exits 2 from `run`', async () => {
    const yaml = `detector:\n  model: /nonexistent/yolo.onnx\n  labels: ${model('coco80_labels.txt')}\n${CAMERA}`;
    const { code, stderr } = await vigil(['run', '--config', '@'], yaml);
    expect(code).toBe(2);
    expect(stderr).toContain('detector.model: file not found: /nonexistent/yolo.onnx');
  });

  it('names a model file that is not valid ONNX and exits 2', async () => {
    const notOnnx = model('coco80_labels.txt');
    const yaml = `inference:\n  providers: [cpu]\ndetector:\n  model: ${notOnnx}\n  labels: ${notOnnx}\n${CAMERA}`;
    const { code, stdout } = await vigil(['run', '--config', '@'], yaml);
    expect(code).toBe(2);
    const fatal = stdout.split('\n').find((l) => l.includes('"level":"fatal"'));
    expect(fatal).toContain('AGENT_ERR_MODEL_LOAD');
    expect(fatal).toContain(notOnnx);
  });

  it('prints usage and exits 2 without a command', async () => {
    const { code, stderr } = await vigil([]);
    expect(code).toBe(2);
    expect(stderr).toContain('vigil run --config FILE');
  });
});
