import { expect } from 'vitest';
import { ConfigError, parseConfig, type ConfigIssue } from '../../agent/config/load.js';

/** Runs parseConfig on `text` (as if read from `file`), expects a ConfigError and returns its issues. */
export function configIssues(text: string, file: string, env: NodeJS.ProcessEnv = {}): readonly ConfigIssue[] {
  try {
    parseConfig(text, file, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}
