import { z } from 'zod';
import { CODECS, DECODERS } from '../core/video-codecs.js';
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
    stall_timeout_seconds: secondsAtLeast(1, 'shorter reconnects a healthy camera between frames')
      .default(5)
      .describe('No frame for this long (s) counts as a disconnect and forces a reconnect.'),
    loop: z.boolean().default(true).describe('Files: start again at the end (the `video_index` advances) or stop.'),
    file_pace: z
      .enum(FILE_PACES)
      .default('realtime')
      .describe(
        "Files: `realtime` reads at the file's own frame rate, as a camera would deliver it; `max` reads as fast as decoding allows (a full queue drops the oldest); " +
          '`on_demand` reads only when the queue has room (benchmarks, batch analysis of recordings: nothing is dropped).',
      ),
    reconnect: backoff().describe('Reconnect backoff: capped exponential with ± jitter, forever.'),
    decoder: z
      .enum(DECODERS)
      .default('ffmpeg')
      .describe(
        "rtsp:// cameras: `ffmpeg` is OpenCV's FFmpeg backend; `software` (libav) and `nvv4l2` (the Jetson's hardware decoder: `nvv4l2decoder ! nvvidconv`) are GStreamer pipelines vigil builds. " +
          'GStreamer also follows a camera that changes resolution mid-stream; FFmpeg does not.',
      ),
    codec: z.enum(CODECS).default('h264').describe("The stream's codec, for `decoder: software` and `nvv4l2` (FFmpeg finds it by itself)."),
    ...sceneKeys,
  })
  .strict()
  .superRefine((cam, ctx) => {
    const urls = Array.isArray(cam.url) ? cam.url : [cam.url];
    if (cam.decoder !== 'ffmpeg' && !urls.every((url) => /^rtsps?:\/\//i.test(url))) {
      ctx.addIssue({ code: 'custom', path: ['decoder'], message: `${cam.decoder} builds an RTSP pipeline: every url must be rtsp://` });
    }
  });
