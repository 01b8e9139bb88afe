import { hostname } from 'node:os';
import { z } from 'zod';
import { DETECTOR_TYPES } from '../core/detector-recipe.js';
import { cameraSchema } from './camera-schema.js';
import { detectorDensityKeys } from './density-schema.js';
import { inferenceSchema, PROVIDERS } from './inference-schema.js';
import { logSchema } from './log-schema.js';
import { mqttSchema } from './mqtt-schema.js';
import { trackerSchema } from './tracking-schema.js';
import { name, secondsAtLeast } from './schema-parts.js';
import { checkSceneLabels } from './zones-schema.js';

/**
 * The one schema for vigil's config file: types, defaults and docs come from
 * here. docs/configuration.md and config/agent.schema.json are generated from
 * it (`npm run docs:config`); config/agent.example.yaml shows every key.
 */

const modelPath = z.string().min(1);

const detector = z
  .object({
    model: modelPath.describe('ONNX detector model file.'),
    type: z
      .enum(DETECTOR_TYPES)
      .default('yolox')
      .describe(
        'Output format: `yolox` ([1, N, 5+C], decoded outside the graph; top-left letterbox, BGR 0–255) or ' +
          '`yolov8` ([1, 4+C, N], the Ultralytics export; centred letterbox, RGB 0–1).',
      ),
    labels: z.string().min(1).describe("Class names file, one a line, in the model's class-index order."),
    score_threshold: z.number().min(0).max(1).default(0.3).describe('Detections scoring below this are dropped.'),
    nms_iou_threshold: z
      .number()
      .min(0)
      .max(1)
      .default(0.45)
      .describe('Class-wise non-maximum suppression: a box overlapping a better-scoring box of its class by more than this IoU is dropped.'),
    classes: z.array(z.string().min(1)).default([]).describe('Labels to keep; `[]` keeps every class.'),
    max_detections: z.number().int().min(1).max(1000).default(100).describe('Detections kept per frame, at most.'),
    ...detectorDensityKeys,
  })
  .strict()
  .describe('The object detector.');

const classifier = z
  .object({
    enabled: z.boolean().default(true).describe('false keeps the section but runs the detector only.'),
    model: modelPath.describe('ONNX classifier model file.'),
    labels: z.string().min(1).describe("Class names file, one a line, in the model's class-index order."),
    apply_to: z.array(z.string().min(1)).default([]).describe('Detected labels whose boxes are classified; `[]` classifies every box.'),
    input_size: z.number().int().min(16).max(1024).default(224).describe("Side of the model's square input in pixels."),
    mean: z
      .tuple([z.number(), z.number(), z.number()])
      .default([0.485, 0.456, 0.406])
      .describe("Normalisation, per RGB channel after x/255: (x - mean) / std. ImageNet's by default."),
    std: z
      .tuple([z.number().positive(), z.number().positive(), z.number().positive()])
      .default([0.229, 0.224, 0.225])
      .describe('See mean.'),
    crop_margin: z.number().min(1).max(3).default(1.1).describe('Square crop side = longer box side × crop_margin.'),
    min_box_pixels: z.number().int().min(1).default(16).describe('Boxes whose shorter side is below this (pixels) are not classified.'),
    max_objects_per_frame: z
      .number()
      .int()
      .min(1)
      .max(256)
      .default(32)
      .describe('Boxes classified per frame, at most, highest detection score first.'),
    mode: z
      .enum(['per_track', 'per_frame'])
      .default('per_track')
      .describe(
        '`per_track`: an object is classified when its track is confirmed, and again only when its box area changed by reclassify_area_ratio ' +
          'or after reclassify_seconds; its class rides on the track. `per_frame`: every box on every frame (also what happens with the tracker off).',
      ),
    reclassify_seconds: z
      .number()
      .min(0)
      .default(5)
      .describe('per_track: classify a track again after this long (s); 0: never on time alone.'),
    reclassify_area_ratio: z
      .number()
      .min(1.05)
      .default(2)
      .describe("per_track: classify a track again when its box's area grew or shrank by this factor since its last classification."),
  })
  .strict()
  .describe('Classifies each detected object on a square crop around its box. Leave the section out to run the detector only.');

const capture = z
  .object({
    rtsp_transport: z.enum(['tcp', 'udp']).default('tcp').describe('RTSP transport.'),
    rtsp_timeout_seconds: secondsAtLeast(0.5, 'shorter fails a healthy stream on a busy network')
      .default(2)
      .describe('Socket timeout (s): a read from a frozen server returns after about 3× this.'),
    analyze_duration_micros: z
      .number()
      .int()
      .min(0)
      .default(200_000)
      .describe("FFmpeg's stream probing budget at open (µs); the default opens an RTSP stream in about 0.3 s instead of about 1 s."),
    workers: z
      .union([z.literal('auto'), z.number().int().min(1).max(64)])
      .default('auto')
      .describe(
        'Capture worker threads, each reading several cameras (a thread costs ~45 MiB, a camera on a shared one ~8). ' +
          '`auto`: one per 8 cameras, at most one per CPU core.',
      ),
  })
  .strict()
  .describe('How rtsp:// cameras are read, by FFmpeg and by the GStreamer pipelines alike.');

