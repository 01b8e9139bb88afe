import type { Logger } from '../log.js';
import { systemClock, type Clock } from '../util/clock.js';

/** One part of the agent that starts and stops as a unit. */
export interface Stage {
  readonly name: string;
  start(): void | Promise<void>;
  /** Should be done within `timeoutMs`, its share of the shutdown budget: the list moves on after that either way. */
  stop(timeoutMs: number): void | Promise<void>;
}

/**
 * The agent as data: stages start in list order (consumers before
 * producers) and stop in reverse, within one shutdown budget. Half of the
 * budget is shared out as an equal floor that every stage is sure to get;
 * the rest goes to whichever stage needs it first. So a stage that hangs
 * costs the ones after it only the slack, never their floor. A stage that
 * overruns or throws is logged and the next one stops all the same.
 */
export class StageList {
  /** Started (or starting) stages, in start order. */
  private started: Stage[] = [];

  constructor(
    private readonly stages: readonly Stage[],
    private readonly logger: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Starts every stage in order. When one fails, it and the ones before it
   * are stopped in reverse within `stopBudgetMs` (a half-started stage
   * cleans up what it did start), then the error is rethrown.
   */
  async start(stopBudgetMs: number): Promise<void> {
    for (const stage of this.stages) {
      this.started.push(stage);
      try {
        await stage.start();
      } catch (err) {
        await this.stop(stopBudgetMs);
        throw err;
      }
    }
  }

  /** Stops the started stages in reverse order, all within `budgetMs`; never throws. */
  async stop(budgetMs: number): Promise<void> {
    const stopping = this.started.reverse();
    this.started = [];
    const deadline = this.clock.now() + budgetMs;
    const floorMs = budgetMs / (2 * Math.max(1, stopping.length));
    for (const [index, stage] of stopping.entries()) {
      const after = stopping.length - index - 1;
      await this.stopOne(stage, Math.max(floorMs, deadline - this.clock.now() - after * floorMs));
    }
  }

  private async stopOne(stage: Stage, timeoutMs: number): Promise<void> {
    let timer: { unref(): unknown } | undefined;
    const overran = new Promise<boolean>((resolve) => {
      timer = this.clock.setTimeout(() => resolve(true), timeoutMs);
    });
    // Settles either way, so a stop that fails after it overran is still logged, never an unhandled rejection.
    const stopped = Promise.resolve()
      .then(() => stage.stop(timeoutMs))
      .then(
        () => false,
        (err: unknown) => {
          this.logger.error({ stage: stage.name, err }, 'stage failed to stop');
          return false;
        },
      );
    try {
      if (await Promise.race([stopped, overran])) this.logger.warn({ stage: stage.name, timeoutMs: Math.round(timeoutMs) }, 'stage did not stop in time');
    } finally {
      if (timer) this.clock.clearTimeout(timer);
    }
  }
}
