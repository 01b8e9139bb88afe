import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface SdNotifyAddon {
  notify(socketPath: string, message: string): void;
}

const ADDON = join('native', 'sd-notify', 'build', 'Release', 'sd_notify.node');

/** The addon sits in the repo (or /opt/vigil) root; this file runs from agent/ or dist/agent/, so look a few folders up. */
function findAddon(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, ADDON);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return undefined;
}

let addon: SdNotifyAddon | undefined | null = null;

/** Loads native/sd-notify once; undefined when it was not built (`npm run build:native`). */
export function loadSdNotify(): SdNotifyAddon | undefined {
  if (addon === null) {
    const path = findAddon();
    addon = path ? (createRequire(import.meta.url)(path) as SdNotifyAddon) : undefined;
  }
  return addon;
}
