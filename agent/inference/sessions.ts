import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { PROVIDERS } from '../config/inference-schema.js';
import type { InferenceConfig, Provider } from '../config/schema.js';
import { errorMessage, ErrorCode, VigilError } from '../errors.js';
import { graphInputs } from '../model-tools/onnx-inputs.js';

export interface LoadedSession {
  readonly session: ort.InferenceSession;
  readonly provider: Provider;
  /** One line per provider that was tried and failed, for the log. */
  readonly fallbacks: readonly string[];
}

/**
 * The TensorRT provider object handed to ONNX Runtime. The npm binding reads
 * `name` and `deviceId` only and ignores the rest; the Jetson build's patched
 * binding (native/jetson/onnxruntime-node-trt-options.patch) maps each key to
 * the provider option named beside it.
 */
export interface TensorRtProviderConfig extends ort.InferenceSession.ExecutionProviderOption {
  readonly name: 'tensorrt';
  readonly deviceId: number;
  /** trt_fp16_enable */
  readonly fp16: boolean;
  /** trt_engine_cache_enable */
  readonly engineCacheEnable: boolean;
  /** trt_engine_cache_path, present when engineCacheEnable */
  readonly engineCachePath?: string;
  /** trt_timing_cache_enable */
  readonly timingCacheEnable: boolean;
  /** trt_timing_cache_path, present when timingCacheEnable */
  readonly timingCachePath?: string;
  /** trt_max_workspace_size, bytes; absent keeps ONNX Runtime's default */
  readonly maxWorkspaceSize?: number;
  /** trt_profile_min_shapes / _opt_ / _max_, present for a model with a dynamic batch (see BatchProfile) */
  readonly profileMinShapes?: string;
  readonly profileOptShapes?: string;
  readonly profileMaxShapes?: string;
}

/**
 * A model input whose batch dimension is dynamic and the largest batch vigil
 * will run. Without explicit optimisation profiles TensorRT builds an engine
 * for the first batch size it sees and rebuilds it (minutes on a Jetson,
 * inference blocked) each time a larger one arrives; with them it builds one
 * engine for 1..maxBatch, once, and caches it.
 */
export interface BatchProfile {
  readonly input: string;
  /** The input's dimensions after the batch, all fixed. */
  readonly frameDims: readonly number[];
  readonly maxBatch: number;
}

/** `name:1x3x416x416`-style shape strings for TensorRT's optimisation profile, tuned for the largest batch. */
export function tensorrtProfileShapes({ input, frameDims, maxBatch }: BatchProfile): Pick<TensorRtProviderConfig, 'profileMinShapes' | 'profileOptShapes' | 'profileMaxShapes'> {
  const shape = (batch: number): string => `${input}:${[batch, ...frameDims].join('x')}`;
  return { profileMinShapes: shape(1), profileOptShapes: shape(maxBatch), profileMaxShapes: shape(maxBatch) };
}

/** The profile for a model file whose first input has a dynamic batch and fixed other dimensions; null otherwise. */
export function batchProfileFor(modelPath: string, maxBatch: number): BatchProfile | null {
  let inputs;
  try {
    inputs = graphInputs(readFileSync(modelPath));
  } catch {
    return null; // not readable as ONNX: loading it reports that properly
  }
  const [first] = inputs;
  if (!first || typeof first.dims[0] !== 'string') return null;
  const frameDims = first.dims.slice(1);
  if (!frameDims.every((d): d is number => typeof d === 'number')) return null;
  return { input: first.name, frameDims, maxBatch };
}

/** Where TensorRT engines and the timing cache live: `<cache_dir>/tensorrt`, or nowhere without a cache_dir. */
export function tensorrtCacheDir(cacheDir: string | undefined): string | undefined {
  return cacheDir === undefined ? undefined : join(cacheDir, 'tensorrt');
}

/** Maps `inference.tensorrt` and `cache_dir` to the TensorRT provider object (pure: no file system). */
export function tensorrtProviderConfig(config: InferenceConfig, cacheDir: string | undefined, profile: BatchProfile | null = null): TensorRtProviderConfig {
  const dir = tensorrtCacheDir(cacheDir);
  const engineCache = config.tensorrt.engine_cache && dir !== undefined;
  const timingCache = config.tensorrt.timing_cache && dir !== undefined;
  return {
    name: 'tensorrt',
    deviceId: config.device_id,
    fp16: config.tensorrt.fp16,
    engineCacheEnable: engineCache,
    ...(engineCache ? { engineCachePath: dir } : {}),
    timingCacheEnable: timingCache,
    ...(timingCache ? { timingCachePath: dir } : {}),
    ...(config.tensorrt.max_workspace_bytes !== undefined ? { maxWorkspaceSize: config.tensorrt.max_workspace_bytes } : {}),
    ...(profile ? tensorrtProfileShapes(profile) : {}),
  };
}

