import { readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { parseFrameMessage } from '../../agent/preview/frame-message.js';
import { AgentProcess, agentConfigYaml } from '../helpers/agent-process.js';
import { parseMetrics, sampleValue, type Sample } from '../helpers/metrics-text.js';
import { freePort } from '../helpers/ports.js';
import { media, REPO_ROOT } from '../helpers/testdata.js';
import { waitFor } from '../helpers/wait.js';

/** Characters that must survive the query string and the cookie (+ / = are the usual base64 ones). */
const TOKEN = 'pr3view+t0ken/with=chars';
const WRONG = 'pr3view+t0ken/with=charz';
const CAMERA = 'plaza';
const watch = (...cameras: string[]): string => JSON.stringify({ type: 'watch', cameras });
const BASE_HTTP = 'http:\n  host: 127.0.0.1\n  port: 0';

/** agentConfigYaml with more keys in its `http:` section (a second `http:` section would be a duplicate key). */
function config(http: string, camera: string, extra = ''): string {
  const yaml = agentConfigYaml(camera, { extra });
  if (!yaml.includes(BASE_HTTP)) throw new Error('agentConfigYaml no longer writes the http section this test extends');
  return yaml.replace(BASE_HTTP, `${BASE_HTTP}\n${http}`);
}

/** The file camera at 5 fps: enough frames for the preview, little CPU for three agents at once. */
const FILE_FPS = 5;
const fileCamera = `  - name: ${CAMERA}\n    url: ${media('vtest.avi')}\n    fps_cap: ${FILE_FPS}\n`;

interface TextMessage {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** A `ws` client that records what it gets. */
class Viewer {
  readonly texts: TextMessage[] = [];
  readonly frames: Buffer[] = [];
  closed: { code: number; reason: string } | null = null;
  error: Error | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.frames.push(data);
      else this.texts.push(JSON.parse(data.toString()) as TextMessage);
    });
    ws.on('close', (code: number, reason: Buffer) => (this.closed = { code, reason: reason.toString() }));
    ws.on('error', (err) => (this.error = err));
  }

  /** Resolves once the upgrade is accepted (101); rejects with the HTTP status otherwise. */
  static open(url: string, headers: Record<string, string> = {}): Promise<Viewer> {
    const ws = new WebSocket(url, { headers });
    const viewer = new Viewer(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(viewer));
      ws.once('unexpected-response', (req, res) => {
        res.resume();
        req.destroy();
        reject(new Error(`upgrade answered HTTP ${res.statusCode}`));
      });
      ws.once('error', reject);
    });
  }

  hello(): Promise<TextMessage> {
    return waitFor(() => this.texts.find((t) => t.type === 'hello'), 'hello', 10_000, 20);
  }

  send(text: string): void {
    this.ws.send(text);
  }

  async close(): Promise<void> {
    if (this.closed || this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await waitFor(() => this.closed, 'viewer closed', 5000, 20);
  }
}

/** The status an upgrade is refused with (the `unexpected-response` a client sees); fails if it is accepted. */
function refusedWith(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      req.destroy();
    });
    ws.on('open', () => {
      ws.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    ws.on('error', (err) => reject(err)); // after a resolve (the destroyed request) this is a no-op
  });
}

