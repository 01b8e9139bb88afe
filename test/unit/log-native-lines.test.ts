import { describe, expect, it } from 'vitest';
import { classifyLine, NativeLineSplitter, nativeLogEnvironment, passes, type NativeRecord } from '../../agent/util/native-log-lines.js';

// Lines as the libraries printed them on this machine (OpenCV 4.6 with FFmpeg and GStreamer, Debian 12).
const FFMPEG_REFUSED = '[tcp @ 0x3afa2840] Connection to tcp://127.0.0.1:1?timeout=2000000 failed: Connection refused';
const OPENCV_WARN = '[ WARN:0@0.267] global ./modules/videoio/src/cap_gstreamer.cpp (1356) open OpenCV | GStreamer warning: unable to start pipeline';
const GST_DEBUG_WARN = '0:00:02.012345678 32263 0x7f3c2c004b70 WARN                 rtspsrc gstrtspsrc.c:8123:gst_rtspsrc_retrieve_sdp:<rtspsrc0> error: Could not connect to server.';

describe('classifyLine', () => {
  it("reads FFmpeg's [context @ address] prefix: component ffmpeg, its context as source, level error (OpenCV prints errors only)", () => {
    expect(classifyLine(FFMPEG_REFUSED)).toEqual({ component: 'ffmpeg', level: 'error', source: 'tcp', msg: 'Connection to tcp://127.0.0.1:1?timeout=2000000 failed: Connection refused' });
    expect(classifyLine('[rtsp @ 0x5] rtsp://admin:s3cret@10.0.0.7/stream: Invalid data')?.msg).toBe('rtsp://***@10.0.0.7/stream: Invalid data');
    expect(classifyLine('[rtsp @ 0x55d0c8a0] method DESCRIBE failed: 404 Not Found')).toMatchObject({ component: 'ffmpeg', source: 'rtsp', msg: 'method DESCRIBE failed: 404 Not Found' });
  });

  it("reads OpenCV's [ LEVEL:thread@seconds] format and splits off the source line", () => {
    expect(classifyLine(OPENCV_WARN)).toEqual({
      component: 'opencv',
      level: 'warn',
      source: './modules/videoio/src/cap_gstreamer.cpp (1356) open',
      msg: 'OpenCV | GStreamer warning: unable to start pipeline',
    });
    expect(classifyLine('[ERROR:0@1.5] global ./modules/core/src/x.cpp (12) f boom')).toMatchObject({ component: 'opencv', level: 'error', msg: 'boom' });
    expect(classifyLine('[ INFO:0] plain info')).toEqual({ component: 'opencv', level: 'info', msg: 'plain info' });
  });

  it("reads GStreamer's GST_DEBUG format with its level and category", () => {
    expect(classifyLine(GST_DEBUG_WARN)).toEqual({
      component: 'gstreamer',
      level: 'warn',
      source: 'rtspsrc',
      msg: 'gstrtspsrc.c:8123:gst_rtspsrc_retrieve_sdp:<rtspsrc0> error: Could not connect to server.',
    });
    expect(classifyLine(GST_DEBUG_WARN.replace('WARN ', 'ERROR'))?.level).toBe('error');
    expect(classifyLine(GST_DEBUG_WARN.replace('WARN ', 'FIXME'))?.level).toBe('debug');
    // With colours (GST_DEBUG_NO_COLOR unset by an operator).
    expect(classifyLine(`\x1b[31;01m${GST_DEBUG_WARN}\x1b[00m`)?.component).toBe('gstreamer');
  });

  it("maps GLib's g_log levels: CRITICAL error, WARNING warn, ERROR fatal; GStreamer's domain is gstreamer, others glib", () => {
    expect(classifyLine('(node:32263): GStreamer-CRITICAL **: 09:07:37.798: gst_element_post_message: assertion failed')).toEqual({
      component: 'gstreamer',
      level: 'error',
      source: 'GStreamer',
      msg: 'gst_element_post_message: assertion failed',
    });
    expect(classifyLine('(vigil:1): GLib-GObject-WARNING **: 10:00:00.000: invalid cast')).toMatchObject({ component: 'glib', level: 'warn', source: 'GLib-GObject' });
    expect(classifyLine('(node:7): GLib-ERROR **: out of memory')?.level).toBe('fatal');
  });

  it("keeps Node's own warnings and unknown lines, marked as such, and skips blank lines", () => {
    expect(classifyLine('(node:4648) Warning: something odd')).toEqual({ component: 'node', level: 'warn', msg: 'Warning: something odd' });
    expect(classifyLine('(Use `node --trace-warnings ...` to show where the warning was created)')?.component).toBe('node');
    expect(classifyLine('Segmentation fault in thing')).toEqual({ component: 'stderr', level: 'warn', msg: 'Segmentation fault in thing' });
    expect(classifyLine('   ')).toBeNull();
  });
});

