import type { ToCameraReader } from './protocol.js';
import { probeReachable, probeTarget } from './reachability.js';

/** How long an RTSP server has to answer OPTIONS before an open: cameras sit on the LAN. */
const OPEN_PROBE_TIMEOUT_MS = 1000;

export type OpenAnswer = Extract<ToCameraReader, { type: 'open' | 'refuse' }>;

/**
 * The main thread's answer to a reader's `opening` (issue 16): an rtsp://
 * source (also inside a GStreamer pipeline) opens only once its server
 * answered OPTIONS. `new VideoCapture()` is synchronous, and on a frozen
 * server it would block every camera on the shared worker until FFmpeg
 * gives up; without an answer the open is refused, which the reader counts
 * as a failed open (backoff). Other sources open at once.
 */
export class OpenCheck {
  private pending: AbortController | null = null;

  constructor(private readonly probe: typeof probeReachable = probeReachable) {}

  /** Calls `answer` once, unless cancel() (or a newer check) comes first. */
  check(source: string | undefined, answer: (message: OpenAnswer) => void): void {
    this.cancel();
    const target = source === undefined ? null : probeTarget(source);
    if (!target || target.kind !== 'rtsp') return answer({ type: 'open', reason: 'backoff' });
    const abort = new AbortController();
    this.pending = abort;
    void this.probe(target, OPEN_PROBE_TIMEOUT_MS, abort.signal)
      .catch(() => false)
      .then((alive) => {
        if (abort.signal.aborted) return;
        this.pending = null;
        const refused = `cannot open ${target.url}: no RTSP answer within ${OPEN_PROBE_TIMEOUT_MS / 1000} s (connection refused, host unreachable or server frozen)`;
        answer(alive ? { type: 'open', reason: 'backoff' } : { type: 'refuse', message: refused });
      });
  }

  cancel(): void {
    this.pending?.abort();
    this.pending = null;
  }
}
