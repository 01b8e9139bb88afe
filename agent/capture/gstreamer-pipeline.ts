/**
 * GStreamer decode pipelines for rtsp:// cameras with `decoder: software` or
 * `decoder: nvv4l2`. On a Jetson, nvv4l2decoder decodes on the NVDEC engine
 * and nvvidconv converts on the VIC, leaving the CPU to the pipeline; software
 * decode (libav) is the same graph for any other box and the one tested here.
 * Unlike OpenCV's FFmpeg backend, GStreamer also follows a stream that
 * changes resolution.
 */
import type { Codec, Decoder } from '../core/video-codecs.js';

export interface RtspPipelineOptions {
  readonly decoder: Exclude<Decoder, 'ffmpeg'>;
  readonly codec: Codec;
  readonly transport: 'tcp' | 'udp';
  /** A server silent this long ends the stream (a read returns empty) and capture reconnects. */
  readonly timeoutSeconds: number;
}

/** The latest frame only (drop, one buffer, no clock sync): a slow consumer never builds up latency. */
const APPSINK = 'appsink drop=true max-buffers=1 sync=false';

export function rtspPipeline(url: string, options: RtspPipelineOptions): string {
  const micros = Math.round(options.timeoutSeconds * 1_000_000);
  // latency=200: rtspsrc's jitter buffer defaults to 2 s, which would sit between the camera and every detection.
  const source = `rtspsrc location="${quote(url)}" protocols=${options.transport} latency=200 tcp-timeout=${micros} timeout=${micros}`;
  const depay = `rtp${options.codec}depay ! ${options.codec}parse`;
  const decode =
    options.decoder === 'nvv4l2'
      ? 'nvv4l2decoder ! nvvidconv ! video/x-raw,format=BGRx ! videoconvert ! video/x-raw,format=BGR'
      : `avdec_${options.codec} ! videoconvert ! video/x-raw,format=BGR`;
  return `${source} ! ${depay} ! ${decode} ! ${APPSINK}`;
}

/** gst-launch syntax: inside double quotes only `"` and `\` need escaping. */
function quote(text: string): string {
  return text.replace(/["\\]/g, (c) => `\\${c}`);
}