/**
 * The npm build binds only `deviceId` for CUDA and TensorRT; the TensorRT
 * options (FP16, engine and timing caches) need the Jetson build
 * (native/jetson/README.md).
 */
function providerOption(provider: Provider, config: InferenceConfig, cacheDir: string | undefined, profile: () => BatchProfile | null): ort.InferenceSession.ExecutionProviderConfig {
  switch (provider) {
    case 'tensorrt': {
      const trt = tensorrtProviderConfig(config, cacheDir, profile());
      // Created here, not by ONNX Runtime: a folder it cannot create fails the
      // provider with a message that names the folder.
      for (const dir of new Set([trt.engineCachePath, trt.timingCachePath])) {
        if (dir === undefined) continue;
        try {
          mkdirSync(dir, { recursive: true });
        } catch (err) {
          throw new Error(`cannot create the TensorRT cache folder ${dir} (${errorMessage(err)}); fix cache_dir or set inference.tensorrt.engine_cache and timing_cache to false`, { cause: err });
        }
      }
      return trt;
    }
    case 'cuda':
      return { name: 'cuda', deviceId: config.device_id };
    case 'cpu':
      return { name: 'cpu' };
  }
}

/** What `ort.listSupportedBackends()` reports: providers compiled into the binding, `bundled` when their library ships with it. */
export interface BindingBackend {
  readonly name: string;
  readonly bundled: boolean;
}

/**
 * `inference.providers: auto`: vigil's preference order (tensorrt, cuda, cpu)
 * cut to the providers the binding has and can load: bundled, or with its
 * provider library present beside the binding (the npm build lists cuda and
 * tensorrt unbundled; their libraries arrive only with the opt-in CUDA
 * download or the Jetson build). cpu always stays, last. Pure: the library
 * check is passed in.
 */
export function autoProviders(backends: readonly BindingBackend[], hasLibrary: (provider: Provider) => boolean): Provider[] {
  const usable = (p: Provider): boolean => p === 'cpu' || backends.some((b) => b.name === p && (b.bundled || hasLibrary(p)));
  return PROVIDERS.filter(usable);
}

/** The binding's folder (where ONNX Runtime looks for `libonnxruntime_providers_<name>.so`). */
function bindingDir(): string {
  const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
  return join(dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
}

/** The providers to try, in order: the configured list, or for `auto` those the installed binding has. */
export function resolveProviders(config: Pick<InferenceConfig, 'providers'>): readonly Provider[] {
  if (config.providers !== 'auto') return config.providers;
  const dir = bindingDir();
  return autoProviders(ort.listSupportedBackends(), (p) => existsSync(join(dir, `libonnxruntime_providers_${p}.so`)));
}

/**
 * Tries the configured execution providers in order and keeps the first that
 * loads the model. Each provider gets a session of its own (no silent mixed
 * fallback inside one session), so the provider reported is the one running.
 * `cacheDir` is the config's top-level cache_dir (TensorRT caches go to
 * `<cacheDir>/tensorrt`); without it TensorRT caches nothing. `maxBatch` is
 * the largest batch the model will get (TensorRT's profile, when the batch
 * is dynamic).
 */
export async function loadSession(modelPath: string, config: InferenceConfig, cacheDir?: string, maxBatch = 1): Promise<LoadedSession> {
  // ONNX Runtime's process-wide logger prints every failed provider load to
  // stderr as raw colour-coded lines; each failure reaches us as an exception
  // and is logged once as a JSON warning, so its own logger stays quiet.
  ort.env.logLevel = 'fatal';
  const fallbacks: string[] = [];
  let lastError: unknown;
  const providers = resolveProviders(config);
  for (const provider of providers) {
    try {
      const session = await ort.InferenceSession.create(modelPath, {
        executionProviders: [providerOption(provider, config, cacheDir, () => batchProfileFor(modelPath, maxBatch))],
        intraOpNumThreads: config.intra_op_threads,
        interOpNumThreads: config.inter_op_threads,
        graphOptimizationLevel: 'all',
        extra: { session: { intra_op: { allow_spinning: config.allow_spinning ? '1' : '0' } } },
        // Fatal only: a provider that cannot load is reported once, by us, as a warning.
        logSeverityLevel: 4,
      });
      return { session, provider, fallbacks };
    } catch (err) {
      lastError = err;
      fallbacks.push(`${provider}: ${errorMessage(err)}`);
    }
  }
  throw new VigilError(
    ErrorCode.MODEL_LOAD,
    `cannot load model ${modelPath} with providers ${providers.join(', ')}: ${errorMessage(lastError)}. Check that the file is a valid ONNX model`,
    { cause: lastError },
  );
}
