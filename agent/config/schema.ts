import { hostname } from 'node:os';
import { z } from 'zod';
import { DETECTOR_TYPES } from '../core/detector-recipe.js';
import { CODECS, DECODERS } from '../core/video-codecs.js';
import { mqttSchema } from './mqtt-schema.js';
import { backoff, name, secondsAtLeast } from './schema-parts.js';

/**
 * The one schema for vigil's config file: types, defaults and docs come from
 * here. config/agent.example.yaml mirrors it key for key.
 */

export const FILE_PACES = ['realtime', 'max', 'on_demand'] as const;

const camera = z
  .object({
    name,
    /** rtsp://…, a file path, or a GStreamer pipeline ending in appsink. A list plays as a playlist. */
    url: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    enabled: z.boolean().default(true),
    /** Upper bound on frames per second handed to the queue; frames above it are skipped at capture. */
    fps_cap: z.number().positive().optional(),
    queue_capacity: z.number().int().min(1).max(256).default(4),
    /** No frame for this long counts as a disconnect and forces a reconnect. */
    stall_timeout_seconds: secondsAtLeast(1, 'shorter reconnects a healthy camera between frames').default(5),
    /** Files: start again at the end (video_index advances) or stop. */
    loop: z.boolean().default(true),
    /**
     * Files: `realtime` reads at the file's own frame rate like a camera would
     * deliver it; `max` reads as fast as decoding allows (a full queue drops
     * the oldest); `on_demand` reads only when the queue has room (benchmarks,
     * batch analysis of recordings: nothing is dropped).
     */
    file_pace: z.enum(FILE_PACES).default('realtime'),
    reconnect: backoff(),
    /**
     * rtsp:// cameras: `ffmpeg` is OpenCV's FFmpeg backend; `software`
     * (libav) and `nvv4l2` (Jetson hardware decoder) are GStreamer pipelines
     * vigil builds, which also follow a mid-stream resolution change.
     */
    decoder: z.enum(DECODERS).default('ffmpeg'),
    /** The stream's codec, for `decoder: software` and `nvv4l2` (FFmpeg finds it by itself). */
    codec: z.enum(CODECS).default('h264'),
  })
  .strict()
  .superRefine((cam, ctx) => {
    const urls = Array.isArray(cam.url) ? cam.url : [cam.url];
    if (cam.decoder !== 'ffmpeg' && !urls.every((url) => /^rtsps?:\/\//i.test(url))) {
      ctx.addIssue({ code: 'custom', path: ['decoder'], message: `${cam.decoder} builds an RTSP pipeline: every url must be rtsp://` });
    }
  });

const modelPath = z.string().min(1);

const detector = z
  .object({
    model: modelPath,
    type: z.enum(DETECTOR_TYPES).default('yolox'),
    /** Class names, one a line, in the model's class-index order. */
    labels: z.string().min(1),
    score_threshold: z.number().min(0).max(1).default(0.3),
    nms_iou_threshold: z.number().min(0).max(1).default(0.45),
    /** Labels to keep; empty keeps every class. */
    classes: z.array(z.string().min(1)).default([]),
    max_detections: z.number().int().min(1).max(1000).default(100),
  })
  .strict();

const classifier = z
  .object({
    enabled: z.boolean().default(true),
    model: modelPath,
    labels: z.string().min(1),
    /** Detected labels whose boxes are classified; empty classifies every box. */
    apply_to: z.array(z.string().min(1)).default([]),
    input_size: z.number().int().min(16).max(1024).default(224),
    mean: z.tuple([z.number(), z.number(), z.number()]).default([0.485, 0.456, 0.406]),
    std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]).default([0.229, 0.224, 0.225]),
    /** Square crop side = longer box side × margin. */
    crop_margin: z.number().min(1).max(3).default(1.1),
    min_box_pixels: z.number().int().min(1).default(16),
    max_objects_per_frame: z.number().int().min(1).max(256).default(32),
  })
  .strict();

export const PROVIDERS = ['tensorrt', 'cuda', 'cpu'] as const;

