import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SubstitutionIssue {
  readonly path: (string | number)[];
  readonly message: string;
  readonly value: string;
}

const REFERENCE = /\$\{([^}]+)\}/g;
const WHOLE_REFERENCE = /^\$\{[^}]+\}$/;

function typedScalar(text: string): string | number | boolean {
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return text;
}

/**
 * Replaces `${NAME}`, `${NAME:-default}` and `${credential:NAME}` (a file in
 * systemd's $CREDENTIALS_DIRECTORY) in every string of the parsed YAML tree,
 * so secrets never have to be written into the config file. Unresolvable
 * references are reported with their key path instead of silently becoming "".
 */
export function substituteEnv(
  node: unknown,
  env: NodeJS.ProcessEnv,
  issues: SubstitutionIssue[],
  typed: Map<string, string> = new Map(),
  path: (string | number)[] = [],
  ancestors: Set<object> = new Set(),
): unknown {
  if (node !== null && typeof node === 'object' && ancestors.has(node)) {
    // `a: &x [*x]` parses to an array that contains itself; walking it would overflow the stack.
    issues.push({ path, message: 'a YAML alias refers to a node that contains it (an endless cycle)', value: '*alias' });
    return null;
  }
  if (typeof node === 'string') {
    const value = substituteString(node, env, issues, path);
    if (!WHOLE_REFERENCE.test(node) || value === node) return value;
    // `port: ${PORT}` should give a number, as `port: 9110` would. The text is
    // kept in `typed` so a key that wants a string (an all-digit password) can have it back.
    const scalar = typedScalar(value);
    if (typeof scalar !== 'string') typed.set(path.join('.'), value);
    return scalar;
  }
  if (node === null || typeof node !== 'object') return node;
  ancestors.add(node);
  try {
    if (Array.isArray(node)) return node.map((item, i) => substituteEnv(item, env, issues, typed, [...path, i], ancestors));
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, substituteEnv(v, env, issues, typed, [...path, k], ancestors)]));
  } finally {
    ancestors.delete(node);
  }
}

function substituteString(text: string, env: NodeJS.ProcessEnv, issues: SubstitutionIssue[], path: (string | number)[]): string {
  return text.replace(REFERENCE, (whole, expression: string) => {
    if (expression.startsWith('credential:')) return readCredential(expression.slice('credential:'.length), env, issues, path, whole);
    const [name = '', fallback] = splitDefault(expression);
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    issues.push({ path, message: `environment variable ${name} is not set`, value: whole });
    return '';
  });
}

function splitDefault(expression: string): [string, string | undefined] {
  const at = expression.indexOf(':-');
  return at < 0 ? [expression, undefined] : [expression.slice(0, at), expression.slice(at + 2)];
}

function readCredential(name: string, env: NodeJS.ProcessEnv, issues: SubstitutionIssue[], path: (string | number)[], whole: string): string {
  const dir = env.CREDENTIALS_DIRECTORY;
  if (!dir) {
    issues.push({ path, message: 'CREDENTIALS_DIRECTORY is not set (use systemd LoadCredential=)', value: whole });
    return '';
  }
  try {
    return readFileSync(join(dir, name), 'utf8').trimEnd();
  } catch {
    issues.push({ path, message: `credential ${name} not found in $CREDENTIALS_DIRECTORY`, value: whole });
    return '';
  }
}
