/**
 * How capture decodes a camera (config's camera.decoder and camera.codec):
 * `ffmpeg` is OpenCV's FFmpeg backend; `software` and `nvv4l2` are GStreamer
 * pipelines (capture/gstreamer-pipeline.ts).
 */
export const DECODERS = ['ffmpeg', 'software', 'nvv4l2'] as const;
export type Decoder = (typeof DECODERS)[number];

export const CODECS = ['h264', 'h265'] as const;
export type Codec = (typeof CODECS)[number];
