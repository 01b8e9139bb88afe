import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ErrorCode, VigilError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Registry } from 'prom-client';
import { deviceHostNames, fromLoopback, knownHost, presentedToken, sameOrigin, tokenMatches } from './access.js';

/** How long requests in progress on the old listener may take once a reload has moved it. */
const RECONFIGURE_GRACE_MS = 2000;

export interface HttpServerOptions {
  readonly host: string;
  readonly port: number;
  /** When set, routes marked `protected` (and /metrics with protect_metrics) need it. */
  readonly token?: string | undefined;
  readonly protect_metrics: boolean;
  readonly allowed_hosts: readonly string[];
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
type UpgradeHandler = (req: IncomingMessage, socket: Socket, head: Buffer) => void;

interface Route {
  readonly handler: Handler;
  readonly protected: boolean;
  /** Methods the route answers; GET and HEAD when absent. */
  readonly methods?: readonly string[] | undefined;
  /** Admin routes (POST /-/reload): the token when one is configured, else only from this machine (loopback). */
  readonly admin?: boolean | undefined;
  /** What an unauthorised request gets instead (the viewer's token form); plain 401 when absent. */
  readonly unauthorized?: Handler | undefined;
}

/**
 * The agent's one HTTP server: /metrics, /healthz (the process answers),
 * and the routes the agent adds (/readyz; the preview later). It lives on the main thread, which inference never blocks, so a
 * scrape answers in milliseconds under full load.
 */
export class HttpServer {
  private server: Server | null = null;
  private readonly routes = new Map<string, Route>();
  private readonly upgrades = new Map<string, UpgradeHandler>();

  constructor(
    private options: HttpServerOptions,
    private readonly registry: Registry,
    private readonly logger: Logger,
  ) {
    const metrics: Handler = async (_req, res) => {
      const body = await this.registry.metrics();
      res.writeHead(200, { 'content-type': this.registry.contentType });
      res.end(body);
    };
    this.routes.set('/metrics', { handler: metrics, protected: options.protect_metrics });
    this.route('/healthz', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
    });
  }

  /** Port actually bound (differs from the configured one when that is 0). */
  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** `protected` routes need the token when one is configured; `unauthorized` answers them otherwise. */
  route(path: string, handler: Handler, access: { protected?: boolean; unauthorized?: Handler; methods?: readonly string[]; admin?: boolean } = {}): void {
    this.routes.set(path, { handler, protected: access.protected ?? false, unauthorized: access.unauthorized, methods: access.methods, admin: access.admin });
  }

  /**
   * A WebSocket (or other upgrade) endpoint. It always needs the token when
   * one is configured; without one, a browser's cross-site Origin is refused.
   */
  upgrade(path: string, handler: UpgradeHandler): void {
    this.upgrades.set(path, handler);
  }

  /**
   * Whether a request may use a protected route: with a token, it must carry
   * it; without one, it must name this device as its Host (DNS rebinding).
   */
  authorized(req: IncomingMessage): boolean {
    if (this.options.token === undefined) return knownHost(req, deviceHostNames(this.options.host, this.options.allowed_hosts));
    return tokenMatches(presentedToken(req), this.options.token);
  }

  /** Whether `value` is the configured token (false when none is configured). */
  isToken(value: string): boolean {
    return this.options.token !== undefined && tokenMatches(value, this.options.token);
  }

  /**
   * New `http` settings from a config reload: the listener moves at once;
   * requests in progress (the reload's own answer among them) finish on the
   * old one, which is closed for good after a short grace.
   */
  async reconfigure(options: HttpServerOptions): Promise<void> {
    const old = this.server;
    this.server = null;
    this.options = options;
    const metrics = this.routes.get('/metrics');
    if (metrics) this.routes.set('/metrics', { ...metrics, protected: options.protect_metrics });
    if (old) {
      old.close();
      old.closeIdleConnections();
      setTimeout(() => old.closeAllConnections(), RECONFIGURE_GRACE_MS).unref();
    }
    await this.start();
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.handleUpgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(new VigilError(ErrorCode.HTTP_LISTEN, `cannot listen on ${this.options.host}:${this.options.port}: ${err.message}`, { cause: err })),
      );
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    this.server = server;
    this.logger.info({ host: this.options.host, port: this.port }, 'http server listening');
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = this.routes.get(path);
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    const methods = route.methods ?? ['GET', 'HEAD'];
    if (!methods.includes(req.method ?? '')) {
      res.writeHead(405, { allow: methods.join(', ') });
      res.end();
      return;
    }
    const handler = route.admin ? this.adminHandler(route, req) : this.routeHandler(route, req);
    try {
      await handler(req, res);
    } catch (err) {
      this.logger.error({ err, path }, 'http handler failed');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  }

  private routeHandler(route: Route, req: IncomingMessage): Handler {
    if (!route.protected || this.authorized(req)) return route.handler;
    return this.options.token === undefined ? unknownHost : (route.unauthorized ?? unauthorized);
  }

  /** With a token: it is required. Without: loopback only, naming this device as its Host and not sent by another site's page. */
  private adminHandler(route: Route, req: IncomingMessage): Handler {
    if (this.options.token !== undefined) return this.authorized(req) ? route.handler : unauthorized;
    return fromLoopback(req) && this.authorized(req) && sameOrigin(req) ? route.handler : loopbackOnly;
  }

  private handleUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const handler = this.upgrades.get(path);
    const tokenless = this.options.token === undefined;
    const refusal = !handler
      ? '404 Not Found'
      : !this.authorized(req)
        ? tokenless
          ? '403 Forbidden'
          : '401 Unauthorized'
        : tokenless && !sameOrigin(req)
          ? '403 Forbidden'
          : undefined;
    if (refusal || !handler) {
      this.logger.debug({ path, refusal, origin: req.headers.origin }, 'upgrade refused');
      socket.end(`HTTP/1.1 ${refusal ?? '404 Not Found'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    handler(req, socket, head);
  }
}

const unauthorized: Handler = (_req, res) => {
  res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="vigil"' });
  res.end('a token is required\n');
};

const loopbackOnly: Handler = (_req, res) => {
  res.writeHead(403, { 'content-type': 'text/plain' });
  res.end('only from this machine (loopback) while no http.token is set\n');
};

const unknownHost: Handler = (req, res) => {
  res.writeHead(403, { 'content-type': 'text/plain' });
  res.end(`host ${req.headers.host ?? '(none)'} is not one of this device's names; add it to http.allowed_hosts or set http.token\n`);
};
