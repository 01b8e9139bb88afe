import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { ErrorCode, VigilError } from '../errors.js';
import { substituteEnv, type SubstitutionIssue } from './env-substitution.js';
import { configSchema, type VigilConfig } from './schema.js';

export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
  readonly value?: unknown;
}

/** Thrown with every problem at once, so an operator fixes the file in one pass. */
export class ConfigError extends VigilError {
  constructor(
    readonly file: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(ErrorCode.CONFIG_INVALID, `${file}: ${issues.length} config error(s)\n${issues.map(formatIssue).join('\n')}`);
  }
}

export function formatIssue(issue: ConfigIssue): string {
  const got = issue.value === undefined ? '' : ` (got ${formatValue(issue.value)})`;
  return `${issue.path || '<root>'}: ${issue.message}${got}`;
}

function formatValue(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Reads, substitutes ${ENV}, validates and freezes the config; relative paths resolve against the file's folder. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Readonly<VigilConfig> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new VigilError(ErrorCode.CONFIG_READ, `cannot read config file ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseConfig(text, file, env);
}

export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): Readonly<VigilConfig> {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? `line ${err.linePos[0].line}` : '<yaml>';
    throw new ConfigError(file, [{ path: where, message: (err as Error).message.split('\n')[0] ?? 'invalid YAML' }]);
  }
  const substitutionIssues: SubstitutionIssue[] = [];
  const typedReferences = new Map<string, string>();
  let substituted = withSystemdDefaults(substituteEnv(raw ?? {}, env, substitutionIssues, typedReferences), env);
  const issues: ConfigIssue[] = substitutionIssues.map((i) => ({ path: i.path.join('.'), message: i.message, value: i.value }));

  let result = configSchema.safeParse(substituted);
  if (!result.success) {
    const restored = restoreStringReferences(substituted, result.error.issues, typedReferences);
    if (restored) result = configSchema.safeParse((substituted = restored));
  }
  if (!result.success) issues.push(...result.error.issues.flatMap((i) => zodIssue(i, substituted)));
  if (issues.length > 0 || !result.success) throw new ConfigError(file, issues);

  const config = resolvePaths(result.data, dirname(resolve(file)), issues);
  if (issues.length > 0) throw new ConfigError(file, issues);
  return deepFreeze(config);
}

/**
 * Under systemd, StateDirectory= and CacheDirectory= set $STATE_DIRECTORY and
 * $CACHE_DIRECTORY (colon-separated when several): the first of each is vigil's.
 */
function withSystemdDefaults(config: unknown, env: NodeJS.ProcessEnv): unknown {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) return config;
  const defaults: Record<string, string> = {};
  const stateDirectory = env.STATE_DIRECTORY?.split(':')[0];
  const cacheDirectory = env.CACHE_DIRECTORY?.split(':')[0];
  if (stateDirectory && !('state_dir' in config)) defaults.state_dir = stateDirectory;
  if (cacheDirectory && !('cache_dir' in config)) defaults.cache_dir = cacheDirectory;
  return { ...config, ...defaults };
}

/**
 * `password: ${MQTT_PASSWORD}` with MQTT_PASSWORD=123456 was typed as a
 * number; where the schema wants a string, put the text back as it was
 * (leading zeros included). Returns undefined when there is nothing to restore.
 */
function restoreStringReferences(input: unknown, zodIssues: readonly z.core.$ZodIssue[], typed: ReadonlyMap<string, string>): unknown {
  const wantsString = zodIssues.filter((i) => i.code === 'invalid_type' && i.expected === 'string' && typed.has(i.path.join('.')));
  if (wantsString.length === 0) return undefined;
  const copy = structuredClone(input);
  for (const issue of wantsString) {
    const parent = valueAt(copy, issue.path.slice(0, -1)) as Record<PropertyKey, unknown>;
    const key = issue.path[issue.path.length - 1];
    if (key !== undefined) parent[key] = typed.get(issue.path.join('.'));
  }
  return copy;
}

function zodIssue(issue: z.core.$ZodIssue, input: unknown): ConfigIssue[] {
  const path = issue.path.map(String).join('.');
  const value = valueAt(input, issue.path);
  if (issue.code === 'unrecognized_keys') {
    // An empty key would otherwise print as the whole document's issue ("<root>").
    const named = (key: string): string => (key === '' ? '""' : key);
    return issue.keys.map((key) => ({ path: path ? `${path}.${named(key)}` : named(key), message: 'unknown key' }));
  }
  // A missing value fails a union (url: string | string[]) as well as a plain type check.
  if (value === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_union')) return [{ path, message: 'required' }];
  return [{ path, message: issue.message, value }];
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let node = input;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** Model and label files are checked here so a typo fails at startup with its key path, not mid-pipeline. */
function resolvePaths(config: VigilConfig, base: string, issues: ConfigIssue[]): VigilConfig {
  const file = (path: string, value: string): string => {
    const absolute = isAbsolute(value) ? value : resolve(base, value);
    if (!existsSync(absolute)) issues.push({ path, message: `file not found: ${absolute}`, value });
    else if (!statSync(absolute).isFile()) issues.push({ path, message: `not a regular file: ${absolute}`, value });
    return absolute;
  };
  const media = (url: string): string => (url.includes('!') || /^[a-z][a-z0-9+.-]*:\/\//i.test(url) || isAbsolute(url) ? url : resolve(base, url));
  return {
    ...config,
    detector: { ...config.detector, model: file('detector.model', config.detector.model), labels: file('detector.labels', config.detector.labels) },
    classifier: config.classifier && {
      ...config.classifier,
      model: file('classifier.model', config.classifier.model),
      labels: file('classifier.labels', config.classifier.labels),
    },
    cameras: config.cameras.map((cam) => ({ ...cam, url: Array.isArray(cam.url) ? cam.url.map(media) : media(cam.url) })),
    mqtt: config.mqtt && { ...config.mqtt, tls: config.mqtt.tls && resolveTlsFiles(config.mqtt.tls, file) },
    state_dir: config.state_dir === undefined ? undefined : resolve(base, config.state_dir),
    cache_dir: config.cache_dir === undefined ? undefined : resolve(base, config.cache_dir),
  };
}

type TlsConfig = NonNullable<NonNullable<VigilConfig['mqtt']>['tls']>;

function resolveTlsFiles(tls: TlsConfig, file: (path: string, value: string) => string): TlsConfig {
  const optional = (key: 'ca' | 'cert' | 'key'): string | undefined => (tls[key] === undefined ? undefined : file(`mqtt.tls.${key}`, tls[key]));
  return { ...tls, ca: optional('ca'), cert: optional('cert'), key: optional('key') };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
