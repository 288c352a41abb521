/**
 * `npm start` / `npm run start:prod`: the one place that builds everything. Reads configuration,
 * opens the store, starts the HTTP server (health, readiness, metrics, Slack events), then every
 * platform whose token is set, and shuts down gracefully on SIGTERM/SIGINT.
 *
 * With Discord sharding (src/sharding/shard-plan.ts) the same entry plays one of two roles:
 * - the process started by the operator runs the HTTP server, Slack, and discord.js's
 *   ShardingManager, which forks this file again once per shard;
 * - each forked shard process runs Discord only, without an HTTP server (PORT is bound once), and
 *   answers the manager's metrics requests over IPC so /metrics covers every shard.
 */
import { type Config, loadConfig, loadDotEnv } from './config.js';
import { ConfigError } from './errors.js';
import { exitWithStartupError } from './exit-on-error.js';
import { createLogger, type Logger } from './log.js';
import { mountHealthRoutes } from './ops/health.js';
import { type HttpRoutes, startHttpServer } from './ops/http-server.js';
import { BotMetrics, mountMetricsRoute } from './ops/metrics.js';
import { installShutdown } from './ops/shutdown.js';
import { startDiscord } from './platforms/discord/index.js';
import { startSlack } from './platforms/slack/index.js';
import type { PlatformHandle } from './platforms/types.js';
import { createRuntime } from './runtime.js';
import { type ShardedDiscord, startShardManager } from './sharding/shard-manager.js';
import { aggregateMetricsText, serveMetricsToManager } from './sharding/shard-metrics-ipc.js';
import { resolveShardPlan, type ShardPlan, shardLabel } from './sharding/shard-plan.js';

async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  if (!config.discord && !config.slack) {
    throw new ConfigError(
      'DISCORD_TOKEN',
      'DISCORD_TOKEN or SLACK_BOT_TOKEN is required: set at least one platform token (or try `npm run chat`).',
    );
  }
  const plan = resolveShardPlan(config);
  const shard = shardLabel(plan);
  const logger = createLogger(config.logLevel).child(shard === undefined ? {} : { shard });
  if (plan.mode === 'shard-child') await runShardProcess(config, logger, shard ?? '');
  else await runBotProcess(config, plan, logger, shard);
}

/** The process the operator started: HTTP server, Slack, and Discord (directly or through shards). */
async function runBotProcess(
  config: Config,
  plan: ShardPlan,
  logger: Logger,
  shard: string | undefined,
): Promise<void> {
  const metrics = new BotMetrics(shard === undefined ? {} : { defaultLabels: { shard } });
  const runtime = await createRuntime(config, logger, { metrics });
  const http = await startHttpServer({ port: config.port, logger });
  const platforms: PlatformHandle[] = [];
  /**
   * Stopped as soon as shutdown starts, in parallel with this process's drain: the shard children
   * (they drain themselves), and Slack, whose stop() answers new events 503 (Slack redelivers them
   * to another instance) and waits for its replies while its Web API client keeps working. Discord's
   * stop() destroys the client, so it waits until the replies it would edit have ended.
   */
  const stopFirst: PlatformHandle[] = [];
  let sharded: ShardedDiscord | undefined;
  const control = installShutdown({
    runtime,
    http,
    platforms: () => platforms.filter((platform) => !stopFirst.includes(platform)),
    stopFirst: () => stopFirst,
    logger,
  });
  mountHealthRoutes(http, {
    store: runtime.store,
    platforms: () => platforms,
    shuttingDown: control.isShuttingDown,
  });
  mountMetricsRoute(http, () =>
    sharded ? aggregateMetricsText(metrics.registry, sharded.children()) : metrics.render(),
  );

  const deps = { config, engine: runtime.engine, store: runtime.store, logger, http };
  if (config.discord && plan.mode === 'manager') {
    sharded = await startShardManager({
      config,
      logger,
      totalShards: plan.totalShards,
      entry: process.argv[1]!,
    });
    platforms.push(sharded);
    stopFirst.push(sharded);
  } else if (config.discord) {
    platforms.push(await startDiscord(deps));
  }
  if (config.slack) {
    const slack = await startSlack(deps);
    platforms.push(slack);
    stopFirst.push(slack);
  }
  logger.info(
    {
      platforms: platforms.map((p) => p.name),
      port: http.port,
      pid: process.pid,
      store: runtime.store.kind,
      ...(sharded ? { shards: sharded.totalShards } : {}),
    },
    'gemini-chat-bot started',
  );
}

/** A process forked by the ShardingManager: Discord only, for the shards in SHARDS. */
async function runShardProcess(managerConfig: Config, logger: Logger, shard: string): Promise<void> {
  // The shard ids come from SHARDS / SHARD_COUNT, which discord.js's Client reads itself; the
  // inherited DISCORD_SHARDS must not reach the adapter, or "auto" would run every shard here.
  const discord = managerConfig.discord && {
    ...managerConfig.discord,
    shards: undefined,
    shardIds: undefined,
    shardCount: undefined,
  };
  const config: Config = { ...managerConfig, discord };
  const metrics = new BotMetrics({ defaultLabels: { shard } });
  const runtime = await createRuntime(config, logger, { metrics });
  serveMetricsToManager(metrics.registry);
  const platforms: PlatformHandle[] = [];
  const control = installShutdown({ runtime, platforms: () => platforms, logger });
  // The manager owns the port; routes a platform might mount here would never be reached.
  const noHttp: HttpRoutes = { route: () => undefined };
  platforms.push(
    await startDiscord({ config, engine: runtime.engine, store: runtime.store, logger, http: noHttp }),
  );
  // A manager that died without telling us (SIGKILL) closes the IPC channel: drain and exit.
  process.once('disconnect', () => {
    void control.shutdown('manager disconnected').finally(() => process.exit(0));
  });
  logger.info({ store: runtime.store.kind, pid: process.pid }, 'gemini-chat-bot shard started');
}

main().catch(exitWithStartupError);
