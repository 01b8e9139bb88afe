import type { IntervalSetting } from '../config/density-schema.js';
import { AutoInterval } from './auto-interval.js';

/**
 * What the camera's capture gate is told: detect every `interval`-th frame;
 * `movingTracks` keeps motion gating detecting; `wantPixels` false: detected
 * frames may leave their pixels behind (no classification due, issue 16).
 */
export type GatePlan = (interval: number, movingTracks: boolean, wantPixels: boolean, confirming: boolean) => void;

/**
 * One camera's detector plan on the main thread (issue 16): the interval it
 * runs at (fixed, or `auto` from what its queue shows, agent/pipeline/auto-interval.ts)
 * and whether its tracker sees something moving. Whenever either changes the
 * capture gate is told (agent/capture/detection-gate.ts decides per frame).
 */
export class DetectorSchedule {
  private current: number;
  private moving = false;
  private confirming = false;
  private wantPixels = true;
  private readonly auto: AutoInterval | null;
  private fillMax = 0;
  private drops = 0;

  constructor(
    setting: IntervalSetting,
    private readonly queueCapacity: number,
    private readonly tell: GatePlan,
    /** Without a tracker nothing can stand in for a skipped frame: every frame is detected. */
    tracked: boolean,
  ) {
    this.auto = tracked && setting.interval === 'auto' ? new AutoInterval({ maxInterval: setting.maxInterval, queueCapacity }) : null;
    this.current = !tracked || setting.interval === 'auto' ? 1 : setting.interval;
  }

  /** The interval frames are detected at now: the `detector_interval` gauge. */
  get interval(): number {
    return this.current;
  }

  /** The plan as it stands, e.g. for a capture worker that starts or is replaced. */
  announce(): void {
    this.tell(this.current, this.moving, this.wantPixels, this.confirming);
  }

  /** The queue holds `size` frames after a push. */
  queued(size: number): void {
    this.fillMax = Math.max(this.fillMax, size / this.queueCapacity);
  }

  dropped(): void {
    this.drops += 1;
  }

  /** `confirming`: a track waits for confirmation (motion gating then detects every frame, detection-gate.ts). */
  setMoving(moving: boolean, confirming = false): void {
    if (moving === this.moving && confirming === this.confirming) return;
    this.moving = moving;
    this.confirming = confirming;
    this.announce();
  }

  /** Per-track classification: whether a classification is due or about to be (TrackClassifier.note). */
  setWantPixels(want: boolean): void {
    if (want === this.wantPixels) return;
    this.wantPixels = want;
    this.announce();
  }

  /** About once a second: `auto` looks at the window's queue and may move the interval. */
  tick(nowMs: number, queueSize: number): void {
    if (!this.auto) return;
    const next = this.auto.sample({ queueFillMax: Math.max(this.fillMax, queueSize / this.queueCapacity), dropped: this.drops, nowMs });
    this.fillMax = 0;
    this.drops = 0;
    if (next === this.current) return;
    this.current = next;
    this.announce();
  }
}
