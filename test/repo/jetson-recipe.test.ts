/**
 * What can be checked of the Jetson recipe on a machine with no Docker engine,
 * no arm64 and no GPU: Dockerfile.jetson's structure and the files it copies,
 * shellcheck on the scripts, the ONNX Runtime patch's form, the scripts' own
 * argument handling and checks (with stand-in files), the OpenCV/GStreamer
 * check against the system OpenCV, and that the npm binding accepts the
 * TensorRT options object the agent now sends.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../agent/config/schema.js';
import { loadSession } from '../../agent/inference/sessions.js';
import { model, REPO_ROOT } from '../helpers/testdata.js';

// --- a small Dockerfile parser -------------------------------------------------

interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}
interface Stage {
  readonly image: string;
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}
interface Dockerfile {
  /** ARGs before the first FROM, with their defaults. */
  readonly globalArgs: ReadonlyMap<string, string | undefined>;
  readonly stages: Stage[];
}

/** Joins `\` continuations (comment lines inside them are dropped, as Docker does) and splits keyword from arguments. */
function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  let pending: { parts: string[]; line: number } | null = null;
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && pending === null)) return;
    if (trimmed === '' && pending !== null) return;
    const continued = /\\\s*$/.test(line);
    const body = continued ? line.replace(/\\\s*$/, '') : line;
    if (pending === null) pending = { parts: [], line: index + 1 };
    pending.parts.push(body.trim());
    if (!continued) {
      const joined = pending.parts.filter((p) => p !== '').join(' ');
      const match = /^(\S+)\s*(.*)$/.exec(joined);
      if (match) instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2] ?? '', line: pending.line });
      pending = null;
    }
  });
  if (pending !== null) throw new Error('Dockerfile ends inside a line continuation');

  const globalArgs = new Map<string, string | undefined>();
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?\s*$/i.exec(ins.args);
      if (!m) throw new Error(`line ${ins.line}: cannot read FROM ${ins.args}`);
      stages.push({ image: m[1]!, name: m[2], instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword !== 'ARG') throw new Error(`line ${ins.line}: ${ins.keyword} before the first FROM`);
      const [name, ...value] = ins.args.split('=');
      globalArgs.set(name!.trim(), value.length > 0 ? value.join('=') : undefined);
    } else {
      stages[stages.length - 1]!.instructions.push(ins);
    }
  }
  return { globalArgs, stages };
}

interface Copy {
  readonly from: string | undefined;
  readonly sources: string[];
  readonly dest: string;
  readonly line: number;
}

/** COPY/ADD in shell form (`--flag=… src… dest`) or JSON form (`["src", …, "dest"]`). */
function copiesOf(stage: Stage): Copy[] {
  return stage.instructions
    .filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')
    .map((i) => {
      let rest = i.args;
      let from: string | undefined;
      for (;;) {
        const flag = /^--([a-z-]+)(?:=(\S+))?\s+/.exec(rest);
        if (!flag) break;
        if (flag[1] === 'from') from = flag[2];
        rest = rest.slice(flag[0].length);
      }
      const words = rest.trim().startsWith('[') ? (JSON.parse(rest) as string[]) : rest.trim().split(/\s+/);
      if (words.length < 2) throw new Error(`line ${i.line}: ${i.keyword} needs a source and a destination`);
      return { from, sources: words.slice(0, -1), dest: words[words.length - 1]!, line: i.line };
    });
}

const last = <T>(items: readonly T[]): T => {
  const item = items[items.length - 1];
  if (item === undefined) throw new Error('empty list');
  return item;
};
const argsOf = (stage: Stage, keyword: string): string[] => stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

