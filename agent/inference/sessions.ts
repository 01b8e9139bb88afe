import * as ort from 'onnxruntime-node';
import type { InferenceConfig, Provider } from '../config/schema.js';
import { errorMessage, ErrorCode, VigilError } from '../errors.js';

export interface LoadedSession {
  readonly session: ort.InferenceSession;
  readonly provider: Provider;
  /** One line per provider that was tried and failed, for the log. */
  readonly fallbacks: readonly string[];
}

/**
 * The npm build binds only `deviceId` for CUDA and TensorRT (native/README.md
 * has the Jetson build that passes TensorRT options); engine caching and
 * FP16 need that build.
 */
function providerOption(provider: Provider, config: InferenceConfig): ort.InferenceSession.ExecutionProviderConfig {
  switch (provider) {
    case 'tensorrt':
      return { name: 'tensorrt', deviceId: config.device_id };
    case 'cuda':
      return { name: 'cuda', deviceId: config.device_id };
    case 'cpu':
      return { name: 'cpu' };
  }
}

/**
 * Tries the configured execution providers in order and keeps the first that
 * loads the model. Each provider gets a session of its own (no silent mixed
 * fallback inside one session), so the provider reported is the one running.
 */
export async function loadSession(modelPath: string, config: InferenceConfig): Promise<LoadedSession> {
  // ONNX Runtime's process-wide logger prints every failed provider load to
  // stderr as raw colour-coded lines; each failure reaches us as an exception
  // and is logged once as a JSON warning, so its own logger stays quiet.
  ort.env.logLevel = 'fatal';
  const fallbacks: string[] = [];
  let lastError: unknown;
  for (const provider of config.providers) {
    try {
      const session = await ort.InferenceSession.create(modelPath, {
        executionProviders: [providerOption(provider, config)],
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
    `cannot load model ${modelPath} with providers ${config.providers.join(', ')}: ${errorMessage(lastError)}. Check that the file is a valid ONNX model`,
    { cause: lastError },
  );
}
