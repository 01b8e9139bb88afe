import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { AgentProcess, agentConfigYaml } from '../helpers/agent-process.js';
import { sampleValue } from '../helpers/metrics-text.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { PrometheusServer, type VectorSample } from '../helpers/prometheus.js';
import { media, REPO_ROOT } from '../helpers/testdata.js';
import { waitFor } from '../helpers/wait.js';

const PROM_DIR = resolve(REPO_ROOT, 'config/prometheus');
const DEVICE = 'edge-test';
const SITE = 'lab';
const CAMERA = 'plaza';
/** A zone over the lower part of the plaza and a line across it, so the zone and line series and their rules exist. */
const SCENE = [
  '    zones:',
  '      - { name: lower, polygon: [[0, 0.4], [1, 0.4], [1, 1], [0, 1]], labels: [person] }',
  '    lines:',
  '      - { name: middle, points: [[0, 0.6], [1, 0.6]], labels: [person] }',
  '',
].join('\n');

interface ScrapeConfig {
  job_name: string;
  scrape_interval?: string;
  scrape_timeout?: string;
  static_configs?: { targets: string[]; labels?: Record<string, string> }[];
  file_sd_configs?: unknown;
  [key: string]: unknown;
}
interface PromConfig {
  global: { scrape_interval?: string; evaluation_interval?: string; external_labels?: Record<string, string> };
  rule_files?: string[];
  scrape_configs: ScrapeConfig[];
  [key: string]: unknown;
}
interface RuleFile {
  groups: { rules: { record?: string; alert?: string; expr: string }[] }[];
}

const shipped = (file: string): PromConfig => parse(readFileSync(resolve(PROM_DIR, file), 'utf8')) as PromConfig;

/**
 * A shipped config made fit for a test: everything at 1 s, rule_files
 * absolute (the generated config lives in a temp folder), and the one job's
 * targets replaced. Scrape settings, honor_labels and match[] stay as shipped.
 */
function testConfig(file: string, job: string, targets: ScrapeConfig['static_configs'], externalLabels?: Record<string, string>): string {
  const config = shipped(file);
  config.global = { ...config.global, scrape_interval: '1s', evaluation_interval: '1s' };
  if (externalLabels) config.global.external_labels = externalLabels;
  config.rule_files = (config.rule_files ?? []).map((f) => resolve(PROM_DIR, f));
  const scrape = config.scrape_configs.find((j) => j.job_name === job);
  if (!scrape) throw new Error(`${file} has no job ${job}`);
  delete scrape.file_sd_configs;
  scrape.static_configs = targets;
  scrape.scrape_interval = '1s';
  scrape.scrape_timeout = '1s';
  return stringify(config);
}

const recordNames = (): string[] =>
  (parse(readFileSync(resolve(PROM_DIR, 'rules/vigil-recording.yml'), 'utf8')) as RuleFile).groups.flatMap((g) => g.rules.map((r) => r.record!));

interface Target {
  expr: string;
}
interface Panel {
  title: string;
  type: string;
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: string | { query: string } }[] };
}

/**
 * What Grafana would send: the dashboard's variables replaced by the test's
 * device and camera, and its interval macros by windows the 1 s scrapes fill.
 */
function grafanaExpand(expr: string): string {
  return expr
    .replace(/\$\{?device\}?/g, DEVICE)
    .replace(/\$\{?camera\}?/g, CAMERA)
    .replace(/\$\{?__rate_interval\}?/g, '1m')
    .replace(/\$\{?__range\}?/g, '5m')
    .replace(/\$\{?__interval\}?/g, '1s');
}

/**
 * The whole chain with real servers: the agent on vtest.avi (with a real
 * Mosquitto, so the MQTT series exist) → an edge Prometheus with the shipped
 * edge.yml and recording rules → a fleet Prometheus with the shipped
 * fleet.yml (its /federate job, honor_labels, match[] and alert rules),
 * queried through its HTTP API as the Grafana dashboard would.
 */
