import type { IncomingMessage, ServerResponse } from 'node:http';
import { TOKEN_COOKIE } from '../http/access.js';
import type { HttpServer } from '../http/http-server.js';
import type { PreviewHub } from './preview-hub.js';
import { unauthorizedPage, viewerPage } from './viewer-page.js';

/** Everything the page needs is inline; it may talk only to this agent. */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' blob: data:; connect-src 'self' ws: wss:; base-uri 'none'; form-action 'self'";

/** `/` serves the viewer page, `/ws` its WebSocket; both need the token when one is configured. */
export function mountPreview(http: HttpServer, hub: PreviewHub): void {
  const page = viewerPage();
  http.route(
    '/',
    (req: IncomingMessage, res: ServerResponse) => {
      const headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': CONTENT_SECURITY_POLICY };
      // A token given in the URL becomes a cookie, so the page's WebSocket carries it (browsers cannot set headers on one).
      const token = new URL(req.url ?? '/', 'http://localhost').searchParams.get('token');
      if (token && http.isToken(token)) headers['set-cookie'] = `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
      res.writeHead(200, headers);
      res.end(page);
    },
    {
      protected: true,
      unauthorized: (_req, res) => {
        res.writeHead(401, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': CONTENT_SECURITY_POLICY });
        res.end(unauthorizedPage());
      },
    },
  );
  http.upgrade('/ws', (req, socket, head) => hub.accept(req, socket, head));
}
