import type { Clock } from '../util/clock.js';
import type { ProbeTarget } from './reachability.js';

export type OpenReason = 'backoff' | 'probe';

export interface ReopenSchedulerDeps {
  readonly clock: Clock;
  /** Seconds between probes while waiting; 0: no probe, the backoff alone paces opens. */
  readonly probeIntervalSeconds: number;
  /** Resolves true when the target answers; must answer false (soon) once `signal` aborts. */
  readonly probe: (target: ProbeTarget, timeoutMs: number, signal: AbortSignal) => Promise<boolean>;
  /** Tells the waiting capture worker to open now. */
  readonly open: (reason: OpenReason) => void;
}

/** A connect that takes longer than this counts as unreachable: cameras sit on the LAN. */
const PROBE_TIMEOUT_MAX_MS = 1000;

/**
 * When a capture worker that failed to open (or lost its stream) opens again
 * (issue 17: back within 2 s of the camera's return, whatever the outage
 * length, yet few full opens). The worker waits for `open` from here, so a
 * probe never runs while an open does: probes start only once the worker
 * said it waits, and the one in flight is aborted before `open` is sent.
 *
 * The rule: the backoff timer opens as before; a probe cuts the wait short
 * only on an edge, when it finds the target reachable after a probe found it
 * unreachable (the camera came back), and that open starts a fresh backoff
 * (the worker restarts its attempt count). An rtsp:// camera is probed with
 * an RTSP request, so a frozen server (whose kernel still accepts TCP) reads
 * as gone and its thaw as an edge. A target that stays reachable while opens
 * fail (an RTSP server that refuses the stream, a TCP-only probe of a frozen
 * server) triggers nothing: the capped backoff paces those opens.
 * So each probe-triggered open needs a failed probe before it: at most one
 * per two probe intervals even for a flapping camera, never a tight loop.
 */
export class ReopenScheduler {
  private timer: { unref(): unknown } | null = null;
  private probeTimer: { unref(): unknown } | null = null;
  private probeAbort: AbortController | null = null;
  /** What the last probe found, across waits, until frames flow again; undefined: nothing probed yet. */
  private reachable: boolean | undefined;
  private active = false;

  constructor(private readonly deps: ReopenSchedulerDeps) {}

  /** True while the worker waits for `open`. */
  get waiting(): boolean {
    return this.active;
  }

  /** The worker failed and now waits: open after `seconds`, sooner when the probe sees `target` come back. */
  begin(seconds: number, target: ProbeTarget | null): void {
    this.cancel();
    this.active = true;
    this.timer = this.deps.clock.setTimeout(() => this.fire('backoff'), seconds * 1000);
    this.timer.unref();
    if (target && this.deps.probeIntervalSeconds > 0) this.runProbe(target);
  }

  /** Frames flow: the next outage starts with the target's state unknown. */
  connected(): void {
    this.reachable = undefined;
  }

  /** Stops waiting without opening (stop, or the worker is gone). */
  cancel(): void {
    this.active = false;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    if (this.probeTimer) this.deps.clock.clearTimeout(this.probeTimer);
    this.timer = this.probeTimer = null;
    // Aborting destroys the probe's socket now, before any open is sent.
    this.probeAbort?.abort();
    this.probeAbort = null;
  }

  private fire(reason: OpenReason): void {
    if (!this.active) return;
    this.cancel();
    this.deps.open(reason);
  }

  private runProbe(target: ProbeTarget): void {
    const abort = new AbortController();
    this.probeAbort = abort;
    const timeoutMs = Math.min(PROBE_TIMEOUT_MAX_MS, this.deps.probeIntervalSeconds * 1000);
    void this.deps
      .probe(target, timeoutMs, abort.signal)
      .catch(() => false)
      .then((ok) => this.onProbed(target, abort, ok));
  }

  private onProbed(target: ProbeTarget, abort: AbortController, ok: boolean): void {
    if (abort.signal.aborted || !this.active) return;
    this.probeAbort = null;
    const cameBack = ok && this.reachable === false;
    this.reachable = ok;
    if (cameBack) return this.fire('probe');
    this.probeTimer = this.deps.clock.setTimeout(() => {
      this.probeTimer = null;
      if (this.active) this.runProbe(target);
    }, this.deps.probeIntervalSeconds * 1000);
    this.probeTimer.unref();
  }
}
