import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configSchema, type InferenceConfig } from '../../agent/config/schema.js';
import { batchProfileFor, tensorrtCacheDir, tensorrtProfileShapes, tensorrtProviderConfig } from '../../agent/inference/sessions.js';
import { model } from '../helpers/testdata.js';

const REQUIRED = { detector: { model: 'm.onnx', labels: 'l.txt' }, cameras: [{ name: 'gate', url: 'rtsp://10.0.0.5/s' }] };
const PATCH = resolve(fileURLToPath(new URL('../..', import.meta.url)), 'native/jetson/onnxruntime-node-trt-options.patch');

function inference(section: Record<string, unknown> = {}): InferenceConfig {
  return configSchema.parse({ ...REQUIRED, inference: section }).inference;
}

describe('inference.tensorrt schema', () => {
  it('defaults to FP16 with both caches on and no workspace limit', () => {
    expect(inference().tensorrt).toEqual({ fp16: true, engine_cache: true, timing_cache: true });
  });

  it('rejects unknown keys and a workspace limit that is not a positive integer', () => {
    expect(configSchema.safeParse({ ...REQUIRED, inference: { tensorrt: { int8: true } } }).success).toBe(false);
    expect(configSchema.safeParse({ ...REQUIRED, inference: { tensorrt: { max_workspace_bytes: 0 } } }).success).toBe(false);
    expect(configSchema.safeParse({ ...REQUIRED, inference: { tensorrt: { max_workspace_bytes: 1.5 } } }).success).toBe(false);
    expect(configSchema.safeParse({ ...REQUIRED, inference: { tensorrt: { fp16: 'yes' } } }).success).toBe(false);
  });
});

describe('tensorrtProviderConfig', () => {
  it('puts both caches in <cache_dir>/tensorrt and keeps deviceId', () => {
    expect(tensorrtProviderConfig(inference({ device_id: 1 }), '/var/cache/vigil')).toEqual({
      name: 'tensorrt',
      deviceId: 1,
      fp16: true,
      engineCacheEnable: true,
      engineCachePath: '/var/cache/vigil/tensorrt',
      timingCacheEnable: true,
      timingCachePath: '/var/cache/vigil/tensorrt',
    });
  });

  it('caches nothing without a cache_dir, whatever the switches say', () => {
    const trt = tensorrtProviderConfig(inference(), undefined);
    expect(trt).toEqual({ name: 'tensorrt', deviceId: 0, fp16: true, engineCacheEnable: false, timingCacheEnable: false });
    expect(trt).not.toHaveProperty('engineCachePath');
    expect(trt).not.toHaveProperty('timingCachePath');
    expect(tensorrtCacheDir(undefined)).toBeUndefined();
  });

  it('follows each switch on its own', () => {
    const timingOnly = tensorrtProviderConfig(inference({ tensorrt: { engine_cache: false, fp16: false } }), '/c');
    expect(timingOnly).toEqual({ name: 'tensorrt', deviceId: 0, fp16: false, engineCacheEnable: false, timingCacheEnable: true, timingCachePath: '/c/tensorrt' });
    const engineOnly = tensorrtProviderConfig(inference({ tensorrt: { timing_cache: false } }), '/c');
    expect(engineOnly).toEqual({ name: 'tensorrt', deviceId: 0, fp16: true, engineCacheEnable: true, engineCachePath: '/c/tensorrt', timingCacheEnable: false });
  });

  it('passes the workspace limit in bytes', () => {
    expect(tensorrtProviderConfig(inference({ tensorrt: { max_workspace_bytes: 2 ** 31 } }), undefined).maxWorkspaceSize).toBe(2147483648);
  });

  it('gives a dynamic-batch model one optimisation profile from batch 1 to the largest it will run', () => {
    const profile = { input: 'images', frameDims: [3, 416, 416], maxBatch: 4 };
    expect(tensorrtProfileShapes(profile)).toEqual({
      profileMinShapes: 'images:1x3x416x416',
      profileOptShapes: 'images:4x3x416x416',
      profileMaxShapes: 'images:4x3x416x416',
    });
    expect(tensorrtProviderConfig(inference(), undefined, profile)).toMatchObject({ profileMaxShapes: 'images:4x3x416x416' });
    expect(tensorrtProviderConfig(inference(), undefined)).not.toHaveProperty('profileMinShapes');
  });

  it('reads the profile from the model file: a dynamic batch gets one, a fixed batch or a non-model none', () => {
    expect(batchProfileFor(model('mobilenetv2-12-int8.onnx'), 32)).toEqual({ input: 'input', frameDims: [3, 224, 224], maxBatch: 32 });
    expect(batchProfileFor(model('yolox_nano.onnx'), 4)).toBeNull();
    expect(batchProfileFor(PATCH, 4)).toBeNull();
  });

  it('uses only keys that the Jetson binding patch reads, each mapped to its TensorRT provider option', () => {
    const patch = readFileSync(PATCH, 'utf8');
    const profile = { input: 'images', frameDims: [3, 416, 416], maxBatch: 4 };
    const all = tensorrtProviderConfig(inference({ tensorrt: { max_workspace_bytes: 1 << 30 } }), '/c', profile);
    const ortName: Record<string, string> = {
      fp16: 'trt_fp16_enable',
      engineCacheEnable: 'trt_engine_cache_enable',
      engineCachePath: 'trt_engine_cache_path',
      timingCacheEnable: 'trt_timing_cache_enable',
      timingCachePath: 'trt_timing_cache_path',
      maxWorkspaceSize: 'trt_max_workspace_size',
      profileMinShapes: 'trt_profile_min_shapes',
      profileOptShapes: 'trt_profile_opt_shapes',
      profileMaxShapes: 'trt_profile_max_shapes',
    };
    const extraKeys = Object.keys(all).filter((k) => k !== 'name' && k !== 'deviceId');
    expect(extraKeys.sort()).toEqual(Object.keys(ortName).sort());
    for (const key of extraKeys) {
      // The patch maps them in lines like: +  flag("fp16", "trt_fp16_enable");
      expect(patch).toMatch(new RegExp(`^\\+.*\\("${key}", "${ortName[key]}"\\)`, 'm'));
    }
  });
});
