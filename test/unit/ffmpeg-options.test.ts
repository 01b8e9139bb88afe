import { describe, expect, it } from 'vitest';
import { ffmpegCaptureOptions, sourceKind } from '../../agent/capture/ffmpeg-options.js';
import { rtspPipeline } from '../../agent/capture/gstreamer-pipeline.js';
import { redactUrl } from '../../agent/util/redact-url.js';

describe('ffmpegCaptureOptions', () => {
  it('writes key;value pairs joined by |, timeout in microseconds', () => {
    expect(ffmpegCaptureOptions({ rtspTransport: 'tcp', timeoutSeconds: 2, analyzeDurationMicros: 200_000 })).toBe(
      'rtsp_transport;tcp|timeout;2000000|analyzeduration;200000',
    );
  });

  it('rounds fractional seconds to whole microseconds', () => {
    expect(ffmpegCaptureOptions({ rtspTransport: 'udp', timeoutSeconds: 0.0000015, analyzeDurationMicros: 0 })).toBe(
      'rtsp_transport;udp|timeout;2|analyzeduration;0',
    );
    expect(ffmpegCaptureOptions({ rtspTransport: 'tcp', timeoutSeconds: 1.5, analyzeDurationMicros: 5 })).toBe(
      'rtsp_transport;tcp|timeout;1500000|analyzeduration;5',
    );
  });
});

describe('sourceKind', () => {
  it('network URLs are rtsp (FFmpeg)', () => {
    expect(sourceKind('rtsp://10.0.0.5:554/stream1')).toBe('rtsp');
    expect(sourceKind('RTSPS://cam.local/live')).toBe('rtsp');
    expect(sourceKind('http://example.com/a.mjpg')).toBe('rtsp');
    expect(sourceKind('udp://239.0.0.1:1234')).toBe('rtsp');
  });

  it('paths are files', () => {
    expect(sourceKind('/var/lib/vigil/vtest.avi')).toBe('file');
    expect(sourceKind('media/clip.mp4')).toBe('file');
    expect(sourceKind('file:///tmp/x.mp4')).toBe('file');
  });

  it('anything with ! is a GStreamer pipeline', () => {
    expect(sourceKind('videotestsrc ! videoconvert ! appsink')).toBe('gstreamer');
    expect(sourceKind('rtspsrc location=rtsp://cam/stream latency=0 ! decodebin ! videoconvert ! appsink')).toBe('gstreamer');
  });

  it("an rtsp URL whose password contains '!' is still rtsp", () => {
    expect(sourceKind('rtsp://admin:pa!ss@10.0.0.5/stream')).toBe('rtsp');
  });
});

describe('redactUrl', () => {
  it('replaces user:pass with ***', () => {
    expect(redactUrl('rtsp://admin:secret@10.0.0.5:554/stream1')).toBe('rtsp://***@10.0.0.5:554/stream1');
    expect(redactUrl('rtsp://user@cam.local/live')).toBe('rtsp://***@cam.local/live');
  });

  it('leaves URLs without credentials, and file paths, unchanged', () => {
    expect(redactUrl('rtsp://10.0.0.5:554/stream1')).toBe('rtsp://10.0.0.5:554/stream1');
    expect(redactUrl('/videos/a@b.mp4')).toBe('/videos/a@b.mp4');
  });

  it("does not treat an '@' in the path as credentials", () => {
    expect(redactUrl('rtsp://10.0.0.5/live@main')).toBe('rtsp://10.0.0.5/live@main');
  });
});

describe('rtspPipeline (decoder: software | nvv4l2)', () => {
  const options = { codec: 'h264', transport: 'tcp', timeoutSeconds: 2 } as const;

  it('nvv4l2 builds the Jetson hardware-decode graph, latest frame only', () => {
    expect(rtspPipeline('rtsp://10.0.0.5/s1', { ...options, decoder: 'nvv4l2' })).toBe(
      'rtspsrc location="rtsp://10.0.0.5/s1" protocols=tcp latency=200 tcp-timeout=2000000 timeout=2000000' +
        ' ! rtph264depay ! h264parse ! nvv4l2decoder ! nvvidconv ! video/x-raw,format=BGRx ! videoconvert ! video/x-raw,format=BGR' +
        ' ! appsink drop=true max-buffers=1 sync=false',
    );
  });

  it('software is the same graph with avdec; h265 swaps depayloader, parser and decoder; udp and the timeout come from capture', () => {
    expect(rtspPipeline('rtsp://10.0.0.5/s1', { ...options, decoder: 'software', codec: 'h265', transport: 'udp', timeoutSeconds: 0.5 })).toBe(
      'rtspsrc location="rtsp://10.0.0.5/s1" protocols=udp latency=200 tcp-timeout=500000 timeout=500000' +
        ' ! rtph265depay ! h265parse ! avdec_h265 ! videoconvert ! video/x-raw,format=BGR ! appsink drop=true max-buffers=1 sync=false',
    );
  });

  it('quotes the URL so a password with " or \\ cannot break the pipeline, and the log form hides it', () => {
    const pipeline = rtspPipeline('rtsp://admin:pa"s\\s@cam/live', { ...options, decoder: 'software' });
    expect(pipeline).toContain('location="rtsp://admin:pa\\"s\\\\s@cam/live"');
    expect(redactUrl(pipeline)).toContain('location="rtsp://***@cam/live"');
    expect(sourceKind(pipeline)).toBe('gstreamer');
  });
});
