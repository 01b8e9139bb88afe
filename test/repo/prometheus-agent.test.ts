import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../helpers/testdata.js';

const AGENT_YML = resolve(REPO_ROOT, 'config/prometheus/agent.yml');
const UNIT = resolve(REPO_ROOT, 'systemd/vigil-prometheus-agent.service');

interface AgentConfig {
  global: { scrape_interval: string; external_labels: Record<string, string> };
  scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
  remote_write: { url: string; basic_auth?: { username: string; password_file: string }; queue_config?: Record<string, unknown> }[];
  rule_files?: unknown;
}

/** `Key=value` lines of the unit (continuation lines joined), value by key. */
function directives(file: string): (key: string) => string[] {
  const lines = readFileSync(file, 'utf8').replace(/\\\n\s*/g, ' ').split('\n');
  const all = lines.filter((l) => /^[A-Za-z]+=/.test(l));
  return (key) => all.filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));
}

/**
 * config/prometheus/agent.yml and systemd/vigil-prometheus-agent.service as
 * shipped (issue 17): a valid agent-mode config and a unit that runs it where
 * install.sh puts it. The data path through a real agent-mode Prometheus is
 * test/integration/prometheus-remote-write.test.ts; installing,
 * test/integration/systemd-install.test.ts.
 */
describe('Prometheus agent: shipped config and unit', () => {
  it('promtool check config --agent accepts agent.yml', () => {
    const run = spawnSync('promtool', ['check', 'config', '--agent', AGENT_YML], { encoding: 'utf8' });
    const output = run.stdout + run.stderr;
    expect(run.status, output).toBe(0);
    expect(output).toMatch(/SUCCESS/);
    expect(output).not.toMatch(/FAILED|WARNING/);
  });

  it('scrapes the agent on loopback, labels the device and site, and pushes with retries to one remote_write', () => {
    const config = parse(readFileSync(AGENT_YML, 'utf8')) as AgentConfig;
    // The fleet's 1m rates need at least 4 samples.
    expect(config.global.scrape_interval).toBe('15s');
    expect(Object.keys(config.global.external_labels).sort()).toEqual(['device', 'site']);
    const vigil = config.scrape_configs.find((j) => j.job_name === 'vigil');
    expect(vigil?.static_configs).toEqual([{ targets: ['127.0.0.1:9110'] }]);
    // Agent mode evaluates no rules: a rule_files key would be refused at start.
    expect(config.rule_files).toBeUndefined();
    expect(config.remote_write).toHaveLength(1);
    const [remote] = config.remote_write;
    expect(remote!.url).toMatch(/^https:\/\/.+\/api\/v1\/write$/);
    expect(remote!.queue_config).toMatchObject({ max_backoff: '5s' });
  });

  it('passes systemd-analyze verify', () => {
    const result = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' });
    expect(result.stderr.trim()).toBe('');
    expect(result.status).toBe(0);
  });

  it('runs agent mode on the installed config, WAL in its StateDirectory, password by LoadCredential, as a dynamic user', () => {
    const value = directives(UNIT);
    const [exec] = value('ExecStart');
    expect(exec).toMatch(/^\/usr\/bin\/prometheus /);
    const flag = (name: string): string | undefined => new RegExp(`--${name.replaceAll('.', '\\.')}=(\\S+)`).exec(exec!)?.[1];
    expect(flag('enable-feature')).toBe('agent');
    // install.sh writes the config there.
    expect(flag('config.file')).toBe('/etc/vigil/prometheus-agent.yml');
    expect(value('StateDirectory')).toEqual(['vigil-prometheus-agent']);
    expect(flag('storage.agent.path')).toBe('/var/lib/vigil-prometheus-agent');
    // Loopback only; the self-scrape job in agent.yml reads this port.
    expect(flag('web.listen-address')).toBe('127.0.0.1:9099');
    const config = parse(readFileSync(AGENT_YML, 'utf8')) as AgentConfig;
    expect(config.scrape_configs.find((j) => j.job_name === 'prometheus-agent')?.static_configs).toEqual([{ targets: ['127.0.0.1:9099'] }]);
    // LoadCredential=<prefix>:<folder> makes <prefix>_<file> in the unit's credentials directory.
    const [credential] = value('LoadCredential');
    const [prefix, folder] = credential!.split(':');
    expect(folder).toBe('/etc/vigil/credentials/prometheus-agent');
    expect(config.remote_write[0]!.basic_auth?.password_file).toBe(`/run/credentials/vigil-prometheus-agent.service/${prefix}_remote-write-password`);
    for (const [key, want] of Object.entries({ DynamicUser: 'yes', ProtectSystem: 'strict', NoNewPrivileges: 'yes', Restart: 'always', CapabilityBoundingSet: '' })) {
      expect(value(key), key).toEqual([want]);
    }
    expect(value('ExecReload')).toEqual(['/bin/kill -HUP $MAINPID']);
  });
});
