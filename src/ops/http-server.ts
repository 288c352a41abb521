/**
 * The one HTTP server of a bot process, on PORT. Slack's HTTP mode mounts `POST /slack/events` on it,
 * operations mount `/healthz`, `/readyz` and `/metrics`. One port, so a container exposes one thing.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface HttpRoutes {
  /** Registers a handler for an exact method and path (the query string is ignored when matching). */
  route(method: 'GET' | 'POST', path: string, handler: RouteHandler): void;
}

export interface HttpServerHandle extends HttpRoutes {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export async function startHttpServer(options: {
  port: number;
  host?: string;
  logger?: Logger;
}): Promise<HttpServerHandle> {
  const routes = new Map<string, RouteHandler>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const handler = routes.get(`${req.method} ${path}`);
    if (!handler) {
      const known = [...routes.keys()].some((key) => key.endsWith(` ${path}`));
      res
        .writeHead(known ? 405 : 404, { 'content-type': 'text/plain' })
        .end(known ? 'method not allowed' : 'not found');
      return;
    }
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((error: unknown) => {
        options.logger?.error({ err: error, path }, 'http handler failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error');
      });
  });
  // Slack and load balancers keep connections open; closing must not wait for idle sockets.
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    route(method, path, handler) {
      routes.set(`${method} ${path}`, handler);
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