const health = z
  .object({
    disconnected_seconds: secondsAtLeast(1, 'a reconnect takes at least that')
      .default(60)
      .describe('/readyz answers 503 once a camera has been disconnected this long (s); a reconnect within it is normal.'),
    inference_stall_seconds: secondsAtLeast(1, 'a normal inference run must fit in it')
      .default(10)
      .describe(
        'An inference run older than this (s) counts as stuck: /readyz answers 503 and the systemd watchdog stops being fed (WatchdogSec= then restarts the agent). ' +
          'Keep it above the slowest normal run (a first TensorRT run can take seconds).',
      ),
  })
  .strict()
  .describe('When /readyz reports the agent unhealthy.');

const http = z
  .object({
    host: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe("Listen address. Loopback by default: the device's own Prometheus scrapes it there. Set 0.0.0.0 to expose it on the LAN."),
    port: z.number().int().min(0).max(65535).default(9110).describe('TCP port; 0 lets the system pick one.'),
    token: z
      .string()
      .min(8, 'at least 8 characters')
      .optional()
      .describe(
        'When set, the preview page and its WebSocket need it (?token=, the cookie the page sets, or Authorization: Bearer). ' +
          'Use ${ENV} or ${credential:NAME}. /healthz and /readyz stay open.',
      ),
    protect_metrics: z
      .boolean()
      .default(false)
      .describe('With a token: /metrics needs it too (then give Prometheus `authorization: { credentials: … }`).'),
    allowed_hosts: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Without a token, the page and WebSocket answer only requests naming this device (loopback, its host name, its addresses): DNS-rebinding protection. ' +
          'Add the DNS names it is reached by here, e.g. `[camera-box.lan]`.',
      ),
  })
  .strict()
  .describe('The HTTP server: /metrics, /healthz, /readyz and the live preview.');

const preview = z
  .object({
    enabled: z.boolean().default(true).describe('false turns the live preview off.'),
    fps: z.number().positive().max(30).default(5).describe('Preview frames per second per camera, at most.'),
    width: z.number().int().min(64).max(3840).default(640).describe('Preview width in pixels (the height keeps the aspect ratio); never upscaled.'),
    jpeg_quality: z.number().int().min(10).max(100).default(70).describe('JPEG quality of the preview frames.'),
    max_viewers: z.number().int().min(1).max(100).default(8).describe('Viewers at once; one more is refused with WebSocket close code 1013.'),
    max_buffered_kib: z
      .number()
      .int()
      .min(16)
      .default(512)
      .describe('A viewer with more than this (KiB) waiting in its socket gets frames skipped until it catches up.'),
    ping_interval_seconds: secondsAtLeast(1, 'a viewer needs time to answer')
      .default(10)
      .describe('Viewers are pinged this often (s); one that did not answer the previous ping is dropped.'),
  })
  .strict()
  .describe(
    'Live preview at `http://<host>:<port>/` (set http.host: 0.0.0.0 to reach it from the LAN, ideally with a token). ' +
      'JPEGs are encoded only while someone watches a camera.',
  );

const device = z
  .object({
    id: name.default(() => hostname().replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || 'vigil').meta({
      description: 'Identity in metrics (`vigil_info`) and MQTT topics.',
      defaultText: 'the host name, other characters than letters, digits, _ and - replaced by _ (`vigil` if none are left)',
    }),
    site: z.string().max(64).default('').describe('Free text, e.g. a building or city; in `vigil_info`.'),
  })
  .strict()
  .prefault({})
  .describe('Who this device is.');

const metrics = z
  .object({
    constant_labels: z
      .boolean()
      .default(false)
      .describe(
        'Put device and site on every series too (they are always on `vigil_info`), for a fleet Prometheus that federates many devices ' +
          'without per-device target labels (config/prometheus/).',
      ),
  })
  .strict()
  .prefault({})
  .describe('Prometheus metrics at /metrics.');

export const configSchema = z
  .object({
    device,
    log: logSchema,
    metrics,
    http: http.prefault({}),
    preview: preview.prefault({}),
    health: health.prefault({}),
    capture: capture.prefault({}),
    inference: inferenceSchema.prefault({}),
    detector,
    classifier: classifier.optional(),
    tracker: trackerSchema.prefault({}),
    mqtt: mqttSchema.optional(),
    state_dir: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Where vigil keeps state across restarts (the MQTT spool). Defaults to systemd's $STATE_DIRECTORY (StateDirectory=vigil gives /var/lib/vigil); " +
          'relative paths resolve against the config file.',
      ),
    cache_dir: z
      .string()
      .min(1)
      .optional()
      .describe("Where vigil keeps what it can rebuild (TensorRT engine and timing caches). Defaults to systemd's $CACHE_DIRECTORY (CacheDirectory=vigil gives /var/cache/vigil)."),
    cameras: z
      .array(cameraSchema)
      .min(1)
      .superRefine((cams, ctx) => {
        const seen = new Set<string>();
        cams.forEach((cam, i) => {
          if (seen.has(cam.name)) ctx.addIssue({ code: 'custom', message: `duplicate camera name "${cam.name}"`, path: [i, 'name'] });
          seen.add(cam.name);
        });
      })
      .describe('The cameras, at least one.'),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.mqtt?.enabled && config.mqtt.spool && !config.state_dir) {
      ctx.addIssue({ code: 'custom', path: ['mqtt', 'spool'], message: 'needs state_dir (or systemd StateDirectory=, which sets $STATE_DIRECTORY)' });
    }
    checkSceneLabels(config, ctx);
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
