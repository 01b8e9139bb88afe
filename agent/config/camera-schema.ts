import { z } from 'zod';
import { CODECS, DECODERS } from '../core/video-codecs.js';
import { cameraDetectorSchema, motionSchema } from './density-schema.js';
import { backoff, name, secondsAtLeast } from './schema-parts.js';
import { sceneKeys } from './zones-schema.js';

/** One entry of `cameras`. */

const FILE_PACES = ['realtime', 'max', 'on_demand'] as const;

export const cameraSchema = z
  .object({
    name: name.describe('The metrics label `camera` and part of MQTT topics; unique among the cameras.'),
    url: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .describe('rtsp://user:pass@host/path, a video file, a list of files (played as a playlist), or a GStreamer pipeline (it contains `!`) ending in appsink.'),
    enabled: z.boolean().default(true).describe('false keeps the entry but does not open the camera.'),
    fps_cap: z
      .number()
      .positive()
      .optional()
      .describe('Frames per second handed to the queue, at most; the rest are skipped at capture and counted as `frames_dropped_total{reason="fps_cap"}`. Unset: no cap.'),
    queue_capacity: z
      .number()
      .int()
      .min(1)
      .max(256)
      .default(4)
      .describe('Frames waiting for inference; when the queue is full the oldest frame is dropped and counted.'),
    stall_timeout_seconds: z
      .union([z.literal('auto'), secondsAtLeast(1, 'shorter reconnects a healthy camera between frames')])
      .default('auto')
      .describe(
        'No frame for this long (s) on a connected stream counts as a disconnect and forces a reconnect. ' +
          "`auto`: max(2 s, 20 frame intervals), the interval from the stream's reported frame rate, or the measured one where frames come slower " +
          '(`fps_cap`, else 25 fps, until the stream reports one); until the first frame of a connection, 5 s. Or a number.',
      ),
    loop: z.boolean().default(true).describe('Files: start again at the end (the `video_index` advances) or stop.'),
    file_pace: z
      .enum(FILE_PACES)
      .default('realtime')
      .describe(
        "Files: `realtime` reads at the file's own frame rate, as a camera would deliver it; `max` reads as fast as decoding allows (a full queue drops the oldest); " +
          '`on_demand` reads only when the queue has room (benchmarks, batch analysis of recordings: nothing is dropped).',
      ),
    reconnect: backoff().describe('Reconnect backoff: capped exponential with ± jitter, forever.'),
    reconnect_probe_seconds: z
      .union([z.literal(0), secondsAtLeast(0.2, 'probing faster only floods the camera')])
      .default(1)
      .describe(
        'While a camera waits out its reconnect backoff, a reachability probe this often (s): a TCP connect to the host and port of an rtsp:// (or http, rtmp) URL, ' +
          'also inside a GStreamer pipeline, or the existence of a file or device. When a probe finds the camera back after one found it gone, the reconnect happens at once; ' +
          'otherwise the backoff paces reconnects. 0: no probe.',
      ),
    decoder: z
      .enum(DECODERS)
      .default('ffmpeg')
      .describe(
        "rtsp:// cameras: `ffmpeg` is OpenCV's FFmpeg backend; `software` (libav) and `nvv4l2` (the Jetson's hardware decoder: `nvv4l2decoder ! nvvidconv`) are GStreamer pipelines vigil builds. " +
          'GStreamer also follows a camera that changes resolution mid-stream; FFmpeg does not.',
      ),
    codec: z.enum(CODECS).default('h264').describe("The stream's codec, for `decoder: software` and `nvv4l2` (FFmpeg finds it by itself)."),
    ...sceneKeys,
    detector: cameraDetectorSchema,
    motion: motionSchema,
  })
  .strict()
  .superRefine((cam, ctx) => {
    const urls = Array.isArray(cam.url) ? cam.url : [cam.url];
    if (cam.decoder !== 'ffmpeg' && !urls.every((url) => /^rtsps?:\/\//i.test(url))) {
      ctx.addIssue({ code: 'custom', path: ['decoder'], message: `${cam.decoder} builds an RTSP pipeline: every url must be rtsp://` });
    }
  });
