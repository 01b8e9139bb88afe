import { describe, expect, it } from 'vitest';
import { FAULT_KINDS, planChaos } from '../soak/chaos-plan.js';
import { percentile } from '../../agent/util/numbers.js';
import { disconnectEpisodes, faultOutcomes, memoryTimeline, rssSummary, type SoakSample } from '../soak/soak-report.js';

/** A sample at `t` ms: camera `cam` with the given disconnected flag and processed count. */
function sample(t: number, disconnected: number, processed: number, extra: Partial<SoakSample> = {}): SoakSample {
  return { t, scrapeMs: 1, rssBytes: 100 * 2 ** 20, heapUsedBytes: 0, externalBytes: 0, eventLoopP99Seconds: 0.01, mqttConnected: 1, previewClients: 2, cameras: { cam: { disconnected, processed } }, ...extra };
}

describe('soak chaos plan', () => {
  it('is the same for the same seed and different for another', () => {
    expect(planChaos(7, 12)).toEqual(planChaos(7, 12));
    expect(planChaos(7, 12)).not.toEqual(planChaos(8, 12));
  });

  it('has every fault kind once in each round of five, with durations in their ranges', () => {
    const plan = planChaos(42, 15);
    expect(plan).toHaveLength(15);
    for (let round = 0; round < 3; round++) {
      expect(new Set(plan.slice(round * 5, round * 5 + 5).map((f) => f.kind))).toEqual(new Set(FAULT_KINDS));
    }
    for (const f of plan) {
      expect(f.durationMs).toBeGreaterThanOrEqual(2000);
      expect(f.durationMs).toBeLessThanOrEqual(12_000);
      expect(f.gapMs).toBeGreaterThanOrEqual(4000);
    }
    // A freeze outlasts what must notice it: 3 s stall timeout, 7.5 s MQTT keepalive.
    expect(plan.filter((f) => f.kind === 'rtsp_freeze').every((f) => f.durationMs >= 5000)).toBe(true);
    expect(plan.filter((f) => f.kind === 'broker_freeze').every((f) => f.durationMs >= 9000)).toBe(true);
  });
});

describe('soak report maths', () => {
  it('percentile is nearest-rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([5], 99)).toBe(5);
    expect(percentile([], 50)).toBeNaN();
  });

  it('counts disconnect episodes as 0 → 1 transitions, ignoring a missing sample', () => {
    const samples = [sample(0, 0, 1), sample(250, 1, 1), sample(500, 1, 1), sample(750, 0, 2), sample(1000, 1, 2), { ...sample(1250, 0, 2), cameras: {} }, sample(1500, 1, 2)];
    expect(disconnectEpisodes(samples, 'cam')).toBe(2);
  });

  it('times detection from the fault and recovery from the restore, recovery needing new frames', () => {
    const samples = [sample(0, 0, 10), sample(1000, 0, 11), sample(2000, 1, 11), sample(5000, 1, 11), sample(6000, 0, 11), sample(7000, 0, 12)];
    const [outcome] = faultOutcomes({ kind: 'rtsp_kill', at: 500, restoredAt: 5500 }, samples, ['cam'], 2);
    expect(outcome).toMatchObject({ subject: 'cam', durationMs: 5000, detectMs: 1500, recoverMs: 1500 });
    const [never] = faultOutcomes({ kind: 'rtsp_freeze', at: 6500, restoredAt: 6600 }, samples, ['cam'], 2);
    expect(never!.detectMs).toBeNull();
  });

  it('watches mqtt_connected for broker faults and preview_clients for a killed viewer', () => {
    const samples = [sample(0, 0, 1), sample(1000, 0, 1, { mqttConnected: 0, previewClients: 1 }), sample(3000, 0, 1, { mqttConnected: 1, previewClients: 2 })];
    expect(faultOutcomes({ kind: 'broker_kill', at: 0, restoredAt: 2000 }, samples, ['cam'], 2)).toEqual([
      { kind: 'broker_kill', at: 0, durationMs: 2000, subject: 'mqtt', detectMs: 1000, recoverMs: 1000 },
    ]);
    expect(faultOutcomes({ kind: 'viewer_kill', at: 500, restoredAt: 2500 }, samples, ['cam'], 2)[0]).toMatchObject({ subject: 'preview', detectMs: 500, recoverMs: 500 });
  });

  it('RSS growth compares the median of the last fifth with the first fifth after warm-up', () => {
    const mib = (n: number): number => n * 2 ** 20;
    // 100 samples after warm-up: the last 20 at 104 MiB, one spike of 300 in the first window that the median ignores.
    const samples = Array.from({ length: 120 }, (_, i) => sample(i * 1000, 0, i, { rssBytes: i < 20 ? mib(50) : i === 25 ? mib(300) : mib(100 + (i >= 100 ? 4 : 0)) }));
    const rss = rssSummary(samples, 20_000);
    expect(rss.startMiB).toBe(100);
    expect(rss.middleMiB).toBe(100);
    expect(rss.endMiB).toBe(104);
    expect(rss.growthPercent).toBeCloseTo(4, 6);
  });

  it('the memory timeline keeps one sample per interval', () => {
    const samples = Array.from({ length: 40 }, (_, i) => sample(i * 250, 0, i, { heapUsedBytes: 2 ** 20 }));
    const timeline = memoryTimeline(samples, 2000);
    expect(timeline.map((e) => e.t)).toEqual([0, 2, 4, 6, 8]);
    expect(timeline[0]).toEqual({ t: 0, rssMiB: 100, heapMiB: 1, externalMiB: 0 });
  });
});
