import { request } from 'node:http';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpServer, type HttpServerOptions } from '../../agent/http/http-server.js';
import { mountReload, type ReloadAnswer } from '../../agent/http/reload-route.js';
import { createLogger } from '../../agent/log.js';

const OPTIONS: HttpServerOptions = { host: '127.0.0.1', port: 0, protect_metrics: false, allowed_hosts: [] };
const TOKEN = 'a-token-of-20-chars!';

/** A POST on a fresh connection with exactly these headers (fetch may drop Host and Origin, and reuses connections). */
function post(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** POST /-/reload's access rules and answers, and an HTTP move that lets the reload's own answer through. */
describe('POST /-/reload', () => {
  let server: HttpServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  async function serve(options: HttpServerOptions, answer: () => Promise<ReloadAnswer>): Promise<string> {
    server = new HttpServer(options, new Registry(), createLogger('fatal'));
    mountReload(server, answer);
    await server.start();
    return `http://127.0.0.1:${server.port}/-/reload`;
  }

  it('answers 200 with what changed from loopback, 405 to GET, 400 with the errors of a refused file', async () => {
    let ok = true;
    const url = await serve(OPTIONS, () => Promise.resolve(ok ? { ok: true, changes: { cameras: { added: ['yard'] } } } : { ok: false, errors: ['cameras.0.url: required'] }));
    const res = await fetch(url, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'success', changes: { cameras: { added: ['yard'] } } });
    expect((await fetch(url)).status).toBe(405);
    ok = false;
    const refused = await fetch(url, { method: 'POST' });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ status: 'error', errors: ['cameras.0.url: required'] });
  });

  it('without a token refuses another site’s page (Origin) and a foreign Host: 403, and never reloads', async () => {
    let reloads = 0;
    const url = await serve(OPTIONS, () => Promise.resolve((reloads++, { ok: true, changes: {} })));
    expect(await post(url, { origin: 'http://evil.example' })).toBe(403);
    expect(await post(url, { host: 'evil.example' })).toBe(403);
    expect(reloads).toBe(0);
    expect(await post(url, {})).toBe(200);
    expect(reloads).toBe(1);
  });

  it('with a token needs it, from loopback too', async () => {
    const url = await serve({ ...OPTIONS, token: TOKEN }, () => Promise.resolve({ ok: true, changes: {} }));
    expect((await fetch(url, { method: 'POST' })).status).toBe(401);
    expect((await fetch(url, { method: 'POST', headers: { authorization: 'Bearer wrong-token-0000000' } })).status).toBe(401);
    expect((await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('moves the server for new http settings while the reload that asked for it still gets its answer', async () => {
    const url = await serve(OPTIONS, async () => {
      await server!.reconfigure({ ...OPTIONS, token: TOKEN });
      return { ok: true, changes: { restart: ['http'] } };
    });
    const oldPort = server!.port;
    const res = await fetch(url, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'success', changes: { restart: ['http'] } });
    expect(server!.port).not.toBe(oldPort);
    const moved = `http://127.0.0.1:${server!.port}/-/reload`;
    expect((await fetch(moved, { method: 'POST' })).status).toBe(401);
    await expect(post(url, {})).rejects.toThrow(/ECONNREFUSED/);
  });
});
