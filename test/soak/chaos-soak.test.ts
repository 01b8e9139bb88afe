import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, agentConfigYaml } from '../helpers/agent-process.js';
import { parseMetrics, sampleValue, type Sample } from '../helpers/metrics-text.js';
import { Mosquitto, MqttRecorder } from '../helpers/mosquitto.js';
import { freePort } from '../helpers/ports.js';
import { h264TestFile, RtspServer } from '../helpers/rtsp-server.js';
import { media, REPO_ROOT } from '../helpers/testdata.js';
import { waitFor } from '../helpers/wait.js';
import { planChaos, type FaultKind } from './chaos-plan.js';
import { median, percentile } from '../../agent/util/numbers.js';
import { disconnectEpisodes, faultOutcomes, memoryTimeline, rssSummary, type FaultOutcome, type InjectedFault, type SoakSample } from './soak-report.js';
import { SoakViewer } from './soak-viewer.js';

/**
 * The soak: 4 cameras (2 RTSP sessions on the test server, 1 file, 1
 * unreachable URL), MQTT with the spool on, and 2 preview viewers, while a
 * seeded chaos plan kills and freezes the RTSP server and the broker and
 * kills a viewer. The file camera's frame count is the run's length: the
 * short profile (CI) is 1800 frames (~3.5 min), `npm run soak` runs the
 * long one, 18000 frames (~35 min), which first kills the RTSP server for
 * 5 minutes, with the cameras on the default backoff (up to 30 s), and
 * holds the recovery to issue 17's 2 s (asserted < 3 s, from the server's
 * restart). It ends with SIGTERM under that load.
 * The report goes to test-artifacts/soak-report.{json,md}.
 */
const PROFILE = {
  ...(process.env.VIGIL_SOAK_PROFILE === 'long' ? { name: 'long', fileFrames: 18_000, longOutageMs: 300_000 } : { name: 'short', fileFrames: 1800, longOutageMs: 0 }),
  ...(process.env.VIGIL_SOAK_FRAMES ? { fileFrames: Number(process.env.VIGIL_SOAK_FRAMES) } : {}),
};
const SEED = Number(process.env.VIGIL_SOAK_SEED ?? 20261122);
const MIN_FAULTS = 5;
/** Chaos starts after this (ORT arenas, FFmpeg and the viewers are up and warm by then). */
const WARMUP_MS = 60_000;
/**
 * RSS growth is measured from here. RSS keeps settling for minutes after the
 * warm-up (glibc malloc arenas of a dozen threads reaching their working
 * size): the first long run, 2026-11-30, went 565 → 595 MiB by minute 8 and
 * then stayed at 590-606 MiB for the remaining 22 minutes (+0.5 % from the
 * middle to the end), so from minute 1 it read +5.9 % though nothing grew
 * after minute 8. The long profile measures from minute 10 (the report
 * keeps the from-warm-up figure too); the short one, from the warm-up.
 */
const RSS_FROM_MS = PROFILE.name === 'long' ? 600_000 : WARMUP_MS;
const SAMPLE_INTERVAL_MS = 250;
const GAP_AFTER_LONG_OUTAGE_MS = 10_000;
const STALL_SECONDS = 3;
/** The long outage's cameras back off as shipped, so only the reachability probe can bring them back fast. */
const RTSP_RECONNECT = PROFILE.longOutageMs > 0 ? '{ initial_seconds: 0.5, max_seconds: 30 }' : '{ initial_seconds: 0.5, max_seconds: 2 }';
const LONG_OUTAGE_RECOVERY_BOUND_MS = 3000;
const RTSP_CAMERAS = ['rtsp-a', 'rtsp-b'] as const;
const FILE_CAMERA = 'file';
const DEAD_CAMERA = 'unreachable';
const CAMERAS = [...RTSP_CAMERAS, FILE_CAMERA, DEAD_CAMERA];
const DEVICE = 'soak';
const VIEWERS = 2;