describe('Dockerfile.jetson', () => {
  const text = readFileSync(join(REPO_ROOT, 'Dockerfile.jetson'), 'utf8');
  const docker = parseDockerfile(text);
  const final = last(docker.stages);

  it('the parser joins continuations and reads stages and copies', () => {
    const parsed = parseDockerfile('ARG B=img:1\nFROM ${B} AS one\nRUN a \\\n# comment\n    && b\nCOPY --chown=1:1 x y/ z/\nFROM one\nCOPY --from=one ["/a b", "/c"]\n');
    expect(parsed.globalArgs.get('B')).toBe('img:1');
    expect(parsed.stages.map((s) => [s.image, s.name])).toEqual([
      ['${B}', 'one'],
      ['one', undefined],
    ]);
    expect(parsed.stages[0]!.instructions[0]).toMatchObject({ keyword: 'RUN', args: 'a && b', line: 3 });
    expect(copiesOf(parsed.stages[0]!)).toEqual([{ from: undefined, sources: ['x', 'y/'], dest: 'z/', line: 6 }]);
    expect(copiesOf(parsed.stages[1]!)).toEqual([{ from: 'one', sources: ['/a b'], dest: '/c', line: 8 }]);
    expect(() => parseDockerfile('FROM a\nRUN b \\\n')).toThrow(/continuation/);
  });

  it('is multi-stage on the L4T/JetPack base named by a build ARG', () => {
    expect(docker.globalArgs.get('L4T_BASE')).toMatch(/^nvcr\.io\/nvidia\/l4t-jetpack:r3[56]\.\d+\.\d+$/);
    expect(docker.stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of docker.stages) expect(stage.image).toBe('${L4T_BASE}');
    expect(docker.stages[0]!.name).toBe('build');
  });

  it('copies only files that exist in the repository, and stage copies name earlier stages', () => {
    const names = new Set<string>();
    const missing: string[] = [];
    for (const stage of docker.stages) {
      for (const copy of copiesOf(stage)) {
        if (copy.from !== undefined) {
          expect(names.has(copy.from), `line ${copy.line}: --from=${copy.from} is not an earlier stage`).toBe(true);
          continue;
        }
        for (const source of copy.sources) {
          expect(source, `line ${copy.line}: wildcards are not checked`).not.toMatch(/[*?[]/);
          const path = resolve(REPO_ROOT, source);
          expect(path.startsWith(REPO_ROOT), `line ${copy.line}: ${source} leaves the build context`).toBe(true);
          if (!existsSync(path)) missing.push(`line ${copy.line}: ${source}`);
          else if (source.endsWith('/')) expect(statSync(path).isDirectory(), `${source} is not a folder`).toBe(true);
        }
      }
      if (stage.name) names.add(stage.name);
    }
    expect(missing).toEqual([]);
  });

  it('runs only scripts it copied in, and they exist', () => {
    const build = docker.stages[0]!;
    const scripts = argsOf(build, 'RUN').flatMap((run) => [...run.matchAll(/bash (native\/jetson\/[\w.-]+\.sh)/g)].map((m) => m[1]!));
    expect(new Set(scripts)).toEqual(new Set(['native/jetson/build-onnxruntime.sh', 'native/jetson/build-opencv4nodejs.sh', 'native/jetson/install-onnxruntime-binding.sh']));
    for (const script of scripts) expect(existsSync(join(REPO_ROOT, script)), script).toBe(true);
    expect(copiesOf(build).some((c) => c.sources.includes('native/jetson/'))).toBe(true);
  });

  it('builds every addon in native/ (the folders with a binding.gyp) with the Node it installed', () => {
    const build = docker.stages[0]!;
    const addons = readdirSync(join(REPO_ROOT, 'native')).filter((f) => existsSync(join(REPO_ROOT, 'native', f, 'binding.gyp')));
    expect(addons).toContain('tensor-kernel');
    const copied = copiesOf(build).flatMap((c) => c.sources);
    for (const addon of addons) expect(copied, `native/${addon}/ is not copied into the build stage`).toContain(`native/${addon}/`);
    const runs = argsOf(build, 'RUN').join('\n');
    expect(runs).toMatch(/npm_config_nodedir=\/usr\/local npm run build:native/);
    const buildNative = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['build:native']!;
    for (const addon of addons) expect(buildNative).toContain(`--directory native/${addon}`);
  });

  it('final stage: non-root user, /readyz health check, cache volume, the agent as entry point', () => {
    const users = argsOf(final, 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = last(users).split(':')[0]!;
    expect(['root', '0', '']).not.toContain(user);
    expect(argsOf(final, 'RUN').join('\n')).toMatch(new RegExp(`useradd[^\\n]*--groups video,render[^\\n]*\\b${user}\\b`));

    const health = last(argsOf(final, 'HEALTHCHECK'));
    expect(health).toMatch(/CMD curl -fsS http:\/\/127\.0\.0\.1:9110\/readyz \|\| exit 1$/);
    expect(argsOf(final, 'EXPOSE')).toContain('9110');

    const volumes = argsOf(final, 'VOLUME').flatMap((v) => (v.startsWith('[') ? (JSON.parse(v) as string[]) : v.split(/\s+/)));
    expect(volumes).toContain('/var/cache/vigil');
    const env = argsOf(final, 'ENV').join(' ');
    expect(env).toMatch(/\bCACHE_DIRECTORY=\/var\/cache\/vigil\b/);
    expect(env).toMatch(/\bSTATE_DIRECTORY=\/var\/lib\/vigil\b/);

    expect(JSON.parse(last(argsOf(final, 'ENTRYPOINT')))).toEqual(['node', '/opt/vigil/dist/agent/main.js']);
    expect(JSON.parse(last(argsOf(final, 'CMD')))).toEqual(['run', '--config', '/etc/vigil/agent.yaml']);
    expect(existsSync(join(REPO_ROOT, 'agent/main.ts'))).toBe(true);
    // USER comes after the root-only steps.
    const lastRoot = Math.max(...final.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.line));
    expect(final.instructions.find((i) => i.keyword === 'USER')!.line).toBeGreaterThan(lastRoot);
  });
});

// --- scripts ---------------------------------------------------------------------

const SCRIPTS = [
  ...readdirSync(join(REPO_ROOT, 'native')).filter((f) => f.endsWith('.sh')).map((f) => `native/${f}`),
  ...readdirSync(join(REPO_ROOT, 'native/jetson')).filter((f) => f.endsWith('.sh')).map((f) => `native/jetson/${f}`),
];

describe('native scripts', () => {
  it('pass shellcheck', () => {
    const shellcheck = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' });
    if (shellcheck.error) throw new Error('shellcheck not found: native/setup.sh installs it (apt-get install shellcheck)');
    const result = spawnSync('shellcheck', ['--shell=bash', '--severity=style', ...SCRIPTS], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('(the Jetson ones) are bash with errexit, nounset and pipefail and parse', () => {
    const jetson = SCRIPTS.filter((s) => s.startsWith('native/jetson/'));
    expect(jetson).toHaveLength(3);
    for (const script of jetson) {
      const text = readFileSync(join(REPO_ROOT, script), 'utf8');
      expect(text.startsWith('#!/usr/bin/env bash\n'), script).toBe(true);
      expect(text, script).toMatch(/^set -euo pipefail$/m);
      expect(spawnSync('bash', ['-n', script], { cwd: REPO_ROOT }).status, script).toBe(0);
    }
  });
});

describe('build-onnxruntime.sh', () => {
  const script = join(REPO_ROOT, 'native/jetson/build-onnxruntime.sh');
  const plan = (jetpack: string, env: NodeJS.ProcessEnv = {}): Record<string, string> => {
    const out = execFileSync('bash', [script, '--print-plan', jetpack, '/tmp/vigil-ort-out'], { encoding: 'utf8', env: { ...process.env, ORT_TAG: '', CUDA_ARCHS: '', ...env } });
    return Object.fromEntries(out.split('\n').filter((l) => l !== '').map((l) => (l.startsWith('./build.sh') ? ['command', l] : [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])));
  };

  it('maps each JetPack to an ONNX Runtime tag, its TensorRT and CUDA architectures', () => {
    expect(plan('5')).toMatchObject({ ORT_TAG: 'v1.16.3', TENSORRT: '8.5', CUDA_ARCHS: '72;87' });
    expect(plan('6.0')).toMatchObject({ ORT_TAG: 'v1.17.3', TENSORRT: '8.6', CUDA_ARCHS: '87' });
    expect(plan('6.1')).toMatchObject({ ORT_TAG: 'v1.22.0', TENSORRT: '10.3', CUDA_ARCHS: '87' });
    expect(plan('6.2')).toMatchObject({ ORT_TAG: 'v1.22.0', TENSORRT: '10.3', CUDA_ARCHS: '87' });
    expect(plan('6.1', { ORT_TAG: 'v1.23.2', CUDA_ARCHS: '72;87' })).toMatchObject({ ORT_TAG: 'v1.23.2', CUDA_ARCHS: '72;87' });
  });

  it('passes build.py the TensorRT, CUDA, Node.js and shared-library flags', () => {
    const command = plan('6.1').command!;
    for (const flag of ['--config Release', '--update', '--build', '--parallel', '--skip_tests', '--build_shared_lib', '--build_nodejs', '--use_tensorrt --tensorrt_home /usr/lib/aarch64-linux-gnu', '--cuda_home /usr/local/cuda', '--cudnn_home /usr/lib/aarch64-linux-gnu', 'onnxruntime_BUILD_UNIT_TESTS=OFF']) {
      expect(command).toContain(flag);
    }
    expect(command).toMatch(/--cmake_extra_defines CMAKE_CUDA_ARCHITECTURES=87 onnxruntime_BUILD_UNIT_TESTS=OFF/);
  });

  it('rejects unknown JetPacks and malformed overrides', () => {
    const bad = (args: string[], env: NodeJS.ProcessEnv = {}): string => {
      const r = spawnSync('bash', [script, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
      expect(r.status).not.toBe(0);
      return r.stderr;
    };
    expect(bad(['4.6'])).toMatch(/JETPACK must be 5, 6.0, 6.1 or 6.2/);
    expect(bad(['--print-plan', '6.1'], { ORT_TAG: 'main' })).toMatch(/ORT_TAG must look like/);
    expect(bad(['--print-plan', '6.1'], { CUDA_ARCHS: 'sm_87' })).toMatch(/CUDA_ARCHS must look like/);
  });

  it.skipIf(process.arch === 'arm64')('stops at once on a machine that is not arm64', () => {
    const r = spawnSync('bash', [script, '6.1', join(tmpdir(), 'vigil-ort-never')], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/must run on one/);
    expect(existsSync(join(tmpdir(), 'vigil-ort-never'))).toBe(false);
  });
});

describe('onnxruntime-node-trt-options.patch', () => {
  const text = readFileSync(join(REPO_ROOT, 'native/jetson/onnxruntime-node-trt-options.patch'), 'utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const start = lines.findIndex((l) => l.startsWith('--- '));

  it('is a unified diff of js/node/src/session_options_helper.cc, applied with -p1', () => {
    expect(start).toBeGreaterThanOrEqual(0);
    expect(lines[start]).toBe('--- a/js/node/src/session_options_helper.cc');
    expect(lines[start + 1]).toBe('+++ b/js/node/src/session_options_helper.cc');
    expect(lines.filter((l) => l.startsWith('+++ ')).length).toBe(1);
  });

  it('has hunks whose line counts add up and whose positions agree', () => {
    const hunks: { oldStart: number; oldCount: number; newStart: number; newCount: number; body: string[] }[] = [];
    let i = start + 2;
    while (i < lines.length) {
      const header = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(lines[i]!);
      if (!header) throw new Error(`line ${i + 1} is not a hunk header: ${lines[i]}`);
      const hunk = { oldStart: Number(header[1]), oldCount: Number(header[2] ?? 1), newStart: Number(header[3]), newCount: Number(header[4] ?? 1), body: [] as string[] };
      i++;
      let oldSeen = 0;
      let newSeen = 0;
      while (i < lines.length && (oldSeen < hunk.oldCount || newSeen < hunk.newCount)) {
        const l = lines[i]!;
        if (l.startsWith('\\')) {
          i++;
          continue;
        }
        const kind = l[0];
        if (kind === ' ' || l === '') {
          oldSeen++;
          newSeen++;
        } else if (kind === '-') oldSeen++;
        else if (kind === '+') newSeen++;
        else throw new Error(`line ${i + 1}: unexpected '${l}' inside a hunk`);
        hunk.body.push(l);
        i++;
      }
      expect([oldSeen, newSeen], `hunk at -${hunk.oldStart}`).toEqual([hunk.oldCount, hunk.newCount]);
      hunks.push(hunk);
    }
    expect(hunks.length).toBeGreaterThanOrEqual(1);
    let delta = 0;
    let previousEnd = 0;
    for (const h of hunks) {
      expect(h.newStart, `hunk at -${h.oldStart}`).toBe(h.oldStart + delta);
      expect(h.oldStart).toBeGreaterThan(previousEnd);
      previousEnd = h.oldStart + h.oldCount - 1;
      delta += h.newCount - h.oldCount;
    }
    // Insertions only: no line of ONNX Runtime's file has to match exactly to be removed.
    expect(hunks.flatMap((h) => h.body).filter((l) => l.startsWith('-'))).toEqual([]);
  });

  it('reads the nine keys and hands them to UpdateTensorRTProviderOptions in the tensorrt branch', () => {
    const added = lines.filter((l) => l.startsWith('+') && !l.startsWith('+++')).join('\n');
    const keys = ['trt_fp16_enable', 'trt_engine_cache_enable', 'trt_engine_cache_path', 'trt_timing_cache_enable', 'trt_timing_cache_path', 'trt_max_workspace_size'];
    for (const key of [...keys, 'trt_profile_min_shapes', 'trt_profile_opt_shapes', 'trt_profile_max_shapes']) {
      expect(added).toContain(`"${key}"`);
    }
    expect(added).toContain('UpdateTensorRTProviderOptions(options');
    expect(added).toContain('ReleaseTensorRTProviderOptions(options)');
    const call = lines.findIndex((l) => /^\+\s+UpdateTensorRTOptionsFromObject\(epValue, options\);$/.test(l));
    expect(lines[call - 1]).toBe('       options->device_id = deviceId;');
    expect(lines[call + 1]).toBe('       sessionOptions.AppendExecutionProvider_TensorRT_V2(*options);');
  });
});

describe('install-onnxruntime-binding.sh (stand-in files: the npm package\'s own arm64 libraries)', () => {
  const script = join(REPO_ROOT, 'native/jetson/install-onnxruntime-binding.sh');
  const npm = join(REPO_ROOT, 'node_modules/onnxruntime-node');
  const npmArm64 = join(npm, 'bin/napi-v6/linux/arm64');
  const work = mkdtempSync(join(tmpdir(), 'vigil-ort-install-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** build-onnxruntime.sh's output layout, filled with arm64 ELF files. */
  function fakeBuild(name: string, version: string, napi: string): string {
    const out = join(work, name);
    const bin = join(out, 'onnxruntime-node/bin', napi, 'linux/arm64');
    mkdirSync(bin, { recursive: true });
    mkdirSync(join(out, 'lib'));
    mkdirSync(join(out, 'onnxruntime-common'));
    copyFileSync(join(npmArm64, 'onnxruntime_binding.node'), join(bin, 'onnxruntime_binding.node'));
    copyFileSync(join(npmArm64, 'libonnxruntime.so.1'), join(out, 'lib/libonnxruntime.so.1'));
    for (const p of ['shared', 'cuda', 'tensorrt']) copyFileSync(join(npmArm64, 'libonnxruntime.so.1'), join(out, `lib/libonnxruntime_providers_${p}.so`));
    writeFileSync(join(out, 'onnxruntime-node/package.json'), JSON.stringify({ name: 'onnxruntime-node', version }));
    writeFileSync(join(out, 'onnxruntime-common/package.json'), JSON.stringify({ name: 'onnxruntime-common', version }));
    return out;
  }

  /** An app folder whose onnxruntime-node is the real npm package (x64 binding linked, arm64 copied). */
  function fakeApp(name: string): string {
    const app = join(work, name);
    const pkg = join(app, 'node_modules/onnxruntime-node');
    mkdirSync(join(pkg, 'bin/napi-v6/linux'), { recursive: true });
    copyFileSync(join(npm, 'package.json'), join(pkg, 'package.json'));
    cpSync(join(npm, 'dist'), join(pkg, 'dist'), { recursive: true });
    cpSync(npmArm64, join(pkg, 'bin/napi-v6/linux/arm64'), { recursive: true });
    if (existsSync(join(npm, 'bin/napi-v6/linux/x64'))) symlinkSync(join(npm, 'bin/napi-v6/linux/x64'), join(pkg, 'bin/napi-v6/linux/x64'));
    symlinkSync(join(REPO_ROOT, 'node_modules/onnxruntime-common'), join(app, 'node_modules/onnxruntime-common'));
    return app;
  }

  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync('bash', [script, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

  it('puts a >= 1.22 build into bin/napi-v6/linux/arm64, keeps the npm files once, and Node still loads the package', () => {
    const out = fakeBuild('out-122', '1.22.0', 'napi-v6');
    const app = fakeApp('app-122');
    const result = run([out, app]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const target = join(app, 'node_modules/onnxruntime-node/bin/napi-v6/linux/arm64');
    expect(readdirSync(target).sort()).toEqual(['libonnxruntime.so.1', 'libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so', 'libonnxruntime_providers_tensorrt.so', 'onnxruntime_binding.node']);
    expect(readdirSync(`${target}.npm-orig`).sort()).toEqual(readdirSync(npmArm64).sort());
    expect(result.stdout).toMatch(/npm JavaScript \(\d+\.\d+\.\d+\) drives a 1\.22\.0 binding/);
    expect(result.stdout).toMatch(/^onnxruntime-node \d+\.\d+\.\d+$/m);
    expect(result.stdout).toMatch(/^\[install-onnxruntime\] ok$/m);
  });

  it('refuses a file that is not an arm64 ELF before touching node_modules', () => {
    const out = fakeBuild('out-x86', '1.22.0', 'napi-v6');
    copyFileSync(process.execPath, join(out, 'lib/libonnxruntime_providers_cuda.so'));
    const app = fakeApp('app-x86');
    const result = run([out, app]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/libonnxruntime_providers_cuda\.so is not an arm64 ELF/);
    expect(existsSync(join(app, 'node_modules/onnxruntime-node/bin/napi-v6/linux/arm64.npm-orig'))).toBe(false);
  });

  it('refuses a build older than 1.22 (JetPack 5 / 6.0): vigil reads InferenceSession.inputMetadata', () => {
    const out = fakeBuild('out-116', '1.16.3', 'napi-v3');
    const app = fakeApp('app-116');
    const result = run([out, app]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/inputMetadata/);
    expect(readFileSync(join(app, 'node_modules/onnxruntime-node/package.json'), 'utf8')).toBe(readFileSync(join(npm, 'package.json'), 'utf8'));
  });
});

describe('build-opencv4nodejs.sh --check-only (system OpenCV)', () => {
  it('finds OpenCV through pkg-config and confirms GStreamer in the installed binding', () => {
    const result = spawnSync('bash', [join(REPO_ROOT, 'native/jetson/build-opencv4nodejs.sh'), '--check-only'], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/binding: OpenCV \d+\.\d+\.\d+, GStreamer YES/);
  });
});

describe('the npm binding and the TensorRT options object', () => {
  it('takes the extra keys, falls back past TensorRT, and creates <cache_dir>/tensorrt only when TensorRT is tried', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'vigil-trt-cache-'));
    try {
      const base = { detector: { model: 'm', labels: 'l' }, cameras: [{ name: 'c', url: 'u' }] };
      const cpuOnly = configSchema.parse({ ...base, inference: { providers: ['cpu'] } }).inference;
      const cpu = await loadSession(model('yolox_nano.onnx'), cpuOnly, cacheDir);
      expect(cpu.provider).toBe('cpu');
      expect(existsSync(join(cacheDir, 'tensorrt'))).toBe(false);
      await cpu.session.release();

      const withTrt = configSchema.parse({ ...base, inference: { providers: ['tensorrt', 'cpu'], tensorrt: { max_workspace_bytes: 1 << 30 } } }).inference;
      const loaded = await loadSession(model('yolox_nano.onnx'), withTrt, cacheDir);
      if (loaded.provider === 'tensorrt') return; // a machine with TensorRT: nothing to fall back from
      expect(loaded.provider).toBe('cpu');
      expect(loaded.fallbacks).toHaveLength(1);
      expect(loaded.fallbacks[0]).toMatch(/^tensorrt: /);
      expect(statSync(join(cacheDir, 'tensorrt')).isDirectory()).toBe(true);
      await loaded.session.release();
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
