import { redactUrl } from './redact-url.js';

/**
 * What FFmpeg, GStreamer (and GLib) and OpenCV print on stderr, one line at a
 * time, turned into log records: a component, a level and the message (issue
 * 17: under systemd nothing but JSON lines). Pure: no I/O.
 */

export const NATIVE_LEVELS = ['silent', 'fatal', 'error', 'warn', 'info', 'debug'] as const;
export type NativeLevel = (typeof NATIVE_LEVELS)[number];
export type RecordLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

export interface NativeRecord {
  /** ffmpeg, gstreamer, glib, opencv; node for Node's own warnings; stderr for anything else. */
  readonly component: 'ffmpeg' | 'gstreamer' | 'glib' | 'opencv' | 'node' | 'stderr';
  readonly level: RecordLevel;
  readonly msg: string;
  /** The library's own name for where it came from: FFmpeg's context (tcp, rtsp), GStreamer's category, GLib's domain, OpenCV's source line. */
  readonly source?: string;
}

const RANK: Record<RecordLevel | NativeLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: 100 };

/**
 * Whether a record passes `log.native_level`. Lines that no native library
 * claims (Node's warnings, anything else) always pass: they may be the only
 * trace of a crash.
 */
export function passes(record: NativeRecord, threshold: NativeLevel): boolean {
  if (record.component === 'stderr' || record.component === 'node') return true;
  return RANK[record.level] >= RANK[threshold];
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
// `[tcp @ 0x55d0c8a0] Connection to tcp://…` (FFmpeg's default log callback; OpenCV sets its level to AV_LOG_ERROR).
const FFMPEG = /^\[([\w:.-]+) @ (?:0x)?[0-9a-fA-F]+\]\s*(.*)$/;
// `0:00:01.234567890 12345 0x55d0c8a0 WARN  rtspsrc gstrtspsrc.c:123:fn:<rtspsrc0> text` (GST_DEBUG).
const GST = /^\d+:\d{2}:\d{2}\.\d+\s+\d+\s+(?:0x)?[0-9a-fA-F]+\s+(ERROR|WARN|FIXME|INFO|DEBUG|LOG|TRACE|MEMDUMP)\s+(\S+)\s+(.*)$/;
// `(node:12345): GStreamer-CRITICAL **: 09:07:37.797: text` (g_log); the text may follow on the next lines.
const GLIB = /^\([^():]+:\d+\): ([\w-]+?)-(ERROR|CRITICAL|WARNING|Message|INFO|DEBUG) \*\*: (?:\d{2}:\d{2}:\d{2}\.\d{3}:(?: |$))?(.*)$/;
// `[ WARN:0@0.267] global ./modules/videoio/src/cap_gstreamer.cpp (1356) open OpenCV | GStreamer warning: text` (OpenCV 4.x).
const OPENCV = /^\[\s*(FATAL|ERROR|WARN|INFO|DEBUG|VERBOSE)\s*:\s*\d+(?:@\s*[\d.]+)?\]\s*(.*)$/;
const OPENCV_SOURCE = /^(?:global\s+)?(\S+\.(?:cpp|hpp|c|h) \(\d+\) \S+)\s+(.*)$/;
// `(node:12345) Warning: text` / `(node:12345) [DEP0005] DeprecationWarning: text`, and the hint after it.
const NODE = /^(?:\(node:\d+\) (.*)|(\(Use `node --trace-.*))$/;

const GST_LEVELS: Record<string, RecordLevel> = { ERROR: 'error', WARN: 'warn', FIXME: 'debug', INFO: 'info', DEBUG: 'debug', LOG: 'trace', TRACE: 'trace', MEMDUMP: 'trace' };
const GLIB_LEVELS: Record<string, RecordLevel> = { ERROR: 'fatal', CRITICAL: 'error', WARNING: 'warn', Message: 'info', INFO: 'info', DEBUG: 'debug' };
const OPENCV_LEVELS: Record<string, RecordLevel> = { FATAL: 'fatal', ERROR: 'error', WARN: 'warn', INFO: 'info', DEBUG: 'debug', VERBOSE: 'trace' };

/** One line (no newline) as a record; null for a blank one. Camera passwords in URLs are redacted (FFmpeg and GStreamer print URLs). */
export function classifyLine(raw: string): NativeRecord | null {
  const line = redactUrl(raw.replace(ANSI, '').trimEnd());
  if (line.trim() === '') return null;
  let m = FFMPEG.exec(line);
  if (m) return { component: 'ffmpeg', level: 'error', source: m[1]!, msg: m[2]! };
  m = GST.exec(line);
  if (m) return { component: 'gstreamer', level: GST_LEVELS[m[1]!]!, source: m[2]!, msg: m[3]! };
  m = GLIB.exec(line);
  if (m) return { component: /^G(?:St|st)/.test(m[1]!) ? 'gstreamer' : 'glib', level: GLIB_LEVELS[m[2]!]!, source: m[1]!, msg: m[3]! };
  m = OPENCV.exec(line);
  if (m) {
    const at = OPENCV_SOURCE.exec(m[2]!);
    return { component: 'opencv', level: OPENCV_LEVELS[m[1]!]!, ...(at ? { source: at[1]!, msg: at[2]! } : { msg: m[2]! }) };
  }
  m = NODE.exec(line);
  if (m) return { component: 'node', level: 'warn', msg: (m[1] ?? m[2])! };
  return { component: 'stderr', level: 'warn', msg: line };
}

/**
 * Splits stderr's bytes into lines and lines into records. A GLib message
 * spans lines (header, text, blank line): lines after a GLib header that no
 * library claims are its text, until a blank line, another record, or
 * flush() (called when stderr has been quiet for a moment).
 */
export class NativeLineSplitter {
  private partial = '';
  private pending: NativeRecord | null = null;

  constructor(private readonly emit: (record: NativeRecord) => void) {}

  push(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) this.line(line);
  }

  /** Emits what is held: a GLib message still open, and a last line without its newline. */
  flush(): void {
    if (this.partial !== '') {
      const rest = this.partial;
      this.partial = '';
      this.line(rest);
    }
    this.close();
  }

  private line(text: string): void {
    const record = classifyLine(text);
    if (record === null) return this.close();
    if (this.pending && record.component === 'stderr') {
      this.pending = { ...this.pending, msg: this.pending.msg === '' ? record.msg : `${this.pending.msg} ${record.msg}` };
      return;
    }
    this.close();
    if ((record.component === 'gstreamer' || record.component === 'glib') && GLIB.test(text.replace(ANSI, ''))) this.pending = record;
    else this.emit(record);
  }

  private close(): void {
    if (this.pending) this.emit(this.pending);
    this.pending = null;
  }
}

/**
 * Environment that sets the native libraries' own verbosity before they load
 * (OpenCV 4.6 reads OPENCV_LOG_LEVEL; GStreamer GST_DEBUG at gst_init).
 * FFmpeg: OpenCV leaves it at AV_LOG_ERROR on stderr unless
 * OPENCV_FFMPEG_LOGLEVEL is set, and then prints through its own callback to
 * *stdout*; so it is set only to silence FFmpeg (-8, AV_LOG_QUIET, prints
 * nothing), never to raise it. A value the operator set wins.
 */
export function nativeLogEnvironment(level: NativeLevel): Record<string, string> {
  const opencv: Record<NativeLevel, string> = { silent: 'SILENT', fatal: 'FATAL', error: 'ERROR', warn: 'WARNING', info: 'INFO', debug: 'DEBUG' };
  const gst: Record<NativeLevel, string> = { silent: '0', fatal: '0', error: '1', warn: '2', info: '4', debug: '5' };
  return {
    OPENCV_LOG_LEVEL: opencv[level],
    GST_DEBUG: gst[level],
    GST_DEBUG_NO_COLOR: '1',
    ...(level === 'silent' || level === 'fatal' ? { OPENCV_FFMPEG_LOGLEVEL: '-8' } : {}),
  };
}