describe('Prometheus federation: agent → edge Prometheus → fleet Prometheus', () => {
  let broker: Mosquitto | undefined;
  let agent: AgentProcess | undefined;
  let edge: PrometheusServer | undefined;
  let fleet: PrometheusServer | undefined;

  beforeAll(async () => {
    broker = await Mosquitto.start();
    agent = await AgentProcess.start(
      agentConfigYaml(`  - name: ${CAMERA}\n    url: ${media('vtest.avi')}\n    file_pace: realtime\n${SCENE}`, {
        extra: `device:\n  id: ${DEVICE}\n  site: ${SITE}\nmqtt:\n  url: ${broker.url()}\n  metrics_interval: 1\n`,
      }),
    );
    edge = await PrometheusServer.start(testConfig('edge.yml', 'vigil', [{ targets: [`127.0.0.1:${agent.port}`] }], { device: DEVICE, site: SITE }));
    fleet = await PrometheusServer.start(testConfig('fleet.yml', 'vigil-edge', [{ targets: [`127.0.0.1:${edge.port}`], labels: { device: DEVICE, site: SITE } }]));
    const fleetServer = fleet;
    // Frames through inference, scraped twice, recorded (each rule group on its own schedule), federated;
    // and a person gone from the zone (walked out, or its track ended in it), so the dwell p95 is a number.
    const federated = async (name: string): Promise<boolean> => (await fleetServer.vector(`${name}{camera="${CAMERA}"}`)).length > 0;
    await waitFor(
      async () =>
        (await fleetServer.vector(`camera:frame_latency_seconds:p95_5m{camera="${CAMERA}"} > 0`)).length > 0 &&
        (await fleetServer.vector(`camera_zone_label:zone_dwell_seconds:p95_15m{camera="${CAMERA}"} > 0`)).length > 0 &&
        (await Promise.all(recordNames().map(federated))).every(Boolean),
      'the p95s and every other recording rule federated to the fleet',
      60_000,
      250,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n--- edge log ---\n${edge?.log()}\n--- fleet log ---\n${fleetServer.log()}`);
    });
  });

  afterAll(async () => {
    await fleet?.stop();
    await edge?.stop();
    await agent?.stop();
    await broker?.stop();
  });

  it('has the agent series on the fleet with the device label, the agent as instance and no exported_* labels', async () => {
    const series = await fleet!.vector(`frames_sent_total{camera="${CAMERA}"}`);
    expect(series).toHaveLength(1);
    const { metric, value } = series[0]!;
    // honor_labels: the edge's job and instance, not the fleet's job and the edge's address.
    expect(metric).toEqual({ __name__: 'frames_sent_total', job: 'vigil', instance: `127.0.0.1:${agent!.port}`, camera: CAMERA, device: DEVICE, site: SITE });
    const federated = Number(value[1]);
    const now = sampleValue(await agent!.metrics(), 'frames_sent_total', { camera: CAMERA })!;
    expect(federated).toBeGreaterThan(0);
    expect(federated).toBeLessThanOrEqual(now);

    const up = await fleet!.vector('up');
    const byJob = Object.fromEntries(up.map((s) => [s.metric.job, s]));
    expect(byJob.vigil?.metric).toEqual({ __name__: 'up', job: 'vigil', instance: `127.0.0.1:${agent!.port}`, device: DEVICE, site: SITE });
    expect(byJob['vigil-edge']?.metric).toEqual({ __name__: 'up', job: 'vigil-edge', instance: `127.0.0.1:${edge!.port}`, device: DEVICE, site: SITE });
    for (const s of up) expect(s.value[1], s.metric.job).toBe('1');
    expect(await fleet!.labelValues('__name__', '{exported_job=~".+"}', '{exported_instance=~".+"}')).toEqual([]);
  });

  it('federates every recording rule for the camera with the device label, the p95 latency a real number of seconds', async () => {
    const value = async (expr: string): Promise<number> => {
      const [sample] = await fleet!.vector(expr);
      if (!sample) throw new Error(`${expr}: nothing on the fleet`);
      return Number(sample.value[1]);
    };
    for (const name of recordNames()) {
      const series = await fleet!.vector(`${name}{camera="${CAMERA}"}`);
      expect(series.length, name).toBeGreaterThan(0);
      for (const s of series) {
        // instance aggregated away, job kept (not the fleet's vigil-edge), device and site from the edge's external labels.
        expect(s.metric, name).toMatchObject({ __name__: name, job: 'vigil', camera: CAMERA, device: DEVICE, site: SITE });
        expect(Object.keys(s.metric).filter((k) => !['__name__', 'job', 'camera', 'device', 'site', 'label', 'reason', 'zone', 'line', 'direction'].includes(k)), name).toEqual([]);
        expect(Number.isFinite(Number(s.value[1])), `${name} ${JSON.stringify(s.metric)} = ${s.value[1]}`).toBe(true);
      }
    }
    const p95 = await value(`camera:frame_latency_seconds:p95_5m{camera="${CAMERA}", device="${DEVICE}"}`);
    const p50 = await value(`camera:frame_latency_seconds:p50_5m{camera="${CAMERA}", device="${DEVICE}"}`);
    // YOLOX-Nano on a CPU: tens of milliseconds; the buckets end at 5 s.
    expect(p95).toBeGreaterThan(0.001);
    expect(p95).toBeLessThan(5);
    expect(p50).toBeLessThanOrEqual(p95);
    const inference = await value(`camera:detector_inference_seconds:p95_5m{camera="${CAMERA}"}`);
    expect(inference).toBeGreaterThan(0.001);
    expect(inference).toBeLessThan(1);
    expect(await value(`camera:frames_processed:rate1m{camera="${CAMERA}"}`)).toBeGreaterThan(0);
    const labels = (await fleet!.vector(`camera_label:objects_detected:rate1m{camera="${CAMERA}"}`)).map((s) => s.metric.label);
    expect(labels).toContain('person');
    const reasons = (await fleet!.vector(`camera_reason:frames_dropped:rate1m{camera="${CAMERA}"}`)).map((s) => s.metric.reason).sort();
    expect(reasons).toEqual(['fps_cap', 'inference_error', 'queue_full']);
    // The zone and line series carry the config's names and the zone's and line's label filter, both directions from the start.
    const crossings = (await fleet!.vector(`camera_line_direction_label:line_crossings:increase1h{camera="${CAMERA}"}`)).map((s) => `${s.metric.line} ${s.metric.direction} ${s.metric.label}`);
    expect(crossings.sort()).toEqual(['middle in person', 'middle out person']);
    const occupancy = await fleet!.vector(`camera_zone_label:zone_objects:avg1m{camera="${CAMERA}"}`);
    expect(occupancy.map((s) => `${s.metric.zone} ${s.metric.label}`)).toEqual(['lower person']);
    // vtest.avi's people stay seconds in the lower plaza, not hours.
    const dwell = await value(`camera_zone_label:zone_dwell_seconds:p95_15m{camera="${CAMERA}"}`);
    expect(dwell).toBeGreaterThan(0);
    expect(dwell).toBeLessThan(600);
  });

  it('evaluates every shipped alert rule on the fleet without error, on series that exist', async () => {
    const groups = await waitFor(
      async () => {
        const g = await fleet!.ruleGroups();
        return g.length > 0 && g.every((group) => group.rules.every((r) => !r.lastEvaluation.startsWith('0001'))) ? g : undefined;
      },
      'every alert rule evaluated once',
      10_000,
    );
    const rules = groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThanOrEqual(10);
    for (const rule of rules) expect(rule.health, `${rule.name}: ${rule.lastError ?? ''}`).toBe('ok');
    // A renamed metric would leave an alert silently watching nothing.
    const names = new Set(await fleet!.labelValues('__name__'));
    const used = new Set(rules.flatMap((r) => [...r.query.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{|==|>|<|\[)/g)].map((m) => m[1]!)));
    used.delete('on');
    // No message is dropped in a healthy run, so the counter has no series yet.
    used.delete('mqtt_messages_dropped_total');
    expect(used.size).toBeGreaterThanOrEqual(8);
    for (const name of used) expect(names.has(name), `${name} on the fleet`).toBe(true);
  });

  it('runs every Grafana panel query and variable of config/grafana/vigil.json on the fleet, with data', async () => {
    const dashboard = JSON.parse(readFileSync(resolve(REPO_ROOT, 'config/grafana/vigil.json'), 'utf8')) as Dashboard;
    const variables = dashboard.templating.list;
    expect(variables.map((v) => v.name)).toEqual(expect.arrayContaining(['datasource', 'device', 'camera']));
    for (const v of variables.filter((v) => v.type === 'query')) {
      const query = typeof v.query === 'string' ? v.query : v.query!.query;
      const m = /^label_values\((.+),\s*(\w+)\)$/.exec(query);
      expect(m, query).not.toBeNull();
      const values = await fleet!.labelValues(m![2]!, grafanaExpand(m![1]!));
      expect(values, query).toContain(v.name === 'device' ? DEVICE : CAMERA);
    }

    const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
    const targets = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: grafanaExpand(t.expr) })));
    expect(targets.length).toBeGreaterThanOrEqual(20);
    // Empty in a healthy run: no alert, no dropped MQTT message.
    const mayBeEmpty = /^ALERTS\{|mqtt_messages_dropped_total/;
    const failures: string[] = [];
    for (const { panel, expr } of targets) {
      expect(expr, `${panel}: a variable left`).not.toMatch(/\$/);
      const res = await fleet!.query(expr);
      if (res.status !== 'success') failures.push(`${panel}: ${expr}: ${res.errorType}: ${res.error}`);
      else if (res.data.result.length === 0 && !mayBeEmpty.test(expr)) failures.push(`${panel}: ${expr}: no data`);
      else if (res.data.result.some((s: VectorSample) => s.metric.device !== undefined && s.metric.device !== DEVICE)) failures.push(`${panel}: ${expr}: another device`);
    }
    expect(failures).toEqual([]);
  });
});
