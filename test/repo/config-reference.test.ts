import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { substituteEnv, type SubstitutionIssue } from '../../agent/config/env-substitution.js';
import { parseConfig } from '../../agent/config/load.js';
import { configSchema } from '../../agent/config/schema.js';
import { configKeys } from '../../tools/config-keys.js';
import { editorSchemaText, GENERATE_COMMAND, JSON_SCHEMA_FILE, REFERENCE_FILE, referenceMarkdown } from '../../tools/config-reference.js';
import { MODELS, REPO_ROOT } from '../helpers/testdata.js';

/**
 * The config schema (agent/config/) is the one source of the config's docs:
 * the generated reference and JSON Schema must be what the generator makes
 * of it now, and the example file must show every key with its default.
 */

const EXAMPLE_FILE = 'config/agent.example.yaml';
const read = (file: string): string => readFileSync(join(REPO_ROOT, file), 'utf8');
const example = read(EXAMPLE_FILE);
const env = { VIGIL_MODELS: MODELS };

/** The example's convention: `# key: value` is a key left out; deleting `# ` sets it. */
const withCommentedKeysSet = (text: string): string => text.replace(/^([ \t]*)# ([ \t]*[a-z][a-z0-9_]*:(?:[ \t]|$))/gm, '$1$2');

const isMapping = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Every value a YAML tree shows, by key path: `mqtt.tls.ca`, and `cameras[].name` for each entry of a list of mappings. */
function shownValues(node: Record<string, unknown>, prefix = '', shown = new Map<string, unknown[]>()): Map<string, unknown[]> {
  for (const [key, value] of Object.entries(node)) {
    const path = prefix + key;
    if (isMapping(value)) shownValues(value, `${path}.`, shown);
    else if (Array.isArray(value) && value.length > 0 && value.every(isMapping)) value.forEach((item) => shownValues(item, `${path}[].`, shown));
    else shown.set(path, [...(shown.get(path) ?? []), value]);
  }
  return shown;
}

const leafKeys = configKeys().filter((key) => key.leaf);
const shown = shownValues(parseYaml(withCommentedKeysSet(example)) as Record<string, unknown>);

describe('generated config reference', () => {
  it.each([
    [REFERENCE_FILE, referenceMarkdown],
    [JSON_SCHEMA_FILE, editorSchemaText],
  ])('%s is what the schema generates', (file, generate) => {
    expect(read(file), `${file} is stale: run \`${GENERATE_COMMAND}\` and commit the result`).toBe(generate());
  });

  it('documents every key, with its default where it has one', () => {
    const reference = read(REFERENCE_FILE);
    expect(leafKeys.length).toBeGreaterThan(90);
    for (const key of leafKeys) expect(reference, key.path).toContain(`| \`${key.path}\` |`);
    expect(reference).toContain('| `cameras[].queue_capacity` | integer 1–256 | `4` |');
  });
});

describe(EXAMPLE_FILE, () => {
  it('shows every key of the schema, set or commented out', () => {
    const missing = leafKeys.map((key) => key.path).filter((path) => !shown.has(path));
    expect(missing, 'keys the example misses').toEqual([]);
  });

  it('shows no key the schema lacks (a misspelt or stale `# key:` line)', () => {
    const known = new Set(leafKeys.map((key) => key.path));
    expect([...shown.keys()].filter((path) => !known.has(path))).toEqual([]);
  });

  it("shows each default as the schema's default", () => {
    const differing = leafKeys
      .filter((key) => key.schema.default !== undefined)
      .flatMap((key) => (shown.get(key.path) ?? []).filter((value) => !isDeepStrictEqual(value, key.schema.default)).map((value) => ({ key: key.path, shown: value, default: key.schema.default })));
    expect(differing).toEqual([]);
  });

  it('passes the real loader', () => {
    const config = parseConfig(example, join(REPO_ROOT, EXAMPLE_FILE), env);
    expect(config.cameras.map((camera) => camera.name)).toEqual(['entrance']);
    expect(config.detector.model).toBe(join(MODELS, 'yolox_nano.onnx'));
  });

  it('is still valid with its commented-out keys set', () => {
    // The commented-out secrets are ${credential:NAME} references: give each a credential file.
    const credentials = mkdtempSync(join(tmpdir(), 'vigil-credentials-'));
    try {
      for (const [, name] of example.matchAll(/\$\{credential:([^}]+)\}/g)) writeFileSync(join(credentials, name!), 'a-credential-value');
      const issues: SubstitutionIssue[] = [];
      const raw = substituteEnv(parseYaml(withCommentedKeysSet(example)), { ...env, CREDENTIALS_DIRECTORY: credentials }, issues);
      expect(issues).toEqual([]);
      const result = configSchema.safeParse(raw);
      expect(result.error?.issues ?? []).toEqual([]);
    } finally {
      rmSync(credentials, { recursive: true, force: true });
    }
  });
});
