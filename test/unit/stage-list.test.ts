import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StageList, type Stage } from '../../agent/lifecycle/stage-list.js';
import type { Logger } from '../../agent/log.js';
import type { Clock } from '../../agent/util/clock.js';

/** Fake timers drive the clock: no test here waits in real time. */
const clock: Clock = {
  now: () => Date.now(),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

interface Recorder {
  readonly events: string[];
  /** Each stage's stop timeout, as it was given. */
  readonly given: Map<string, number>;
  /** When each stage was asked to stop, ms after the stop began. */
  readonly askedAt: Map<string, number>;
}

function stage(name: string, rec: Recorder, behaviour: { start?: () => Promise<void>; stop?: () => Promise<void> | void } = {}): Stage {
  return {
    name,
    start: async () => {
      rec.events.push(`start ${name}`);
      await behaviour.start?.();
    },
    stop: (timeoutMs) => {
      rec.events.push(`stop ${name}`);
      rec.given.set(name, timeoutMs);
      rec.askedAt.set(name, Date.now() - stopBegan);
      return behaviour.stop?.();
    },
  };
}

const hang = (): Promise<void> => new Promise(() => undefined);
let stopBegan = 0;
let rec: Recorder;
let logger: Logger & { warn: ReturnType<typeof vi.fn>; error: ReturnType<typeof vi.fn> };

beforeEach(() => {
  vi.useFakeTimers();
  rec = { events: [], given: new Map(), askedAt: new Map() };
  logger = { warn: vi.fn(), error: vi.fn() } as unknown as typeof logger;
});

afterEach(() => {
  vi.useRealTimers();
});

/** Stops `list` under fake time; answers how long the stop took. */
async function stopAll(list: StageList, budgetMs: number): Promise<number> {
  stopBegan = Date.now();
  let doneAt = Number.NaN;
  const stopping = list.stop(budgetMs).then(() => (doneAt = Date.now()));
  await vi.advanceTimersByTimeAsync(budgetMs + 1000);
  await stopping;
  return doneAt - stopBegan;
}

describe('StageList', () => {
  it('starts in list order and stops in reverse', async () => {
    const list = new StageList(['sinks', 'inference', 'dispatcher', 'capture'].map((n) => stage(n, rec)), logger, clock);
    await list.start(1200);
    await stopAll(list, 1200);
    expect(rec.events).toEqual(['start sinks', 'start inference', 'start dispatcher', 'start capture', 'stop capture', 'stop dispatcher', 'stop inference', 'stop sinks']);
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('gives each stage what is left of the budget less a floor (half the budget shared equally) for each stage after it', async () => {
    const list = new StageList(['a', 'b', 'c'].map((n) => stage(n, rec)), logger, clock);
    await list.start(1200);
    await stopAll(list, 1200);
    // floor = 1200 / (2 × 3) = 200; c stops first with 2 stages after it: 1200 − 2 × 200
    expect(Object.fromEntries(rec.given)).toEqual({ c: 800, b: 1000, a: 1200 });
  });

  it('cuts a hanging stage off at its share: the stages after it still get their floor and stop', async () => {
    const list = new StageList([stage('http', rec), stage('mqtt', rec), stage('capture', rec, { stop: hang })], logger, clock);
    await list.start(1200);
    const took = await stopAll(list, 1200);
    expect(rec.askedAt.get('capture')).toBe(0);
    expect(rec.askedAt.get('mqtt')).toBe(800);
    expect(rec.given.get('mqtt')).toBe(200);
    expect(rec.askedAt.get('http')).toBe(800);
    expect(rec.given.get('http')).toBe(400);
    expect(took).toBe(800);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith({ stage: 'capture', timeoutMs: 800 }, 'stage did not stop in time');
  });

  it('keeps the whole stop within the budget when every stage hangs', async () => {
    const list = new StageList(['a', 'b', 'c'].map((n) => stage(n, rec, { stop: hang })), logger, clock);
    await list.start(1200);
    expect(await stopAll(list, 1200)).toBe(1200);
    expect(Object.fromEntries(rec.given)).toEqual({ c: 800, b: 200, a: 200 });
    expect(logger.warn).toHaveBeenCalledTimes(3);
  });

  it('logs a stop that throws or rejects and stops the rest all the same', async () => {
    const boom = new Error('boom');
    const list = new StageList(
      [
        stage('a', rec),
        stage('b', rec, { stop: () => Promise.reject(boom) }),
        stage('c', rec, {
          stop: () => {
            throw boom;
          },
        }),
      ],
      logger,
      clock,
    );
    await list.start(1200);
    await stopAll(list, 1200);
    expect(rec.events.filter((e) => e.startsWith('stop'))).toEqual(['stop c', 'stop b', 'stop a']);
    expect(logger.error.mock.calls).toEqual([
      [{ stage: 'c', err: boom }, 'stage failed to stop'],
      [{ stage: 'b', err: boom }, 'stage failed to stop'],
    ]);
  });

  it('logs a stop that rejects after it overran, instead of leaving an unhandled rejection', async () => {
    const late = new Error('late');
    const list = new StageList([stage('a', rec, { stop: () => new Promise((_, reject) => setTimeout(() => reject(late), 5000)) })], logger, clock);
    await list.start(1000);
    await stopAll(list, 1000);
    await vi.advanceTimersByTimeAsync(5000);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.error).toHaveBeenCalledWith({ stage: 'a', err: late }, 'stage failed to stop');
  });

  it('when a start fails, stops that stage and the ones before it in reverse, never starts the rest, and rethrows', async () => {
    const bad = new Error('bad model');
    const list = new StageList([stage('http', rec), stage('inference', rec, { start: () => Promise.reject(bad) }), stage('capture', rec)], logger, clock);
    stopBegan = Date.now();
    const starting = list.start(1200);
    const outcome = expect(starting).rejects.toBe(bad);
    await vi.advanceTimersByTimeAsync(2000);
    await outcome;
    expect(rec.events).toEqual(['start http', 'start inference', 'stop inference', 'stop http']);
    // Nothing is left to stop afterwards.
    await stopAll(list, 1200);
    expect(rec.events).toHaveLength(4);
  });
});
