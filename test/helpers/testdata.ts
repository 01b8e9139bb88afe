import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** ../shared/testdata beside the repo unless VIGIL_TESTDATA says otherwise. */
export const TESTDATA = resolve(REPO_ROOT, process.env.VIGIL_TESTDATA ?? '../shared/testdata');
export const MODELS = resolve(TESTDATA, 'models');
export const MEDIA = resolve(TESTDATA, 'media');
export const AGENT_MAIN = resolve(REPO_ROOT, 'dist/agent/main.js');

if (!existsSync(MODELS)) throw new Error(`test data not found at ${TESTDATA}; set VIGIL_TESTDATA`);

export const model = (name: string): string => resolve(MODELS, name);
export const media = (name: string): string => resolve(MEDIA, name);
