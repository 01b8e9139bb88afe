import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { autoProviders, resolveProviders } from '../../agent/inference/sessions.js';

// What onnxruntime-node 1.30's npm build reports on linux/x64 (listSupportedBackends()).
const NPM_X64 = [
  { name: 'cpu', bundled: true },
  { name: 'webgpu', bundled: true },
  { name: 'cuda', bundled: false },
  { name: 'tensorrt', bundled: false },
];

describe('inference.providers: auto', () => {
  it('keeps cpu alone on the npm build without the CUDA download', () => {
    expect(autoProviders(NPM_X64, () => false)).toEqual(['cpu']);
  });

  it('adds an unbundled provider once its library is beside the binding, in vigil order', () => {
    expect(autoProviders(NPM_X64, (p) => p === 'cuda')).toEqual(['cuda', 'cpu']);
    expect(autoProviders(NPM_X64, () => true)).toEqual(['tensorrt', 'cuda', 'cpu']);
  });

  it('takes bundled providers as they are and ignores ones vigil does not use', () => {
    const jetson = [
      { name: 'tensorrt', bundled: true },
      { name: 'cuda', bundled: true },
      { name: 'cpu', bundled: true },
      { name: 'dml', bundled: true },
    ];
    expect(autoProviders(jetson, () => false)).toEqual(['tensorrt', 'cuda', 'cpu']);
  });

  it('never drops cpu, even from a binding that does not list it', () => {
    expect(autoProviders([{ name: 'cuda', bundled: true }], () => false)).toEqual(['cuda', 'cpu']);
  });

  it('resolves against the installed binding, and leaves an explicit list alone', () => {
    // setup.sh skips the CUDA download: without it, only cpu.
    const binding = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
    const downloaded = existsSync(join(binding, 'libonnxruntime_providers_cuda.so'));
    if (!downloaded) expect(resolveProviders({ providers: 'auto' })).toEqual(['cpu']);
    expect(resolveProviders({ providers: 'auto' }).at(-1)).toBe('cpu');
    expect(resolveProviders({ providers: ['tensorrt', 'cuda', 'cpu'] })).toEqual(['tensorrt', 'cuda', 'cpu']);
  });
});
