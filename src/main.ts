/**
 * `npm start`: the one place that builds everything. Reads configuration, opens the store, starts
 * the HTTP server (health, Slack events), then every platform whose token is set, and shuts down
 * gracefully on SIGTERM/SIGINT.
 */
import { loadConfig, loadDotEnv } from './config.js';
import { ConfigError } from './errors.js';
import { exitWithStartupError } from './exit-on-error.js';
import { createLogger } from './log.js';
import { mountHealthRoutes } from './ops/health.js';
import { startHttpServer } from './ops/http-server.js';
import { installShutdown } from './ops/shutdown.js';
import { startDiscord } from './platforms/discord/index.js';
import { startSlack } from './platforms/slack/index.js';
import type { PlatformHandle } from './platforms/types.js';
import { createRuntime } from './runtime.js';

async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  if (!config.discord && !config.slack) {
    throw new ConfigError(
      'DISCORD_TOKEN',
      'DISCORD_TOKEN or SLACK_BOT_TOKEN is required: set at least one platform token (or try `npm run chat`).',
    );
  }
  const logger = createLogger(config.logLevel);
  const runtime = await createRuntime(config, logger);
  const http = await startHttpServer({ port: config.port, logger });
  const platforms: PlatformHandle[] = [];
  const shutdown = installShutdown({ runtime, http, platforms: () => platforms, logger });
  mountHealthRoutes(http, {
    store: runtime.store,
    platforms: () => platforms,
    shuttingDown: shutdown.isShuttingDown,
  });

  const deps = { config, engine: runtime.engine, store: runtime.store, logger, http };
  if (config.discord) platforms.push(await startDiscord(deps));
  if (config.slack) platforms.push(await startSlack(deps));
  logger.info(
    { platforms: platforms.map((p) => p.name), port: http.port, store: runtime.store.kind },
    'gemini-chat-bot started',
  );
}

main().catch(exitWithStartupError);
