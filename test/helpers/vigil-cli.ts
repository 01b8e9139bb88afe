import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AGENT_MAIN } from './testdata.js';

const run = promisify(execFile);

/** Runs the built CLI (`dist/agent/main.js`) to its end: exit code and stderr, a failing exit included. */
export async function vigilCli(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(process.execPath, [AGENT_MAIN, ...args], { timeout: 60_000 });
    return { code: 0, stderr };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}
