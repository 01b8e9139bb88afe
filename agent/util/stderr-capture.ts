import { readSync } from 'node:fs';
import { Socket } from 'node:net';
import { loadNativeAddon } from './native-addon.js';
import type { Logger } from 'pino';
import { nativeLogEnvironment, NativeLineSplitter, passes, type NativeLevel, type NativeRecord } from './native-log-lines.js';

interface StderrCaptureAddon {
  redirect(): [readFd: number, savedFd: number];
  restore(savedFd: number): void;
}

/** A GLib message's text follows its header within microseconds; a quiet pause this long closes it. */
const FLUSH_AFTER_MS = 50;

export interface StderrCapture {
  /** The original stderr, for whatever must stay visible raw. */
  readonly originalFd: number;
}

/**
 * Puts a pipe behind fd 2 (native/stderr-capture) and hands each line the
 * native libraries print there, from any thread, to `onRecord` on the main
 * thread. On exit the pipe is drained into `onRecord` too, then fd 2 is the
 * original stderr again, so Node's own fatal output (printed after the
 * 'exit' handlers) stays visible. Call it before the logger's destination is
 * made: exit handlers run in order, and pino's flushes the log last.
 * Undefined when the addon is not built (`npm run build:native`).
 */
export function captureStderr(onRecord: (record: NativeRecord) => void): StderrCapture | undefined {
  const addon = loadNativeAddon<StderrCaptureAddon>('stderr-capture', 'stderr_capture.node');
  if (!addon) return undefined;
  const [readFd, savedFd] = addon.redirect();
  const splitter = new NativeLineSplitter(onRecord);
  let timer: NodeJS.Timeout | undefined;
  // A net.Socket reads the pipe on the event loop (an fs stream would hold a
  // thread-pool thread, which capture and inference need, forever).
  const pipe = new Socket({ fd: readFd, readable: true, writable: false });
  pipe.setEncoding('utf8');
  pipe.on('data', (chunk: string) => {
    splitter.push(chunk);
    clearTimeout(timer);
    timer = setTimeout(() => splitter.flush(), FLUSH_AFTER_MS).unref();
  });
  pipe.on('error', () => undefined); // the read end outlives every writer; nothing to report it to
  pipe.unref();
  process.once('exit', () => {
    splitter.push(drain(readFd));
    splitter.flush();
    addon.restore(savedFd);
  });
  return { originalFd: savedFd };
}

/** What is still in the pipe, read without blocking (the read end is non-blocking). */
function drain(fd: number): string {
  const buffer = Buffer.alloc(64 * 1024);
  let text = '';
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null);
    } catch {
      break; // EAGAIN: empty
    }
    if (n <= 0) break;
    text += buffer.toString('utf8', 0, n);
  }
  return text;
}


/**
 * `log.native_level` at start: the libraries' own verbosity by environment
 * (before any of them loads), and their stderr into the log as records with
 * their component. The capture starts before the logger's destination exists
 * (see captureStderr); records go to the logger once attached. `captured` is
 * false when the addon is not built (the libraries then print raw lines).
 */
export function startNativeLogCapture(level: NativeLevel): { readonly captured: boolean; attach(logger: Logger): void } {
  for (const [key, value] of Object.entries(nativeLogEnvironment(level))) process.env[key] ??= value;
  const children = new Map<string, Logger>();
  let root: Logger | undefined;
  const capture = captureStderr((record) => {
    if (!root || !passes(record, level)) return;
    let child = children.get(record.component);
    if (!child) children.set(record.component, (child = root.child({ component: record.component })));
    child[record.level](record.source === undefined ? {} : { source: record.source }, record.msg);
  });
  return {
    captured: capture !== undefined,
    attach: (logger) => {
      root = logger;
    },
  };
}
