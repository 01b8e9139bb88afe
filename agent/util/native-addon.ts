import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Path of one of our addons in native/ (built by `npm run build:native`).
 * They sit in the repo (or /opt/vigil) root and this file runs from agent/ or
 * dist/agent/, so look a few folders up.
 */
export function findNativeAddon(folder: string, file: string): string | undefined {
  const relative = join('native', folder, 'build', 'Release', file);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return undefined;
}

/** Loads an addon from native/; undefined when it was not built. */
export function loadNativeAddon<T>(folder: string, file: string): T | undefined {
  const path = findNativeAddon(folder, file);
  return path ? (createRequire(import.meta.url)(path) as T) : undefined;
}
