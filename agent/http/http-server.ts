import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, VigilError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Registry } from 'prom-client';

export interface HttpServerOptions {
  readonly host: string;
  readonly port: number;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/**
 * The agent's one HTTP server: /metrics, /healthz (the process answers),
 * and the routes the agent adds (/readyz; the preview later). It lives on the main thread, which inference never blocks, so a
 * scrape answers in milliseconds under full load.
 */
export class HttpServer {
  private server: Server | null = null;
  private readonly routes = new Map<string, Handler>();

  constructor(
    private readonly options: HttpServerOptions,
    private readonly registry: Registry,
    private readonly logger: Logger,
  ) {
    this.routes.set('/metrics', async (_req, res) => {
      const body = await this.registry.metrics();
      res.writeHead(200, { 'content-type': this.registry.contentType });
      res.end(body);
    });
    this.routes.set('/healthz', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
    });
  }

  /** Port actually bound (differs from the configured one when that is 0). */
  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  route(path: string, handler: Handler): void {
    this.routes.set(path, handler);
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
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
    const handler = this.routes.get(path);
    if (!handler) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' });
      res.end();
      return;
    }
    try {
      await handler(req, res);
    } catch (err) {
      this.logger.error({ err, path }, 'http handler failed');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  }
}