describe('passes (log.native_level)', () => {
  const ffmpeg = classifyLine(FFMPEG_REFUSED)!;
  const opencvWarn = classifyLine(OPENCV_WARN)!;
  it('holds back library records below the level, and all of them at silent', () => {
    expect(passes(ffmpeg, 'warn')).toBe(true);
    expect(passes(ffmpeg, 'error')).toBe(true);
    expect(passes(ffmpeg, 'fatal')).toBe(false);
    expect(passes(opencvWarn, 'warn')).toBe(true);
    expect(passes(opencvWarn, 'error')).toBe(false);
    expect(passes(ffmpeg, 'silent')).toBe(false);
  });
  it("never holds back a line no library claims (it may be a crash's only trace)", () => {
    expect(passes(classifyLine('something else')!, 'silent')).toBe(true);
    expect(passes(classifyLine('(node:1) Warning: x')!, 'silent')).toBe(true);
  });
});

describe('NativeLineSplitter', () => {
  const collect = (): { records: NativeRecord[]; splitter: NativeLineSplitter } => {
    const records: NativeRecord[] = [];
    return { records, splitter: new NativeLineSplitter((r) => records.push(r)) };
  };

  it('joins lines split across chunks', () => {
    const { records, splitter } = collect();
    splitter.push(FFMPEG_REFUSED.slice(0, 20));
    expect(records).toEqual([]);
    splitter.push(`${FFMPEG_REFUSED.slice(20)}\n${OPENCV_WARN}\n`);
    expect(records.map((r) => r.component)).toEqual(['ffmpeg', 'opencv']);
  });

  it("takes a GLib message's text from the lines after its header, up to the blank line", () => {
    const { records, splitter } = collect();
    splitter.push(
      '\n(node:32263): GStreamer-CRITICAL **: 09:07:37.797: \nTrying to dispose element pipeline0, but it is in PAUSED instead of the NULL state.\n' +
        'You need to explicitly set elements to the NULL state before\ndropping the final reference, to allow them to clean up.\n\n\n' +
        `${FFMPEG_REFUSED}\n`,
    );
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ component: 'gstreamer', level: 'error' });
    expect(records[0]!.msg).toBe(
      'Trying to dispose element pipeline0, but it is in PAUSED instead of the NULL state. You need to explicitly set elements to the NULL state before dropping the final reference, to allow them to clean up.',
    );
    expect(records[1]!.component).toBe('ffmpeg');
  });

  it('emits an open GLib message and a last unterminated line on flush', () => {
    const { records, splitter } = collect();
    splitter.push('(node:1): GStreamer-WARNING **: 10:00:00.000: one\ntwo\n[tcp @ 0x1] tail');
    expect(records).toEqual([]);
    splitter.flush();
    expect(records).toEqual([
      { component: 'gstreamer', level: 'warn', source: 'GStreamer', msg: 'one two' },
      { component: 'ffmpeg', level: 'error', source: 'tcp', msg: 'tail' },
    ]);
  });
});

describe('nativeLogEnvironment', () => {
  it('sets OpenCV and GStreamer to the level, and touches FFmpeg only to silence it (OpenCV would print it on stdout)', () => {
    expect(nativeLogEnvironment('warn')).toEqual({ OPENCV_LOG_LEVEL: 'WARNING', GST_DEBUG: '2', GST_DEBUG_NO_COLOR: '1' });
    expect(nativeLogEnvironment('debug')).toMatchObject({ OPENCV_LOG_LEVEL: 'DEBUG', GST_DEBUG: '5' });
    expect(nativeLogEnvironment('debug')).not.toHaveProperty('OPENCV_FFMPEG_LOGLEVEL');
    expect(nativeLogEnvironment('silent')).toEqual({ OPENCV_LOG_LEVEL: 'SILENT', GST_DEBUG: '0', GST_DEBUG_NO_COLOR: '1', OPENCV_FFMPEG_LOGLEVEL: '-8' });
  });
});
