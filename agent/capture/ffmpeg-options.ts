/**
 * OpenCV's FFmpeg backend reads OPENCV_FFMPEG_CAPTURE_OPTIONS at every open,
 * as `key;value|key;value`. Once the variable is set, OpenCV no longer adds
 * its own default `rtsp_transport;tcp`, so it is always written here.
 * Measured with Debian's OpenCV 4.6: `timeout` (µs) bounds a read from a
 * frozen server at about three times the value; `analyzeduration;200000`
 * cuts the open of an RTSP stream from ~1 s to ~0.3 s.
 */
export interface FfmpegCaptureOptions {
  readonly rtspTransport: 'tcp' | 'udp';
  readonly timeoutSeconds: number;
  readonly analyzeDurationMicros: number;
}

export function ffmpegCaptureOptions(options: FfmpegCaptureOptions): string {
  return [
    `rtsp_transport;${options.rtspTransport}`,
    `timeout;${Math.round(options.timeoutSeconds * 1_000_000)}`,
    `analyzeduration;${options.analyzeDurationMicros}`,
  ].join('|');
}

export type SourceKind = 'rtsp' | 'file' | 'gstreamer';

/** A GStreamer pipeline is told apart by its `!` element separators. */
export function sourceKind(url: string): SourceKind {
  // Scheme first: `!` is legal in a URL's password.
  if (/^(rtsps?|rtmp|https?|udp|tcp):\/\//i.test(url)) return 'rtsp';
  if (url.includes('!')) return 'gstreamer';
  return 'file';
}

