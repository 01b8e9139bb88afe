import type { HttpServer } from './http-server.js';

/** What a reload answers: what changed, or why the file was refused (the agent's ReloadOutcome). */
export type ReloadAnswer = { readonly ok: true; readonly changes: unknown } | { readonly ok: false; readonly errors: readonly string[] };

/**
 * POST /-/reload, as Prometheus has it: reads the config file again and
 * applies it. 200 with what changed, 400 with every error and its key path
 * (the running config is kept). Needs the token when one is configured,
 * else it answers only requests from this machine.
 */
export function mountReload(http: HttpServer, reload: () => Promise<ReloadAnswer>): void {
  http.route(
    '/-/reload',
    async (_req, res) => {
      const answer = await reload();
      const body = answer.ok ? { status: 'success', changes: answer.changes } : { status: 'error', errors: answer.errors };
      res.writeHead(answer.ok ? 200 : 400, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(`${JSON.stringify(body)}\n`);
    },
    { methods: ['POST', 'PUT'], admin: true },
  );
}
