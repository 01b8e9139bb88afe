import { existsSync, readFileSync } from 'node:fs';

/** The package version from package.json (two folders up from dist/agent/, one from agent/ under vitest). */
function readVersion(): string {
  for (const candidate of ['../../package.json', '../package.json']) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(url)) return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  }
  return '0.0.0';
}

export const VERSION = readVersion();
