import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../helpers/testdata.js';

const PROM_DIR = resolve(REPO_ROOT, 'config/prometheus');
const RULES_DIR = resolve(PROM_DIR, 'rules');

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}
interface RuleTestFile {
  tests: {
    promql_expr_test?: { expr: string; exp_samples: unknown[] }[];
    alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[];
  }[];
}

const readYaml = <T>(file: string): T => parse(readFileSync(file, 'utf8')) as T;
const rules = (file: string): Rule[] => readYaml<RuleFile>(resolve(RULES_DIR, file)).groups.flatMap((g) => g.rules);

/** Runs promtool; its exit status and everything it printed. */
function promtool(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { cwd: PROM_DIR, encoding: 'utf8' });
  return { status: run.status, output: run.stdout + run.stderr };
}

/**
 * The shipped Prometheus files as promtool sees them: valid configs whose
 * rule_files resolve, valid rules, and the rule unit tests passing. The rule
 * tests themselves check values by hand (rates, quantiles from chosen
 * buckets) and that each alert fires for its own fault only.
 */
describe('shipped Prometheus config and rules', () => {
  it.each(['edge.yml', 'fleet.yml'])('promtool check config %s: valid, its rule files found and valid', (file) => {
    const { status, output } = promtool('check', 'config', file);
    expect(status, output).toBe(0);
    expect(output).toMatch(/SUCCESS: 1 rule files found/);
    expect(output).not.toMatch(/FAILED|WARNING/);
  });

  it.each(['vigil-recording.yml', 'vigil-alerts.yml'])('promtool check rules %s', (file) => {
    const { status, output } = promtool('check', 'rules', `rules/${file}`);
    expect(status, output).toBe(0);
    expect(output).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('promtool test rules: recording values and alerts as written in vigil-rules.test.yml', () => {
    const { status, output } = promtool('test', 'rules', 'rules/vigil-rules.test.yml');
    expect(status, output).toBe(0);
    expect(output).toMatch(/SUCCESS/);
  });

  it('names recording rules level:metric:operation and tests every one of them by value', () => {
    const tests = readYaml<RuleTestFile>(resolve(RULES_DIR, 'vigil-rules.test.yml')).tests;
    const tested = new Set(tests.flatMap((t) => (t.promql_expr_test ?? []).filter((p) => p.exp_samples.length > 0).map((p) => p.expr.replace(/\{.*$/, ''))));
    const recorded = rules('vigil-recording.yml');
    expect(recorded.length).toBeGreaterThanOrEqual(10);
    for (const rule of recorded) {
      expect(rule.record, rule.expr).toMatch(/^camera(_[a-z]+)*:[a-z_]+:[a-z0-9_]+$/);
      expect(tested.has(rule.record!), `${rule.record} has a promql_expr_test`).toBe(true);
    }
  });

  it('gives every alert a severity and device-naming annotations, and tests it firing and quiet', () => {
    const tests = readYaml<RuleTestFile>(resolve(RULES_DIR, 'vigil-rules.test.yml')).tests.flatMap((t) => t.alert_rule_test ?? []);
    const alerts = rules('vigil-alerts.yml');
    expect(alerts.map((a) => a.alert).sort()).toEqual(
      expect.arrayContaining([
        'VigilCameraDisconnected',
        'VigilFrameLatencyHigh',
        'VigilFramesDropped',
        'VigilInferenceWorkerRestarts',
        'VigilLineQuiet',
        'VigilMqttDisconnected',
        'VigilNoFramesProcessed',
        'VigilQueueSaturated',
        'VigilTargetDown',
        'VigilZoneOccupancyHigh',
      ]),
    );
    for (const rule of alerts) {
      const name = rule.alert!;
      expect(['critical', 'warning'], name).toContain(rule.labels?.severity);
      for (const key of ['summary', 'description']) expect(rule.annotations?.[key], `${name} ${key}`).toContain('{{ $labels.device }}');
      if (/detector_disconnected|camera(_[a-z]+)*:/.test(rule.expr)) expect(rule.annotations?.summary, name).toContain('{{ $labels.camera }}');
      // Zone and line alerts name theirs: a camera may have several.
      for (const key of ['zone', 'line']) if (new RegExp(`camera_[a-z_]*${key}[a-z_]*:`).test(rule.expr)) expect(rule.annotations?.summary, name).toContain(`{{ $labels.${key} }}`);
      expect(tests.some((t) => t.alertname === name && t.exp_alerts.length > 0), `${name} is tested firing`).toBe(true);
      expect(tests.some((t) => t.alertname === name && t.exp_alerts.length === 0), `${name} is tested quiet`).toBe(true);
    }
  });

  it('federates what the alerts need: the edge job with honor_labels, recording outputs that keep job="vigil"', () => {
    interface ScrapeConfig {
      job_name: string;
      metrics_path?: string;
      honor_labels?: boolean;
      params?: Record<string, string[]>;
    }
    const fleet = readYaml<{ scrape_configs: ScrapeConfig[] }>(resolve(PROM_DIR, 'fleet.yml'));
    const edge = readYaml<{ scrape_configs: ScrapeConfig[]; global: { external_labels: Record<string, string> } }>(resolve(PROM_DIR, 'edge.yml'));
    const federate = fleet.scrape_configs.find((j) => j.job_name === 'vigil-edge')!;
    expect(federate).toMatchObject({ metrics_path: '/federate', honor_labels: true });
    expect(federate.params?.['match[]']).toContain('{job="vigil"}');
    expect(edge.scrape_configs.map((j) => j.job_name)).toContain('vigil');
    expect(Object.keys(edge.global.external_labels).sort()).toEqual(['device', 'site']);
    // One match[] brings the recording outputs too, because they keep job="vigil":
    // they aggregate `without (instance)`, never `by (…)`, which would drop it.
    for (const rule of rules('vigil-recording.yml')) {
      expect(rule.expr, rule.record).toMatch(/without \(instance[,)]/);
      expect(rule.expr, rule.record).not.toMatch(/\bby \(/);
    }
  });
});
