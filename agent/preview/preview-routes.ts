import type { IncomingMessage, ServerResponse } from 'node:http';
import { TOKEN_COOKIE } from '../http/access.js';
import type { HttpServer } from '../http/http-server.js';
import type { PreviewHub } from './preview-hub.js';
import { loadViewerFiles, type ServedFile } from './viewer-files.js';

/** The pages load only their own script and styles, and may talk only to this agent. */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self' ws: wss:; base-uri 'none'; form-action 'self'";

/** An upgraded agent must never pair a new page with an old script from a cache. */
const NO_STORE = { 'cache-control': 'no-store' };

function send(res: ServerResponse, status: number, file: ServedFile, headers: Record<string, string>): void {
  res.writeHead(status, { 'content-type': file.contentType, ...NO_STORE, ...headers });
  res.end(file.body);
}

/**
 * `/` serves the viewer page, `/ws` its WebSocket; both need the token when
 * one is configured. The page's script and styles are open (see ViewerFiles).
 */
export function mountPreview(http: HttpServer, hub: PreviewHub): void {
  const files = loadViewerFiles();
  for (const [route, file] of files.assets) http.route(route, (_req, res) => send(res, 200, file, { 'x-content-type-options': 'nosniff' }));
  http.route(
    '/',
    (req: IncomingMessage, res: ServerResponse) => {
      const headers: Record<string, string> = { 'content-security-policy': CONTENT_SECURITY_POLICY };
      // A token given in the URL becomes a cookie, so the page's WebSocket carries it (browsers cannot set headers on one).
      const token = new URL(req.url ?? '/', 'http://localhost').searchParams.get('token');
      if (token && http.isToken(token)) headers['set-cookie'] = `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
      send(res, 200, files.page, headers);
    },
    {
      protected: true,
      unauthorized: (_req, res) => send(res, 401, files.tokenPage, { 'content-security-policy': CONTENT_SECURITY_POLICY }),
    },
  );
  http.upgrade('/ws', (req, socket, head) => hub.accept(req, socket, head));
}