const inference = z
  .object({
    /** Tried in order; the first that loads is used, each fallback logged. */
    providers: z.array(z.enum(PROVIDERS)).min(1).default(['tensorrt', 'cuda', 'cpu']),
    device_id: z.number().int().min(0).default(0),
    /**
     * Inference workers, each with its own session, working on different
     * frames. `auto`: on a CPU one worker per core (up to 8), single-thread
     * except a two-thread lead that takes lone frames (worker-plan.ts); on a
     * GPU one.
     */
    workers: z.union([z.literal('auto'), z.number().int().min(1).max(8)]).default('auto'),
    /** 0 lets ONNX Runtime pick (one per core). */
    intra_op_threads: z.number().int().min(0).max(64).default(0),
    inter_op_threads: z.number().int().min(0).max(64).default(1),
    /**
     * ONNX Runtime's intra-op threads spin between parallel sections. On a
     * device with few cores that burns the CPU capture needs.
     */
    allow_spinning: z.boolean().default(false),
    /** Frames handed to each inference worker ahead of time, so it never idles waiting for the main thread. */
    pipeline_depth: z.number().int().min(1).max(4).default(2),
    /**
     * Cross-camera batching: up to this many frames (of any cameras) go
     * through one detector run(). A batch is whatever is waiting when a
     * worker frees up, never held back to fill it. Needs a detector whose
     * batch is dynamic (`vigil model dynamic-batch`). Meant for GPUs (not
     * measured: none here); on a CPU it buys nothing (README, benchmark).
     */
    batch_size: z.number().int().min(1).max(16).default(1),
    /** An inference taking longer than this counts as stuck and the worker is restarted. */
    stuck_timeout_seconds: secondsAtLeast(1, 'a normal inference run must fit in it').default(30),
    restart: backoff({ initial_seconds: 1, max_seconds: 30, jitter: 0.2 }),
    /**
     * TensorRT provider settings. Only the Jetson build of the ONNX Runtime
     * binding passes them on (native/jetson/); the npm binding reads
     * `deviceId` alone and ignores them.
     */
    tensorrt: z
      .object({
        /** Let TensorRT pick FP16 kernels where they are faster (trt_fp16_enable); false keeps FP32 throughout. */
        fp16: z.boolean().default(true),
        /**
         * Keep built engines in `<cache_dir>/tensorrt` (trt_engine_cache_enable):
         * the first start builds them for minutes, later starts load them in
         * seconds. Off when cache_dir is unset.
         */
        engine_cache: z.boolean().default(true),
        /** Keep TensorRT's timing cache there too (trt_timing_cache_enable): rebuilds after a model change go faster. Off when cache_dir is unset. */
        timing_cache: z.boolean().default(true),
        /** Workspace limit of TensorRT's engine builder in bytes (trt_max_workspace_size); unset keeps ONNX Runtime's default. */
        max_workspace_bytes: z.number().int().positive().optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict();

const capture = z
  .object({
    rtsp_transport: z.enum(['tcp', 'udp']).default('tcp'),
    /** FFmpeg socket timeout: a frozen server's read returns after about 3× this. */
    rtsp_timeout_seconds: secondsAtLeast(0.5, 'shorter fails a healthy stream on a busy network').default(2),
    analyze_duration_micros: z.number().int().min(0).default(200_000),
  })
  .strict();

const health = z
  .object({
    /** /readyz answers 503 once a camera has been disconnected this long (a reconnect within it is normal). */
    disconnected_seconds: secondsAtLeast(1, 'a reconnect takes at least that').default(60),
    /**
     * An inference run older than this counts as stuck: /readyz answers 503
     * and the systemd watchdog stops being fed. Keep it above the slowest
     * normal run (a first TensorRT run can take seconds).
     */
    inference_stall_seconds: secondsAtLeast(1, 'a normal inference run must fit in it').default(10),
  })
  .strict();

const http = z
  .object({
    /** Loopback by default: the device's own Prometheus scrapes it there. Set 0.0.0.0 to expose it on the LAN. */
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(9110),
    /**
     * When set, the preview page and its WebSocket need it (?token=, a
     * cookie the page sets, or Authorization: Bearer). Use ${ENV} or
     * ${credential:NAME}. /healthz and /readyz stay open.
     */
    token: z.string().min(8, 'at least 8 characters').optional(),
    /** With a token: /metrics needs it too (then give Prometheus `authorization: { credentials: … }`). */
    protect_metrics: z.boolean().default(false),
    /**
     * Without a token, the page and WebSocket answer only requests naming
     * this device (loopback, its host name, its addresses): DNS-rebinding
     * protection. Add the DNS names it is reached by here.
     */
    allowed_hosts: z.array(z.string().min(1)).default([]),
  })
  .strict();

const preview = z
  .object({
    enabled: z.boolean().default(true),
    /** Preview frames per second per camera, at most; frames are JPEG-encoded only while someone watches. */
    fps: z.number().positive().max(30).default(5),
    /** Preview width in pixels (height keeps the aspect ratio); never upscaled. */
    width: z.number().int().min(64).max(3840).default(640),
    jpeg_quality: z.number().int().min(10).max(100).default(70),
    max_viewers: z.number().int().min(1).max(100).default(8),
    /** A viewer with more than this waiting in its socket gets frames skipped until it catches up. */
    max_buffered_kib: z.number().int().min(16).default(512),
    /** Viewers are pinged this often; one that did not answer the previous ping is dropped. */
    ping_interval_seconds: secondsAtLeast(1, 'a viewer needs time to answer').default(10),
  })
  .strict();

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

export const configSchema = z
  .object({
    device: z
      .object({
        id: name.default(() => hostname().replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || 'vigil'),
        site: z.string().max(64).default(''),
      })
      .strict()
      .prefault({}),
    log: z.object({ level: z.enum(LOG_LEVELS).default('info') }).strict().prefault({}),
    metrics: z
      .object({
        /**
         * Put device and site on every series too (not only on vigil_info),
         * for a fleet Prometheus that federates without per-device target labels.
         */
        constant_labels: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    http: http.prefault({}),
    preview: preview.prefault({}),
    health: health.prefault({}),
    capture: capture.prefault({}),
    inference: inference.prefault({}),
    detector,
    classifier: classifier.optional(),
    mqtt: mqttSchema.optional(),
    /**
     * Where vigil keeps state across restarts (the MQTT spool). Defaults to
     * systemd's $STATE_DIRECTORY; relative paths resolve against the config file.
     */
    state_dir: z.string().min(1).optional(),
    /**
     * Where vigil keeps what it can rebuild (TensorRT engine and timing
     * caches). Defaults to systemd's $CACHE_DIRECTORY.
     */
    cache_dir: z.string().min(1).optional(),
    cameras: z
      .array(camera)
      .min(1)
      .superRefine((cams, ctx) => {
        const seen = new Set<string>();
        cams.forEach((cam, i) => {
          if (seen.has(cam.name)) ctx.addIssue({ code: 'custom', message: `duplicate camera name "${cam.name}"`, path: [i, 'name'] });
          seen.add(cam.name);
        });
      }),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.mqtt?.enabled && config.mqtt.spool && !config.state_dir) {
      ctx.addIssue({ code: 'custom', path: ['mqtt', 'spool'], message: 'needs state_dir (or systemd StateDirectory=, which sets $STATE_DIRECTORY)' });
    }
  });

export type VigilConfig = z.infer<typeof configSchema>;
export type CameraConfig = VigilConfig['cameras'][number];
export type DetectorConfig = VigilConfig['detector'];
export type ClassifierConfig = NonNullable<VigilConfig['classifier']>;
export type InferenceConfig = VigilConfig['inference'];
export type PreviewConfig = VigilConfig['preview'];
export type HttpConfig = VigilConfig['http'];
export type CaptureConfig = VigilConfig['capture'];
export type Provider = (typeof PROVIDERS)[number];
