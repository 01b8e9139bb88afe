import { readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { AgentProcess, agentConfigYaml } from '../helpers/agent-process.js';
import { parseMetrics, sampleValue } from '../helpers/metrics-text.js';
import { freePort } from '../helpers/ports.js';
import { PrometheusServer } from '../helpers/prometheus.js';
import { media, REPO_ROOT } from '../helpers/testdata.js';
import { waitFor } from '../helpers/wait.js';

const PROM_DIR = resolve(REPO_ROOT, 'config/prometheus');
const DEVICE = 'edge-rw';
const SITE = 'lab';
const CAMERA = 'plaza';
/** The agent-mode Prometheus scrapes every 2 s (the shipped 15 s would make a 2-minute outage 8 samples). */
const SCRAPE_S = 2;
/** Issue 17: the uplink cut for 2 minutes. */
const OUTAGE_MS = 120_000;
/** A sample counts as missing when two neighbours are further apart than this: one lost scrape makes 2 × the interval. */
const MAX_GAP_S = SCRAPE_S * 1.5;

interface ScrapeConfig {
  job_name: string;
  scrape_interval?: string;
  scrape_timeout?: string;
  static_configs: { targets: string[] }[];
  [key: string]: unknown;
}
interface AgentConfig {
  global: { scrape_interval: string; external_labels: Record<string, string> };
  scrape_configs: ScrapeConfig[];
  remote_write: { url: string; basic_auth?: unknown; [key: string]: unknown }[];
}
interface MatrixSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

/**
 * The shipped agent.yml made fit for a test: 2 s scrapes, this run's agent and
 * own port as targets, this device's labels, and the receiver as the
 * remote_write url without the fleet's credentials. Queue settings (backoff,
 * shards, timeout) stay as shipped, since they decide how the backlog drains.
 */
function pushConfig(agentPort: number, ownPort: number, receiverUrl: string): string {
  const config = parse(readFileSync(resolve(PROM_DIR, 'agent.yml'), 'utf8')) as AgentConfig;
  config.global.scrape_interval = `${SCRAPE_S}s`;
  config.global.external_labels = { device: DEVICE, site: SITE };
  const targets: Record<string, number> = { vigil: agentPort, 'prometheus-agent': ownPort };
  for (const job of config.scrape_configs) {
    const port = targets[job.job_name];
    if (port === undefined) throw new Error(`agent.yml: unexpected job ${job.job_name}`);
    job.static_configs = [{ targets: [`127.0.0.1:${port}`] }];
  }
  expect(config.remote_write).toHaveLength(1);
  const remote = config.remote_write[0]!;
  remote.url = `${receiverUrl}/api/v1/write`;
  delete remote.basic_auth;
  return stringify(config);
}

/**
 * The fleet side: a Prometheus that takes remote writes and evaluates the
 * shipped recording rules on what arrives, as a fleet fed by agent-mode
 * devices must (they evaluate no rules).
 */
function receiverConfig(): string {
  return stringify({ global: { evaluation_interval: `${SCRAPE_S}s` }, rule_files: [resolve(PROM_DIR, 'rules/vigil-recording.yml')] });
}

/**
 * Issue 17, item 6, with real processes: the agent on vtest.avi → Prometheus
 * in agent mode with the shipped agent.yml → a receiving Prometheus
 * (`--web.enable-remote-write-receiver`). The receiver is stopped for 2
 * minutes (the uplink cut: every write refused) and started again on the
 * same port and storage; the agent mode's WAL then replays, and the
 * receiver must hold every scrape of the outage.
 */
describe('Prometheus agent mode: remote_write through a 2-minute uplink outage', () => {
  let agent: AgentProcess | undefined;
  let push: PrometheusServer | undefined;
  let receiver: PrometheusServer | undefined;
  let receiverPort = 0;
  let receiverDir = '';
  /** Unix seconds: the receiver stopped, and started again. */
  let cut = 0;
  let restored = 0;
  /** Seconds from the receiver being back to its newest sample being from after that. */
  let caughtUpAfterS = 0;

  const receiverArgs = ['--web.enable-remote-write-receiver'];

  /** Raw samples of `selector` on the receiver between `from` and `to` (unix s), one series each. */
  async function raw(selector: string, from: number, to: number): Promise<MatrixSeries[]> {
    const res = await receiver!.api<{ resultType: string; result: MatrixSeries[] }>('query', [
      ['query', `${selector}[${Math.ceil(to - from)}s]`],
      ['time', String(to)],
    ]);
    if (res.status !== 'success') throw new Error(`${selector}: ${res.errorType}: ${res.error}`);
    return res.data.result;
  }

  beforeAll(async () => {
    agent = await AgentProcess.start(agentConfigYaml(`  - name: ${CAMERA}\n    url: ${media('vtest.avi')}\n    file_pace: realtime\n`, { extra: `device:\n  id: ${DEVICE}\n  site: ${SITE}\n` }));
    receiverPort = await freePort();
    receiver = await PrometheusServer.start(receiverConfig(), { port: receiverPort, args: receiverArgs });
    receiverDir = receiver.dir;
    const pushPort = await freePort();
    push = await PrometheusServer.start(pushConfig(agent.port, pushPort, receiver.url), { agent: true, port: pushPort });
    const rx = receiver;
    const newest = async (server: PrometheusServer): Promise<number> => {
      const [s] = await server.vector(`timestamp(frames_sent_total{camera="${CAMERA}", device="${DEVICE}"})`);
      return s === undefined ? 0 : Number(s.value[1]);
    };
    const first = await waitFor(newest.bind(null, rx), 'the agent series on the receiver', 30_000, 250).catch((err: Error) => {
      throw new Error(`${err.message}\n--- agent-mode log ---\n${push?.log()}\n--- receiver log ---\n${rx.log()}`);
    });
    // Some scrapes before the cut on the receiver, so the checks see the series run into the outage.
    await waitFor(async () => (await newest(rx)) > first + 6 * SCRAPE_S, '12 s of samples on the receiver', 30_000, 250);

    // The uplink cut: nothing listens at the receiver's address for 2 minutes.
    cut = Date.now() / 1000;
    await receiver.stop({ keepDir: true });
    receiver = undefined;
    // The outage is the fault being tested, not a wait for a condition: it lasts as long as it must.
    await sleep(OUTAGE_MS);
    receiver = await PrometheusServer.start(receiverConfig(), { port: receiverPort, args: receiverArgs, dir: receiverDir });
    restored = Date.now() / 1000;
    const back = receiver;
    await waitFor(
      async () => (await newest(back)) > restored + SCRAPE_S,
      'the receiver caught up with samples from after the restore',
      60_000,
      250,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n--- agent-mode log ---\n${push?.log()}\n--- receiver log ---\n${back.log()}`);
    });
    caughtUpAfterS = Date.now() / 1000 - restored;
    // The checks look at 10 s past the restore: let those scrapes arrive.
    await waitFor(
      async () => {
        const [s] = await back.vector(`timestamp(up{job="vigil", device="${DEVICE}"})`);
        return s !== undefined && Number(s.value[1]) > restored + 6 * SCRAPE_S;
      },
      'scrapes from 12 s after the restore',
      30_000,
      250,
    );
  }, OUTAGE_MS + 180_000);

  afterAll(async () => {
    await push?.stop();
    if (receiver) await receiver.stop();
    else if (receiverDir) rmSync(receiverDir, { recursive: true, force: true });
    await agent?.stop();
  });

  it('has every 2 s scrape of the outage on the receiver, for every series the agent served', async () => {
    // From a few scrapes before the cut to a few after the restore.
    const from = cut - 5 * SCRAPE_S;
    const to = restored + 5 * SCRAPE_S;
    // The agent's series as scraped, not the receiver's own recording-rule outputs (which keep job="vigil" and stop while it is down).
    const series = await raw(`{job="vigil", device="${DEVICE}", __name__!~".+:.+"}`, from, to);
    // Every series of the agent's /metrics (histogram buckets, process metrics), not one picked out.
    expect(series.length).toBeGreaterThan(100);
    const problems: string[] = [];
    for (const s of series) {
      const times = s.values.map(([t]) => t);
      const name = `${s.metric.__name__}${JSON.stringify({ ...s.metric, __name__: undefined, job: undefined, instance: undefined, device: undefined, site: undefined })}`;
      // Present before the cut: a series born inside the window (a first detection of a label) may start later.
      for (let i = 1; i < times.length; i++) if (times[i]! - times[i - 1]! > MAX_GAP_S) problems.push(`${name}: no sample between ${times[i - 1]! - cut} s and ${times[i]! - cut} s after the cut`);
      if (times.at(-1)! < to - MAX_GAP_S) problems.push(`${name}: last sample ${to - times.at(-1)!} s before the window's end`);
    }
    expect(problems.slice(0, 20)).toEqual([]);

    const [frames] = await raw(`frames_sent_total{camera="${CAMERA}", device="${DEVICE}"}`, from, to);
    expect(frames!.metric).toEqual({ __name__: 'frames_sent_total', job: 'vigil', instance: `127.0.0.1:${agent!.port}`, camera: CAMERA, device: DEVICE, site: SITE });
    const times = frames!.values.map(([t]) => t);
    // Every scrape from the first to the last: one per 2 s between them (± 1 for the scrapes' jitter).
    const span = times.at(-1)! - times[0]!;
    expect(Math.abs(times.length - 1 - span / SCRAPE_S), `${times.length} samples over ${span} s`).toBeLessThanOrEqual(1);
    expect(times[0]! - from).toBeLessThanOrEqual(MAX_GAP_S);
    expect(span).toBeGreaterThan(to - from - 2 * MAX_GAP_S);
    // Real numbers, scraped while the receiver was away: the counter kept growing at vtest.avi's 10 fps.
    const values = frames!.values.map(([, v]) => Number(v));
    const during = frames!.values.filter(([t]) => t > cut && t < restored).map(([, v]) => Number(v));
    for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThanOrEqual(values[i - 1]!);
    expect(during.length).toBeGreaterThanOrEqual(Math.floor((restored - cut) / SCRAPE_S) - 1);
    expect(during.at(-1)! - during[0]!).toBeGreaterThan(((restored - cut) * 10) / 2);
  });

  it('answers a range query at the scrape step over the outage with a fresh sample at every step', async () => {
    // timestamp() at each step is the newest sample's time within the lookback: one lost scrape shows as a step whose newest sample is > 1.5 intervals old.
    const res = await receiver!.api<{ result: MatrixSeries[] }>('query_range', [
      ['query', `timestamp(up{job="vigil", device="${DEVICE}"})`],
      ['start', String(Math.floor(cut))],
      ['end', String(Math.ceil(restored))],
      ['step', `${SCRAPE_S}s`],
    ]);
    expect(res.status, res.error).toBe('success');
    const [up] = res.data.result;
    const stale = up!.values.filter(([t, ts]) => t - Number(ts) > MAX_GAP_S).map(([t, ts]) => `${t - cut} s: newest ${t - Number(ts)} s old`);
    expect(up!.values.length).toBeGreaterThanOrEqual(Math.floor((restored - cut) / SCRAPE_S));
    expect(stale).toEqual([]);
    // up is 1 throughout: the agent was scraped; only the uplink was down.
    const ups = await raw(`up{job="vigil", device="${DEVICE}"}`, cut, restored);
    expect(ups[0]!.values.every(([, v]) => v === '1')).toBe(true);
  });

  it('replayed the backlog within seconds, with retries counted and nothing dropped', async () => {
    // max_backoff 5 s: the first retry after the restore comes within 5 s, then the 2-minute backlog drains.
    expect(caughtUpAfterS).toBeLessThan(30);
    const own = parseMetrics(await (await fetch(`${push!.url}/metrics`)).text());
    const labels = { remote_name: 'fleet', url: `http://127.0.0.1:${receiverPort}/api/v1/write` };
    expect(sampleValue(own, 'prometheus_remote_storage_samples_retried_total', labels) ?? 0).toBeGreaterThan(0);
    expect(sampleValue(own, 'prometheus_remote_storage_samples_failed_total', labels) ?? 0).toBe(0);
    expect(sampleValue(own, 'prometheus_remote_storage_samples_dropped_total', labels) ?? 0).toBe(0);
    // For docs/fleet.md: what a sample costs on the wire (snappy-compressed protobuf, as sent).
    const bytes = sampleValue(own, 'prometheus_remote_storage_bytes_total', labels) ?? NaN;
    const sent = sampleValue(own, 'prometheus_remote_storage_samples_total', labels) ?? NaN;
    const retried = sampleValue(own, 'prometheus_remote_storage_samples_retried_total', labels) ?? NaN;
    console.info(`remote_write outage: ${Math.round(restored - cut)} s cut, caught up ${caughtUpAfterS.toFixed(1)} s after the restore; ${sent} samples sent in ${bytes} bytes (${(bytes / sent).toFixed(2)} B/sample), ${retried} retried`);
  });

  it('carries the device labels and its own lag series to the fleet, where the recording rules work on pushed data', async () => {
    const lag = await receiver!.vector(`prometheus_remote_storage_highest_timestamp_in_seconds{job="prometheus-agent", device="${DEVICE}"}`);
    expect(lag).toHaveLength(1);
    // The self-scrape keeps only the few listed series.
    const names = await receiver!.labelValues('__name__', `{job="prometheus-agent"}`);
    for (const name of names) expect(name).toMatch(/^(prometheus_remote_storage_|prometheus_agent_|prometheus_build_info$|up$|scrape_)/);
    const selfSeries = await receiver!.vector(`count({job="prometheus-agent", device="${DEVICE}"})`);
    const vigilSeries = await receiver!.vector(`count({job="vigil", device="${DEVICE}"})`);
    console.info(`remote_write series per device: ${vigilSeries[0]?.value[1]} job="vigil" (1 camera), ${selfSeries[0]?.value[1]} job="prometheus-agent"`);
    const fps = await waitFor(async () => (await receiver!.vector(`camera:frames_processed:rate1m{camera="${CAMERA}", device="${DEVICE}"}`))[0], 'a recording rule on the receiver', 20_000, 500);
    expect(fps.metric).toMatchObject({ job: 'vigil', device: DEVICE, site: SITE });
    expect(Number(fps.value[1])).toBeGreaterThan(0);
  });
});