/** Hello names the camera; after `watch` binary frames come: 4-byte length, JSON header, JPEG. */
async function expectHelloAndFrames(viewer: Viewer): Promise<void> {
  const hello = await viewer.hello();
  expect(hello.cameras).toEqual([{ name: CAMERA }]);
  expect(viewer.frames).toHaveLength(0);
  viewer.send(watch(CAMERA));
  await waitFor(() => viewer.frames.length >= 2, 'two preview frames', 15_000, 20);
  const { header, jpeg } = parseFrameMessage(viewer.frames[0]!);
  expect(header.camera).toBe(CAMERA);
  expect([header.width, header.height]).toEqual([768, 576]);
  expect(header.jpeg_width).toBe(640);
  expect([...jpeg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
  expect([...jpeg.subarray(-2)]).toEqual([0xff, 0xd9]);
}

/** GET / with a given Host header (fetch will not send one of its own choosing). */
function pageStatus(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpGet({ host: '127.0.0.1', port, path: '/', headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
}

/** GET `path` exactly as written: fetch and URL would resolve the dots before sending. */
function pathStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpGet({ host: '127.0.0.1', port, path }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
}

async function metricsWith(port: number, headers: Record<string, string> = {}): Promise<{ status: number; samples: Sample[]; text: string; headers: Headers }> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers });
  const text = await res.text();
  return { status: res.status, samples: res.status === 200 ? parseMetrics(text) : [], text, headers: res.headers };
}

describe('preview access control', () => {
  /** http.token set, /metrics open. */
  let tokenAgent: AgentProcess;
  /** http.token set and protect_metrics: its camera is unreachable (no inference load), only HTTP matters. */
  let protectedAgent: AgentProcess;
  /** No token; max_viewers 2. */
  let openAgent: AgentProcess;
  const viewers: Viewer[] = [];
  const track = (viewer: Viewer): Viewer => {
    viewers.push(viewer);
    return viewer;
  };
  const wsUrl = (agent: AgentProcess, query = ''): string => `ws://127.0.0.1:${agent.port}/ws${query}`;
  const clients = async (): Promise<number> => sampleValue(await openAgent.metrics(), 'preview_clients') ?? NaN;
  const framesSent = async (): Promise<number> => sampleValue(await openAgent.metrics(), 'preview_frames_sent_total', { camera: CAMERA }) ?? 0;
  const framesCaptured = async (): Promise<number> => sampleValue(await openAgent.metrics(), 'frames_sent_total', { camera: CAMERA }) ?? 0;

  beforeAll(async () => {
    const deadCamera = `  - name: ${CAMERA}\n    url: rtsp://127.0.0.1:${await freePort()}/nothing\n    reconnect: { initial_seconds: 1, max_seconds: 5 }\n`;
    [tokenAgent, protectedAgent, openAgent] = await Promise.all([
      AgentProcess.start(config(`  token: "${TOKEN}"`, fileCamera)),
      AgentProcess.start(config(`  token: "${TOKEN}"\n  protect_metrics: true`, deadCamera)),
      AgentProcess.start(config('  allowed_hosts: [camera-box.lan]', fileCamera, 'preview:\n  max_viewers: 2\n')),
    ]);
  });

  // A failed test must not leave its viewers counted in the next one.
  afterEach(() => {
    for (const viewer of viewers.splice(0)) viewer.ws.terminate();
  });

  afterAll(async () => {
    await Promise.all([tokenAgent?.stop(), protectedAgent?.stop(), openAgent?.stop()]);
  });

  describe('with http.token', () => {
    it('sets the cookie only from a ?token= that is right, whatever else let the request in', async () => {
      const res = await fetch(`http://127.0.0.1:${tokenAgent.port}/?token=${encodeURIComponent(WRONG)}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(200);
      await res.text();
      expect(res.headers.get('set-cookie')).toBeNull();
    });

    it('answers / with 401 and a token form without the token or with a wrong one, and with the page and a cookie with it', async () => {
      const base = `http://127.0.0.1:${tokenAgent.port}`;
      const missing = await fetch(`${base}/`);
      expect(missing.status).toBe(401);
      expect(missing.headers.get('content-type')).toMatch(/^text\/html/);
      expect(missing.headers.get('set-cookie')).toBeNull();
      const form = await missing.text();
      expect(form).toMatch(/<form[^>]*method="get"[^>]*action="\/"/);
      expect(form).toMatch(/<input[^>]*name="token"[^>]*type="password"/);
      expect(form).not.toContain('vigilPreview'); // not the viewer itself

      for (const wrong of [WRONG, TOKEN.slice(0, -1), `${TOKEN}x`, TOKEN.replace('+', ' ')]) {
        const res = await fetch(`${base}/?token=${encodeURIComponent(wrong)}`);
        expect(res.status, `token ${JSON.stringify(wrong)}`).toBe(401);
        expect(res.headers.get('set-cookie')).toBeNull();
        expect(await res.text()).toContain('name="token"');
      }

      const right = await fetch(`${base}/?token=${encodeURIComponent(TOKEN)}`);
      expect(right.status).toBe(200);
      expect(right.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await right.text()).toContain('window.vigilPreview');
      const cookie = right.headers.get('set-cookie') ?? '';
      expect(cookie.startsWith(`vigil_token=${encodeURIComponent(TOKEN)};`)).toBe(true);
      expect(cookie).toMatch(/;\s*HttpOnly/i);
      expect(cookie).toMatch(/;\s*SameSite=Strict/i);

      // The cookie alone (a reload without ?token=) and a Bearer header open it too.
      expect((await fetch(`${base}/`, { headers: { cookie: cookie.split(';')[0]! } })).status).toBe(200);
      expect((await fetch(`${base}/`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
      expect((await fetch(`${base}/`, { headers: { cookie: `vigil_token=${encodeURIComponent(WRONG)}` } })).status).toBe(401);
    });

    it('keeps /healthz, /readyz and (without protect_metrics) /metrics open', async () => {
      const base = `http://127.0.0.1:${tokenAgent.port}`;
      for (const path of ['/healthz', '/readyz']) {
        const res = await fetch(`${base}${path}`);
        expect(res.status, path).toBe(200);
        await res.text();
      }
      const metrics = await metricsWith(tokenAgent.port);
      expect(metrics.status).toBe(200);
      expect(sampleValue(metrics.samples, 'preview_clients')).toBeDefined();
    });

    it('refuses the WebSocket upgrade with 401 without the token or with a wrong one', async () => {
      expect(await refusedWith(wsUrl(tokenAgent))).toBe(401);
      expect(await refusedWith(wsUrl(tokenAgent, `?token=${encodeURIComponent(WRONG)}`))).toBe(401);
      expect(await refusedWith(wsUrl(tokenAgent), { cookie: `vigil_token=${encodeURIComponent(WRONG)}` })).toBe(401);
      expect(await refusedWith(wsUrl(tokenAgent), { authorization: `Bearer ${WRONG}` })).toBe(401);
      // A same-origin browser page is no key either.
      expect(await refusedWith(wsUrl(tokenAgent), { origin: `http://127.0.0.1:${tokenAgent.port}` })).toBe(401);
      expect(sampleValue((await metricsWith(tokenAgent.port)).samples, 'preview_clients')).toBe(0);
    });

    it('accepts the WebSocket with ?token=: hello, then frames after watch', async () => {
      const viewer = track(await Viewer.open(wsUrl(tokenAgent, `?token=${encodeURIComponent(TOKEN)}`)));
      await expectHelloAndFrames(viewer);
      await viewer.close();
    });

    it('accepts the WebSocket with only the cookie that / set', async () => {
      const page = await fetch(`http://127.0.0.1:${tokenAgent.port}/?token=${encodeURIComponent(TOKEN)}`);
      await page.text();
      const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0]!;
      expect(cookie).toMatch(/^vigil_token=/);
      const viewer = track(await Viewer.open(wsUrl(tokenAgent), { cookie: `theme=dark; ${cookie}; other=1` }));
      await expectHelloAndFrames(viewer);
      await viewer.close();
    });

    it('accepts the WebSocket with Authorization: Bearer', async () => {
      const viewer = track(await Viewer.open(wsUrl(tokenAgent), { authorization: `Bearer ${TOKEN}` }));
      await expectHelloAndFrames(viewer);
      await viewer.close();
    });
  });

  describe('with http.token and protect_metrics', () => {
    it('answers /metrics with 401 without the token and 200 with it; /healthz stays open', async () => {
      const missing = await metricsWith(protectedAgent.port);
      expect(missing.status).toBe(401);
      expect(missing.text).not.toContain('preview_clients');
      expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await metricsWith(protectedAgent.port, { authorization: `Bearer ${WRONG}` })).status).toBe(401);
      const bearer = await metricsWith(protectedAgent.port, { authorization: `Bearer ${TOKEN}` });
      expect(bearer.status).toBe(200);
      expect(sampleValue(bearer.samples, 'preview_clients')).toBe(0);
      const health = await fetch(`http://127.0.0.1:${protectedAgent.port}/healthz`);
      expect(health.status).toBe(200);
      await health.text();
      const page = await fetch(`http://127.0.0.1:${protectedAgent.port}/`);
      expect(page.status).toBe(401);
      await page.text();
    });
  });

  describe('without a token', () => {
    it('refuses a cross-site Origin with 403 and accepts the same origin or none', async () => {
      const port = openAgent.port;
      expect(await refusedWith(wsUrl(openAgent), { origin: 'http://evil.example' })).toBe(403);
      expect(await refusedWith(wsUrl(openAgent), { origin: `http://evil.example:${port}` })).toBe(403);
      expect(await refusedWith(wsUrl(openAgent), { origin: `http://127.0.0.1:${port + 1}` })).toBe(403);
      expect(await refusedWith(wsUrl(openAgent), { origin: 'null' })).toBe(403);
      const same = track(await Viewer.open(wsUrl(openAgent), { origin: `http://127.0.0.1:${port}` }));
      const none = track(await Viewer.open(wsUrl(openAgent)));
      expect((await same.hello()).cameras).toEqual([{ name: CAMERA }]);
      expect((await none.hello()).cameras).toEqual([{ name: CAMERA }]);
      await waitFor(async () => (await clients()) === 2, 'two viewers counted', 5000);
      await Promise.all([same.close(), none.close()]);
      await waitFor(async () => (await clients()) === 0, 'viewers gone', 5000);
    });

    it('answers only to the device’s own names (DNS rebinding), plus http.allowed_hosts', async () => {
      const port = openAgent.port;
      // A rebound name: the attacker's page sends its own name as Host and Origin.
      const rebound = { host: `evil.example:${port}`, origin: `http://evil.example:${port}` };
      expect(await refusedWith(wsUrl(openAgent), rebound)).toBe(403);
      expect(await pageStatus(port, `evil.example:${port}`)).toBe(403);
      expect(await pageStatus(port, `localhost:${port}`)).toBe(200);
      expect(await pageStatus(port, `camera-box.lan:${port}`)).toBe(200);
      const allowed = track(await Viewer.open(wsUrl(openAgent), { host: `camera-box.lan:${port}`, origin: `http://camera-box.lan:${port}` }));
      expect((await allowed.hello()).cameras).toEqual([{ name: CAMERA }]);
      await allowed.close();
    });

    it('serves / as text/html with a content-security-policy, no token needed', async () => {
      const res = await fetch(`http://127.0.0.1:${openAgent.port}/`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toMatch(/connect-src [^;]*'self'/);
      expect(await res.text()).toContain('window.vigilPreview');
    });

    it('serves the page’s own files, as they are in the package, and 404 for any other path', async () => {
      const viewerDir = join(REPO_ROOT, 'agent/preview/viewer');
      const assets = { '/viewer.js': ['viewer.js', /^text\/javascript/], '/viewer.css': ['viewer.css', /^text\/css/], '/token.css': ['token.css', /^text\/css/] } as const;
      for (const [route, [file, type]] of Object.entries(assets)) {
        const res = await fetch(`http://127.0.0.1:${openAgent.port}${route}`);
        expect(res.status, route).toBe(200);
        expect(res.headers.get('content-type'), route).toMatch(type);
        expect(await res.text(), route).toBe(readFileSync(join(viewerDir, file), 'utf8'));
      }
      // The token page's styles load without the token, as the page itself does.
      const tokenStyles = await fetch(`http://127.0.0.1:${tokenAgent.port}/token.css`);
      expect(tokenStyles.status).toBe(200);
      await tokenStyles.text();
      const elsewhere = [
        '/../../etc/passwd',
        '/%2e%2e/%2e%2e/etc/passwd',
        '/..%2f..%2fetc%2fpasswd',
        '/viewer.js/../../../../package.json',
        '/viewer.js/',
        '/index.html',
        '/token.html',
        '/viewer/viewer.js',
        '/agent/preview/viewer/viewer.js',
        '/preview-routes.js',
      ];
      for (const path of elsewhere) expect(await pathStatus(openAgent.port, path), path).toBe(404);
    });

    it('sends (and encodes) frames only while a viewer watches the camera', async () => {
      await waitFor(async () => (await clients()) === 0, 'no viewers', 5000);
      const before = await framesSent();
      const capturedBefore = await framesCaptured();
      const viewer = track(await Viewer.open(wsUrl(openAgent)));
      await viewer.hello();
      // Connected, watching nothing, for ten frames of the camera: it is processed (fps > 0) but no frame goes out.
      await waitFor(async () => (await framesCaptured()) >= capturedBefore + 10, 'ten frames captured while the viewer watches nothing', 30_000);
      const stats = viewer.texts.filter((t) => t.type === 'stats').at(-1) as { cameras: Record<string, { fps: number }> } | undefined;
      expect(stats?.cameras[CAMERA]?.fps).toBeGreaterThan(0);
      expect(viewer.frames).toHaveLength(0);
      expect(await framesSent()).toBe(before);

      // A second viewer that watches nothing gets nothing while the first one watches.
      const bystander = track(await Viewer.open(wsUrl(openAgent)));
      await bystander.hello();
      viewer.send(watch(CAMERA));
      await waitFor(() => viewer.frames.length >= 3, 'frames after watch', 15_000, 20);
      const sent = await framesSent();
      expect(sent - before).toBeGreaterThanOrEqual(3);
      expect(sent - before).toBeLessThanOrEqual(viewer.frames.length + 2); // one per frame for the watcher alone (+ any in flight)
      expect(bystander.frames).toHaveLength(0);
      await bystander.close();

      // Watching nothing again stops them: from the camera's next frame on, with the
      // frames in flight arrived, none is sent or received while it delivers eight more.
      viewer.send(watch());
      const capturedAtUnwatch = await framesCaptured();
      await waitFor(
        async () => (await framesCaptured()) > capturedAtUnwatch && viewer.frames.length === (await framesSent()) - before,
        'a frame captured after the unwatch, and the frames in flight arrived',
        10_000,
        20,
      );
      const received = viewer.frames.length;
      const counted = await framesSent();
      const capturedAfter = await framesCaptured();
      await waitFor(async () => (await framesCaptured()) >= capturedAfter + 8, `eight more frames (${8 / FILE_FPS} s) captured`, 30_000);
      expect(viewer.frames.length).toBe(received);
      expect(await framesSent()).toBe(counted);
      await viewer.close();
    });

    it('closes the viewer past max_viewers with 1013 and lets a new one in after one leaves', async () => {
      await waitFor(async () => (await clients()) === 0, 'no viewers', 5000);
      const first = track(await Viewer.open(wsUrl(openAgent)));
      const second = track(await Viewer.open(wsUrl(openAgent)));
      await Promise.all([first.hello(), second.hello()]);
      expect(await clients()).toBe(2);

      const third = track(await Viewer.open(wsUrl(openAgent)));
      const closed = await waitFor(() => third.closed, 'third viewer closed', 5000, 20);
      expect(closed).toEqual({ code: 1013, reason: 'viewer limit reached (2)' });
      expect(third.texts).toHaveLength(0);
      expect(await clients()).toBe(2);
      expect(first.closed).toBeNull();
      expect(second.closed).toBeNull();

      await first.close();
      await waitFor(async () => (await clients()) === 1, 'one viewer left', 5000);
      const fourth = track(await Viewer.open(wsUrl(openAgent)));
      await expectHelloAndFrames(fourth);
      expect(fourth.closed).toBeNull();
      expect(await clients()).toBe(2);
      await Promise.all([second.close(), fourth.close()]);
      await waitFor(async () => (await clients()) === 0, 'viewers gone', 5000);
    });
  });
});
