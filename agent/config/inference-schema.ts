import { z } from 'zod';
import { backoff, secondsAtLeast } from './schema-parts.js';

/** The `inference` section: how and where ONNX Runtime runs the models. */

export const PROVIDERS = ['tensorrt', 'cuda', 'cpu'] as const;

const tensorrt = z
  .object({
    fp16: z
      .boolean()
      .default(true)
      .describe('Let TensorRT pick FP16 kernels where they are faster (trt_fp16_enable; Xavier and Orin have FP16 tensor cores); false keeps FP32 throughout.'),
    engine_cache: z
      .boolean()
      .default(true)
      .describe(
        'Keep built engines in `<cache_dir>/tensorrt` (trt_engine_cache_enable): the first start builds them for minutes, later starts load them in seconds. ' +
          'Off when cache_dir is unset. Delete the folder after changing ONNX Runtime, TensorRT or the GPU.',
      ),
    timing_cache: z
      .boolean()
      .default(true)
      .describe("Keep TensorRT's timing cache there too (trt_timing_cache_enable): rebuilds after a model change go faster. Off when cache_dir is unset."),
    max_workspace_bytes: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("Workspace limit of TensorRT's engine builder in bytes (trt_max_workspace_size); unset keeps ONNX Runtime's default."),
  })
  .strict()
  .prefault({})
  .describe(
    'TensorRT provider settings. Only the Jetson build of the ONNX Runtime binding (native/jetson/, Dockerfile.jetson) passes them on; ' +
      'the npm binding reads `deviceId` alone and ignores them.',
  );

export const inferenceSchema = z
  .object({
    providers: z
      .union([z.literal('auto'), z.array(z.enum(PROVIDERS)).min(1)])
      .default('auto')
      .describe(
        'Execution providers, tried in order: the first that loads is used, each fallback is logged, and the one in use is shown in `vigil_info{detector_provider}`. ' +
          "`auto`: tensorrt, cuda, cpu, but only those the installed ONNX Runtime binding has (its provider library is present), so a CPU-only install tries cpu alone and warns about nothing; " +
          'a list such as `[tensorrt, cuda, cpu]` tries each one named and warns once per model for each that fails.',
      ),
    device_id: z.number().int().min(0).default(0).describe('GPU index, for CUDA and TensorRT.'),
    workers: z
      .union([z.literal('auto'), z.number().int().min(1).max(8)])
      .default('auto')
      .describe(
        'Inference workers, each with its own session, working on different frames. `auto`: on a CPU one worker per core (up to 8), single-thread, ' +
          'except the first (lead) worker, which also holds two-thread sessions and runs every frame on them while the pool keeps up (lower latency; ' +
          'once frames keep waiting, every worker runs single-thread: more frames a second); on a GPU one worker. Or a number.',
      ),
    intra_op_threads: z
      .number()
      .int()
      .min(0)
      .max(64)
      .default(0)
      .describe("ONNX Runtime threads per worker within an operator; 0 lets ONNX Runtime pick (with `workers: auto` on a CPU: 1 per worker, 2 for the lead's lone frames)."),
    inter_op_threads: z.number().int().min(0).max(64).default(1).describe('ONNX Runtime threads per worker across independent operators.'),
    allow_spinning: z
      .boolean()
      .default(false)
      .describe("Let ONNX Runtime's intra-op threads spin between parallel sections. Off by default: on a device with few cores spinning burns the CPU capture needs."),
    pipeline_depth: z
      .number()
      .int()
      .min(1)
      .max(4)
      .default(2)
      .describe('Frames handed to each inference worker ahead of time, so it never idles waiting for the main thread.'),
    batch_size: z
      .number()
      .int()
      .min(1)
      .max(16)
      .default(1)
      .describe(
        'Cross-camera batching: up to this many frames (of any cameras) go through one detector run(). A batch is whatever is waiting when a worker frees up, ' +
          'never held back to fill it; each worker then holds up to max(pipeline_depth, 2 × batch_size) frames. Needs a detector whose batch is dynamic: ' +
          '`vigil model dynamic-batch IN OUT` makes one (checked at start, `AGENT_ERR_MODEL_SHAPE` otherwise). Meant for GPUs (not measured on one); ' +
          'on a CPU it buys nothing (docs/performance.md).',
      ),
    stuck_timeout_seconds: secondsAtLeast(1, 'a normal inference run must fit in it')
      .default(30)
      .describe('An inference taking longer than this (s) counts as stuck and the worker is replaced.'),
    restart: backoff({ initial_seconds: 1, max_seconds: 30, jitter: 0.2 }).describe(
      'Backoff between inference worker restarts; more than 5 restarts in 10 minutes exits 1, and systemd restarts the agent.',
    ),
    tensorrt,
  })
  .strict()
  .describe('How and where ONNX Runtime runs the models.');
