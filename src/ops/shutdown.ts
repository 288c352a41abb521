/**
 * Graceful shutdown on SIGTERM/SIGINT: stop taking new turns (platforms disconnect), let streaming
 * replies finish up to SHUTDOWN_GRACE_MS, then stop the rest (they are marked interrupted/stopped in
 * the chat), release locks as each turn ends, and close the store last.
 */
import type { Logger } from '../log.js';
import type { PlatformHandle } from '../platforms/types.js';
import type { Runtime } from '../runtime.js';
import type { HttpServerHandle } from './http-server.js';

export function installShutdown(deps: {
  runtime: Runtime;
  http: HttpServerHandle;
  platforms: () => PlatformHandle[];
  logger: Logger;
}): { isShuttingDown: () => boolean; shutdown: (signal: string) => Promise<void> } {
  let shuttingDown = false;
  const { runtime, logger } = deps;

  async function shutdown(signal: string): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    const graceMs = runtime.config.shutdownGraceMs;
    logger.info({ signal, activeStreams: runtime.engine.activeStreams, graceMs }, 'shutting down');
    await Promise.allSettled(deps.platforms().map((platform) => platform.stop()));

    const deadline = Date.now() + graceMs;
    while (runtime.engine.activeStreams > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (runtime.engine.activeStreams > 0) {
      logger.warn({ stopped: runtime.engine.stopAll() }, 'grace period over: stopping the remaining replies');
      const hardDeadline = Date.now() + 5_000;
      while (runtime.engine.activeStreams > 0 && Date.now() < hardDeadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    await deps.http.close();
    await runtime.close();
    logger.info('shut down cleanly');
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      shutdown(signal)
        .catch((err: unknown) => logger.error({ err }, 'shutdown failed'))
        .finally(() => process.exit(0));
    });
  }
  return { isShuttingDown: () => shuttingDown, shutdown };
}
