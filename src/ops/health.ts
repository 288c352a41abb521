/**
 * Liveness and readiness for orchestrators: /healthz answers while the process runs; /readyz only
 * while the store answers and every started platform is connected (503 otherwise, with the reason).
 */
import type { PlatformHandle } from '../platforms/types.js';
import type { Store } from '../store/types.js';
import type { HttpRoutes } from './http-server.js';

export function mountHealthRoutes(
  http: HttpRoutes,
  deps: { store: Store; platforms: () => PlatformHandle[]; shuttingDown: () => boolean },
): void {
  http.route('GET', '/healthz', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  });
  http.route('GET', '/readyz', async (_req, res) => {
    const problems: string[] = [];
    if (deps.shuttingDown()) problems.push('shutting down');
    try {
      await deps.store.ping();
    } catch {
      problems.push('store unreachable');
    }
    for (const platform of deps.platforms()) {
      if (!platform.isReady()) problems.push(`${platform.name} not connected`);
    }
    const ready = problems.length === 0;
    res
      .writeHead(ready ? 200 : 503, { 'content-type': 'application/json' })
      .end(JSON.stringify({ status: ready ? 'ready' : 'not ready', problems }));
  });
}
