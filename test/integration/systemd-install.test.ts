import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentConfigYaml } from '../helpers/agent-process.js';
import { NotifySocket } from '../helpers/notify-socket.js';
import { media, REPO_ROOT } from '../helpers/testdata.js';
import { waitFor } from '../helpers/wait.js';

const INSTALL = join(REPO_ROOT, 'systemd/install.sh');

function install(root: string, action = 'install', ...options: string[]): string {
  return execFileSync('bash', [INSTALL, action, ...options], { env: { ...process.env, DESTDIR: root }, encoding: 'utf8' });
}

/** Every file under `dir` with its size and mode, for comparing two installs. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const st = statSync(path, { throwIfNoEntry: false });
        out.push(`${relative(dir, path)} ${st?.size ?? 'link'} ${(st?.mode ?? 0).toString(8)}`);
      }
    }
  };
  walk(dir);
  return out.sort();
}

/** systemd/install.sh installing vigil and its unit into a throwaway root (DESTDIR); the unit file itself is test/repo/systemd-unit.test.ts. */
describe('systemd install script', () => {
  let root: string;
  /** /etc/vigil/agent.yaml as the first install wrote it. */
  let installedConfig = '';

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'vigil-root-'));
    mkdirSync(join(root, 'etc'));
    // useradd --prefix edits the throwaway root's account files: start from copies of this machine's.
    for (const file of ['passwd', 'group', 'shadow', 'gshadow']) copyFileSync(join('/etc', file), join(root, 'etc', file));
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('installs user, app, config and an enabled unit, idempotently', () => {
    const first = install(root);
    expect(first).toContain('creating system user vigil');
    const passwd = readFileSync(join(root, 'etc/passwd'), 'utf8');
    expect(passwd).toMatch(/^vigil:x:\d+:\d+::\/var\/lib\/vigil:\/usr\/sbin\/nologin$/m);
    expect(readFileSync(join(root, 'etc/group'), 'utf8')).toMatch(/^video:x:\d+:.*\bvigil\b/m);
    expect(existsSync(join(root, 'opt/vigil/dist/agent/main.js'))).toBe(true);
    expect(existsSync(join(root, 'opt/vigil/native/sd-notify/build/Release/sd_notify.node'))).toBe(true);
    expect(existsSync(join(root, 'opt/vigil/native/tensor-kernel/build/Release/tensor_kernel.node'))).toBe(true);
    expect(existsSync(join(root, 'opt/vigil/node_modules/vitest')), 'dev packages pruned').toBe(false);
    expect(statSync(join(root, 'etc/vigil/credentials')).mode & 0o777).toBe(0o700);
    expect(statSync(join(root, 'etc/vigil/agent.yaml')).mode & 0o777).toBe(0o640);
    expect(readFileSync(join(root, 'etc/systemd/system/vigil.service'), 'utf8')).toContain('ExecStart=');
    expect(lstatSync(join(root, 'etc/systemd/system/multi-user.target.wants/vigil.service')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(root, 'etc/vigil/agent.yaml'), 'utf8')).toContain('model: /opt/vigil/models/yolox_nano.onnx');
    expect(existsSync(join(root, 'opt/vigil/models/yolox_nano.onnx'))).toBe(true);
    // Editors find the installed JSON Schema, and the README's links into docs/ resolve on the device.
    expect(readFileSync(join(root, 'etc/vigil/agent.yaml'), 'utf8')).toMatch(/^# yaml-language-server: \$schema=\/opt\/vigil\/config\/agent\.schema\.json$/m);
    expect(existsSync(join(root, 'opt/vigil/config/agent.schema.json'))).toBe(true);
    expect(existsSync(join(root, 'opt/vigil/docs/configuration.md'))).toBe(true);
    expect(existsSync(join(root, 'opt/vigil/dist/agent/preview/viewer/index.html')), 'the preview viewer').toBe(true);
    expect(existsSync(join(root, 'opt/vigil/dist/bench')), 'no benchmark on a device').toBe(false);

    installedConfig = readFileSync(join(root, 'etc/vigil/agent.yaml'), 'utf8');
    // The operator's config survives an upgrade; the second run changes nothing else.
    writeFileSync(join(root, 'etc/vigil/agent.yaml'), '# edited by the operator\n');
    const before = tree(root);
    const second = install(root);
    expect(second).toContain('user vigil exists');
    expect(second).toContain('keeping /etc/vigil/agent.yaml');
    expect(readFileSync(join(root, 'etc/vigil/agent.yaml'), 'utf8')).toBe('# edited by the operator\n');
    expect(tree(root)).toEqual(before);
  }, 120_000);

  it('adds the Prometheus agent with --with-prometheus-agent: its config written once, its unit enabled, its secrets folder root-only', () => {
    const first = install(root, 'install', '--with-prometheus-agent');
    expect(first).toContain('wrote /etc/vigil/prometheus-agent.yml');
    const configFile = join(root, 'etc/vigil/prometheus-agent.yml');
    // The device label defaults to the hostname, as the agent's device.id does; the rest is the shipped file.
    const config = readFileSync(configFile, 'utf8');
    expect(config).toMatch(new RegExp(`^    device: ${hostname()}$`, 'm'));
    expect(config.replace(/^( {4}device| {6}username): .*$/gm, '$1: X')).toBe(readFileSync(join(REPO_ROOT, 'config/prometheus/agent.yml'), 'utf8').replace(/^( {4}device| {6}username): .*$/gm, '$1: X'));
    const check = spawnSync('promtool', ['check', 'config', '--agent', configFile], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    // Readable by the unit's dynamic user; the password lives in the credentials folder, root only.
    expect(statSync(configFile).mode & 0o777).toBe(0o644);
    expect(statSync(join(root, 'etc/vigil/credentials/prometheus-agent')).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(root, 'etc/systemd/system/vigil-prometheus-agent.service'), 'utf8')).toBe(readFileSync(join(REPO_ROOT, 'systemd/vigil-prometheus-agent.service'), 'utf8'));
    expect(lstatSync(join(root, 'etc/systemd/system/multi-user.target.wants/vigil-prometheus-agent.service')).isSymbolicLink()).toBe(true);
    // The operator's edits survive an upgrade, and a second run changes nothing.
    writeFileSync(configFile, '# edited by the operator\n');
    const before = tree(root);
    expect(install(root, 'install', '--with-prometheus-agent')).toContain('keeping /etc/vigil/prometheus-agent.yml');
    expect(readFileSync(configFile, 'utf8')).toBe('# edited by the operator\n');
    expect(tree(root)).toEqual(before);
    expect(() => install(root, 'install', '--with-prometheus')).toThrow(/usage:/);
  }, 120_000);

  it('runs from the installed tree: validates its config and reports READY to systemd', async () => {
    const main = join(root, 'opt/vigil/dist/agent/main.js');
    // The example config as installed, with its models under the throwaway root's /opt/vigil/models.
    const installed = installedConfig.replaceAll('/opt/vigil/models', join(root, 'opt/vigil/models'));
    writeFileSync(join(root, 'example.yaml'), installed);
    expect(execFileSync(process.execPath, [main, '--validate-config', join(root, 'example.yaml')], { encoding: 'utf8' })).toContain('valid');
    const config = join(root, 'tmp-agent.yaml');
    writeFileSync(config, agentConfigYaml(`  - name: plaza\n    url: ${media('vtest.avi')}\n`));
    const socket = await NotifySocket.start();
    const child = spawn(process.execPath, [main, 'run', '--config', config], { env: { ...process.env, ...socket.env() }, stdio: ['ignore', 'pipe', 'ignore'] });
    let log = '';
    child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
    try {
      await waitFor(() => socket.withKey('READY').length > 0, 'READY=1 from the installed agent', 30_000);
      // The installed tree serves the preview page and its script (read from dist/agent/preview/viewer/ at start).
      const listening = await waitFor(() => log.split('\n').find((line) => line.includes('"http server listening"')), 'the http server log line', 10_000);
      const port = (JSON.parse(listening) as { port: number }).port;
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<script type="module" src="/viewer.js">');
      const script = await fetch(`http://127.0.0.1:${port}/viewer.js`);
      expect(script.status).toBe(200);
      expect(await script.text()).toContain('vigilPreview');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      socket.stop();
      rmSync(config);
    }
    expect(socket.withKey('STOPPING').length).toBe(1);
  }, 60_000);

  it('uninstalls the app and unit but keeps config, then purges everything', () => {
    install(root, 'uninstall');
    expect(existsSync(join(root, 'opt/vigil'))).toBe(false);
    expect(existsSync(join(root, 'etc/systemd/system/vigil.service'))).toBe(false);
    expect(lstatSync(join(root, 'etc/systemd/system/multi-user.target.wants/vigil.service'), { throwIfNoEntry: false })).toBeUndefined();
    expect(existsSync(join(root, 'etc/vigil/agent.yaml'))).toBe(true);
    expect(existsSync(join(root, 'etc/systemd/system/vigil-prometheus-agent.service'))).toBe(false);
    expect(lstatSync(join(root, 'etc/systemd/system/multi-user.target.wants/vigil-prometheus-agent.service'), { throwIfNoEntry: false })).toBeUndefined();
    expect(existsSync(join(root, 'etc/vigil/prometheus-agent.yml'))).toBe(true);
    install(root, 'purge');
    expect(existsSync(join(root, 'etc/vigil'))).toBe(false);
    expect(readFileSync(join(root, 'etc/passwd'), 'utf8')).not.toMatch(/^vigil:/m);
    expect(readFileSync(join(root, 'etc/group'), 'utf8')).not.toMatch(/^vigil:/m);
  }, 60_000);
});
