import type { Logger } from '../log.js';
import { errorMessage } from '../errors.js';
import { loadSdNotify } from './sd-notify.js';

/** Whether the pipeline deserves a watchdog ping now, and why not. */
export interface Liveness {
  readonly alive: boolean;
  readonly reason?: string;
}

/** While a slow start runs (a TensorRT engine build can take minutes), ask systemd for this much more time, this often. */
const EXTEND_BY_SECONDS = 60;
const EXTEND_EVERY_MS = 20_000;

/**
 * Talks to systemd's service manager (Type=notify): READY=1 once the
 * pipeline is set up, WATCHDOG=1 at half of WatchdogSec= but only while the
 * pipeline is alive (so a wedged inference worker makes systemd restart
 * us), EXTEND_TIMEOUT_USEC during a slow start, STOPPING=1 at shutdown.
 * Outside systemd ($NOTIFY_SOCKET unset) every call does nothing.
 */
export class ServiceNotifier {
  private socket: string | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private lastVerdict = true;

  constructor(
    private readonly logger: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.socket = env.NOTIFY_SOCKET || undefined;
  }

  get enabled(): boolean {
    return this.socket !== undefined;
  }

  /** Sends EXTEND_TIMEOUT_USEC now and every 20 s until `work` settles, then returns its result. */
  async extendWhile<T>(work: Promise<T>, status: string): Promise<T> {
    if (!this.enabled) return work;
    const extend = (): void => this.send(`EXTEND_TIMEOUT_USEC=${EXTEND_BY_SECONDS * 1_000_000}\nSTATUS=${status}`);
    extend();
    const timer = setInterval(extend, EXTEND_EVERY_MS);
    try {
      return await work;
    } finally {
      clearInterval(timer);
    }
  }

  ready(status: string): void {
    this.send(`READY=1\nSTATUS=${status}\nMAINPID=${process.pid}`);
  }

  /** A config reload begins (sd_notify(3) RELOADING=1, with the monotonic time systemd wants); ready() says it is over. */
  reloading(): void {
    this.send(`RELOADING=1\nSTATUS=reloading the config\nMONOTONIC_USEC=${process.hrtime.bigint() / 1000n}`);
  }

  /** Pings at half of $WATCHDOG_USEC while `liveness()` says alive; silent (and logged once) while it does not. */
  startWatchdog(liveness: () => Liveness): void {
    const usec = Number(this.env.WATCHDOG_USEC);
    const pid = this.env.WATCHDOG_PID;
    if (!this.enabled || !Number.isFinite(usec) || usec <= 0 || (pid && Number(pid) !== process.pid)) return;
    const everyMs = Math.max(1, Math.floor(usec / 2000));
    const tick = (): void => {
      const verdict = liveness();
      if (verdict.alive) this.send('WATCHDOG=1');
      if (verdict.alive !== this.lastVerdict) {
        if (verdict.alive) this.logger.info('pipeline alive again; watchdog pings resumed');
        else this.logger.error({ reason: verdict.reason }, 'pipeline not alive; withholding watchdog pings so systemd restarts the agent if it lasts');
        this.lastVerdict = verdict.alive;
      }
    };
    tick();
    this.watchdog = setInterval(tick, everyMs);
    this.logger.info({ intervalMs: everyMs }, 'systemd watchdog pings started');
  }

  stopping(): void {
    clearInterval(this.watchdog);
    this.send('STOPPING=1\nSTATUS=stopping');
  }

  private send(message: string): void {
    if (!this.socket) return;
    const addon = loadSdNotify();
    if (!addon) {
      this.logger.warn('NOTIFY_SOCKET is set but native/sd-notify is not built (npm run build:native); systemd will time out waiting for READY');
      this.socket = undefined;
      return;
    }
    try {
      addon.notify(this.socket, message);
    } catch (err) {
      this.logger.warn({ err: errorMessage(err), message: message.split('\n')[0] }, 'sd_notify failed');
    }
  }
}