/** A fault lasts this long: it is what the soak injects, a duration, not a wait for something to happen. */
const hold = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe(`soak under chaos (${PROFILE.name} profile: ${PROFILE.fileFrames} file frames, seed ${SEED})`, () => {
  let rtsp: RtspServer;
  let broker: Mosquitto;
  let recorder: MqttRecorder;
  let agent: AgentProcess;
  let stateDir: string;
  const viewers: SoakViewer[] = [];
  const samples: SoakSample[] = [];
  let lastScrape: Sample[] = [];
  let sampling = false;
  let startedAt = 0;
  const now = (): number => Date.now() - startedAt;

  async function sampleForever(): Promise<void> {
    while (sampling) {
      const t0 = performance.now();
      try {
        const text = await agent.metricsText();
        const scrapeMs = performance.now() - t0;
        const scrape = parseMetrics(text);
        lastScrape = scrape;
        const value = (name: string, labels: Record<string, string> = {}): number => sampleValue(scrape, name, labels) ?? Number.NaN;
        samples.push({
          t: now(),
          scrapeMs,
          rssBytes: value('process_resident_memory_bytes'),
          heapUsedBytes: value('nodejs_heap_size_used_bytes'),
          externalBytes: value('nodejs_external_memory_bytes'),
          eventLoopP99Seconds: value('nodejs_eventloop_lag_p99_seconds'),
          mqttConnected: value('mqtt_connected'),
          previewClients: value('preview_clients'),
          cameras: Object.fromEntries(
            CAMERAS.map((camera) => [camera, { disconnected: value('detector_disconnected', { camera }), processed: value('classifier_frames_processed_total', { camera }) }]),
          ),
        });
      } catch {
        // The agent is stopping; the loop ends with `sampling`.
      }
      // The sampling cadence, not a wait for a condition.
      await hold(Math.max(0, SAMPLE_INTERVAL_MS - (performance.now() - t0)));
    }
  }

  const latest = (): SoakSample | undefined => samples.at(-1);
  const healthy = (): boolean => {
    const s = latest();
    return !!s && RTSP_CAMERAS.every((c) => s.cameras[c]?.disconnected === 0) && s.mqttConnected === 1 && s.previewClients === VIEWERS;
  };

  async function inject(kind: FaultKind, durationMs: number): Promise<InjectedFault> {
    const at = now();
    switch (kind) {
      case 'rtsp_kill':
        await rtsp.kill();
        await hold(durationMs);
        await rtsp.start();
        break;
      case 'rtsp_freeze':
        rtsp.freeze();
        await hold(durationMs);
        rtsp.thaw();
        break;
      case 'broker_kill':
        await broker.kill('SIGKILL');
        await hold(durationMs);
        await broker.restart();
        break;
      case 'broker_freeze':
        broker.freeze();
        await hold(durationMs);
        broker.thaw();
        break;
      case 'viewer_kill':
        viewers[1]!.kill();
        await hold(durationMs);
        await viewers[1]!.connect();
        break;
    }
    return { kind, at, restoredAt: now() };
  }

  /** The RTSP server killed for `ms`, then restarted: ms from its READY until both RTSP cameras hand on frames again. */
  async function rtspLongOutage(ms: number): Promise<{ fault: InjectedFault; recoverMs: number }> {
    const processed = async (): Promise<number[]> => {
      const scrape = await agent.metrics();
      return RTSP_CAMERAS.map((camera) => sampleValue(scrape, 'frames_sent_total', { camera }) ?? 0);
    };
    const at = now();
    await rtsp.kill();
    await hold(ms);
    const before = await processed();
    await rtsp.start();
    const restoredAt = now();
    await waitFor(async () => (await processed()).every((frames, i) => frames > before[i]!), 'both RTSP cameras back after the long outage', 60_000, 50);
    const recoverMs = Date.now() - rtsp.readyAt;
    await waitFor(healthy, 'recovery from the long outage', 60_000);
    return { fault: { kind: 'rtsp_kill', at, restoredAt }, recoverMs };
  }

  beforeAll(async () => {
    rtsp = new RtspServer(h264TestFile());
    await rtsp.start();
    broker = await Mosquitto.start({ persistence: true });
    const topics = [`vigil/${DEVICE}/metrics`, `vigil/${DEVICE}/status`];
    // The fleet's consumer: a kept session, so what the agent flushes after an outage waits for it.
    recorder = await MqttRecorder.start(broker.url(), topics, { clientId: 'soak-consumer', clean: false, keepalive: 120 });
    await broker.persisted();
    stateDir = mkdtempSync(join(tmpdir(), 'vigil-soak-state-'));
    const camera = (name: string, url: string, reconnect = '{ initial_seconds: 0.5, max_seconds: 2 }'): string =>
      `  - name: ${name}\n    url: ${url}\n    stall_timeout_seconds: ${STALL_SECONDS}\n    reconnect: ${reconnect}\n`;
    const cameras =
      RTSP_CAMERAS.map((name) => camera(name, rtsp.url, RTSP_RECONNECT)).join('') +
      camera(FILE_CAMERA, media('vtest.avi')) +
      camera(DEAD_CAMERA, `rtsp://127.0.0.1:${await freePort()}/nothing`);
    const yaml = agentConfigYaml(cameras, {
      extra:
        `device:\n  id: ${DEVICE}\nstate_dir: ${stateDir}\ncapture:\n  rtsp_timeout_seconds: 1\n` +
        `mqtt:\n  url: ${broker.url()}\n  keepalive_seconds: 5\n  connect_timeout_seconds: 3\n  reconnect: { initial_seconds: 0.5, max_seconds: 2 }\n  metrics_interval: 1\n  spool: true\n`,
    }).replace('log:\n  level: debug', 'log:\n  level: info');
    startedAt = Date.now();
    agent = await AgentProcess.start(yaml);
    sampling = true;
    void sampleForever();
    for (let i = 0; i < VIEWERS; i++) {
      const viewer = new SoakViewer(agent.port, [FILE_CAMERA, RTSP_CAMERAS[0]]);
      await viewer.connect();
      viewers.push(viewer);
    }
  }, 60_000);

  afterAll(async () => {
    sampling = false;
    for (const v of viewers) v.close();
    await agent?.stop();
    await recorder?.stop();
    await broker?.stop();
    await rtsp?.kill();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it('counts every injected disconnect, recovers from each, loses no metrics snapshot, keeps memory flat, and stops cleanly under load', async () => {
    await waitFor(healthy, 'all live cameras, MQTT and both viewers up', WARMUP_MS);
    await hold(WARMUP_MS - now());

    const fileFrames = (): number => latest()?.cameras[FILE_CAMERA]?.processed ?? 0;
    const plan = planChaos(SEED, 10_000);
    const injected: InjectedFault[] = [];
    const unrecovered: string[] = [];
    const longOutage = PROFILE.longOutageMs > 0 ? await rtspLongOutage(PROFILE.longOutageMs) : null;
    if (longOutage) {
      injected.push(longOutage.fault);
      await hold(GAP_AFTER_LONG_OUTAGE_MS);
    }
    while (fileFrames() < PROFILE.fileFrames || injected.length < MIN_FAULTS) {
      const fault = plan[injected.length - (longOutage ? 1 : 0)]!;
      injected.push(await inject(fault.kind, fault.durationMs));
      try {
        await waitFor(healthy, `recovery from ${fault.kind}`, 60_000);
      } catch (err) {
        unrecovered.push(`${fault.kind} at ${injected.at(-1)!.at} ms: ${(err as Error).message}`);
      }
      await hold(fault.gapMs);
    }
    const beforeStop = lastScrape;
    const published = sampleValue(beforeStop, 'mqtt_messages_published_total', { kind: 'metrics' }) ?? 0;

    // SIGTERM with all four cameras, MQTT and both viewers running.
    const stopStarted = Date.now();
    const exitCode = await agent.stop();
    const stopMs = Date.now() - stopStarted;
    sampling = false;

    const metricsTopic = `vigil/${DEVICE}/metrics`;
    const seqs = (): Set<number> => new Set(recorder.on(metricsTopic).map((m) => (JSON.parse(m.payload) as { seq: number }).seq));
    await recorder.waitFor(() => seqs().size >= published, 20_000, `the ${published} snapshots the broker acknowledged`);
    const received = seqs();
    const maxSeq = Math.max(...received);
    const lost = maxSeq - received.size;
    const offline = await MqttRecorder.retained(broker.url(), `vigil/${DEVICE}/status`);
    const spoolFile = join(stateDir, 'mqtt-spool.jsonl');
    const spoolLeft = existsSync(spoolFile) ? readFileSync(spoolFile, 'utf8').split('\n').filter(Boolean).length : 0;

    const outcomes: FaultOutcome[] = injected.flatMap((f) => faultOutcomes(f, samples, RTSP_CAMERAS, VIEWERS));
    const rtspInjections = injected.filter((f) => f.kind === 'rtsp_kill' || f.kind === 'rtsp_freeze').length;
    const chaosFaults = injected.slice(longOutage ? 1 : 0);
    const survivingViewer = viewers[0]!.frameTimes;
    const viewerGaps = survivingViewer.slice(1).map((t, i) => t - survivingViewer[i]!);
    const dropped = beforeStop
      .filter((s) => s.name === 'frames_dropped_total' && s.value > 0)
      .map((s) => ({ camera: s.labels.camera, reason: s.labels.reason, frames: s.value }));
    const rss = rssSummary(samples, RSS_FROM_MS);
    const rssFromWarmup = rssSummary(samples, WARMUP_MS);
    const scrapeMs = samples.map((s) => s.scrapeMs);
    const loopP99Ms = samples.map((s) => s.eventLoopP99Seconds * 1000).filter(Number.isFinite);
    const stat = (values: readonly number[]): { max: number; p95: number } => ({ max: Math.max(...values), p95: percentile(values, 95) });
    const timings = (kinds: readonly FaultKind[]) => {
      const chosen = outcomes.filter((o) => kinds.includes(o.kind));
      return { detectMs: stat(chosen.map((o) => o.detectMs ?? Number.POSITIVE_INFINITY)), recoverMs: stat(chosen.map((o) => o.recoverMs ?? Number.POSITIVE_INFINITY)) };
    };

    const report = {
      profile: PROFILE.name,
      seed: SEED,
      date: new Date().toISOString(),
      durationSeconds: Math.round(now() / 1000),
      framesProcessed: Object.fromEntries(CAMERAS.map((c) => [c, sampleValue(beforeStop, 'classifier_frames_processed_total', { camera: c }) ?? 0])),
      framesDropped: dropped,
      faults: Object.fromEntries(['rtsp_kill', 'rtsp_freeze', 'broker_kill', 'broker_freeze', 'viewer_kill'].map((k) => [k, chaosFaults.filter((f) => f.kind === k).length])),
      ...(longOutage ? { longOutage: { lastedMs: PROFILE.longOutageMs, recoverMsFromRestart: longOutage.recoverMs } } : {}),
      disconnectEpisodes: Object.fromEntries(RTSP_CAMERAS.map((c) => [c, { injected: rtspInjections, detected: disconnectEpisodes(samples, c) }])),
      camera: timings(['rtsp_kill', 'rtsp_freeze']),
      mqtt: { ...timings(['broker_kill', 'broker_freeze']), snapshotsPublished: published, snapshotsReceived: received.size, snapshotsLost: lost },
      preview: { ...timings(['viewer_kill']), survivingViewerFrames: survivingViewer.length, survivingViewerMaxGapMs: Math.max(...viewerGaps) },
      rssMiB: { ...rss, fromSecond: RSS_FROM_MS / 1000 },
      rssMiBFromWarmup: rssFromWarmup,
      memoryTimeline: memoryTimeline(samples, 10_000),
      eventLoopDelayP99Ms: { median: median(loopP99Ms), p99: percentile(loopP99Ms, 99), max: Math.max(...loopP99Ms) },
      metricsScrapeMs: { p50: median(scrapeMs), p99: percentile(scrapeMs, 99) },
      sigterm: { exitCode, stopMs, retainedStatus: offline.payload, spoolLinesLeft: spoolLeft },
      unrecovered,
      outcomes,
    };
    writeReport(report);

    expect(unrecovered).toEqual([]);
    if (longOutage) expect(longOutage.recoverMs).toBeLessThan(LONG_OUTAGE_RECOVERY_BOUND_MS);
    expect(report.framesProcessed[FILE_CAMERA]).toBeGreaterThanOrEqual(PROFILE.fileFrames);
    // Every RTSP fault was seen on both cameras, and nothing else looked like one.
    for (const c of RTSP_CAMERAS) expect(report.disconnectEpisodes[c]).toEqual({ injected: rtspInjections, detected: rtspInjections });
    for (const o of outcomes) {
      expect(o.detectMs, `${o.kind} on ${o.subject} at ${o.at} ms`).not.toBeNull();
      expect(o.recoverMs, `${o.kind} on ${o.subject} at ${o.at} ms`).not.toBeNull();
    }
    expect(report.camera.detectMs.max).toBeLessThanOrEqual((STALL_SECONDS + 2) * 1000);
    // The file camera and the unreachable one do not depend on the server.
    expect(disconnectEpisodes(samples, FILE_CAMERA)).toBe(0);
    expect(lost).toBe(0);
    expect(sampleValue(beforeStop, 'mqtt_messages_dropped_total', { kind: 'metrics', reason: 'buffer_full' }) ?? 0).toBe(0);
    expect(report.preview.survivingViewerMaxGapMs).toBeLessThan(3000);
    // The goal is < 5 % (the long profile holds it to that, from minute 10: RSS_FROM_MS). RSS
    // settles over the first minutes (545 → 558 → 565 MiB over a 6-minute run), so the short
    // profile's two minutes after warm-up only guard against a real leak (~25 MiB a minute would fail it).
    expect(rss.growthPercent).toBeLessThan(PROFILE.name === 'long' ? 5 : 10);
    expect(report.metricsScrapeMs.p99).toBeLessThan(250);
    expect(report.eventLoopDelayP99Ms.p99).toBeLessThan(250);
    expect(exitCode).toBe(0);
    expect(stopMs).toBeLessThan(5000);
    expect(offline.payload).toBe('offline');
    // Published by the agent on its way out, not by the broker as a Last Will.
    expect(broker.log()).toMatch(new RegExp(`Client vigil-${DEVICE} disconnected\\.`));
    expect(spoolLeft).toBe(0);
  }, PROFILE.name === 'long' ? 3 * 3600_000 : 900_000);
});

function writeReport(report: Record<string, unknown> & { outcomes: FaultOutcome[] }): void {
  const dir = join(REPO_ROOT, 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'soak-report.json'), `${JSON.stringify(report, null, 2)}\n`);
  const { outcomes, ...summary } = report;
  const rows = outcomes.map((o) => `| ${o.kind} | ${o.subject} | ${(o.at / 1000).toFixed(1)} | ${o.durationMs} | ${o.detectMs ?? 'never'} | ${o.recoverMs ?? 'never'} |`);
  const text = [
    '# vigil soak report',
    '',
    '```json',
    JSON.stringify(summary, null, 2),
    '```',
    '',
    '| fault | subject | at (s) | lasted (ms) | detected after (ms) | recovered after (ms) |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'soak-report.md'), text);
  console.log(text);
}
