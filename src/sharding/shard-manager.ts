/**
 * DISCORD_SHARDS: runs discord.js's ShardingManager in this process. It forks the bot's own entry
 * once per shard; each child is a full Discord bot (engine, store, upstream client) on the shared
 * store, so locks, de-dupe, rate limits and the upstream cap hold across all of them. The manager
 * respawns a child that dies, forwards SIGTERM to every child on shutdown and waits for their own
 * graceful shutdown, and reports to /readyz as one `discord` platform that is ready when every
 * shard is.
 */
import type { ChildProcess } from 'node:child_process';
import { ShardingManager } from 'discord.js';
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import type { PlatformHandle } from '../platforms/types.js';

export interface ShardManagerOptions {
  config: Config;
  logger: Logger;
  totalShards: number | 'auto';
  /** The script each shard runs (the bot's own entry). */
  entry: string;
  /** Node flags for the children, e.g. tsx's loader in development (default: this process's). */
  execArgv?: string[];
  /**
   * Pause between two shard starts. Discord lets a bot identify once per 5 s per concurrency
   * bucket, so discord.js waits 5.5 s by default; tests against the emulator shorten it.
   */
  spawnDelayMs?: number;
  /** How long one shard may take to become ready before the manager reports it (default 60 s). */
  spawnTimeoutMs?: number;
}

/** The manager as a platform, plus the child processes (for metrics and shutdown). */
export interface ShardedDiscord extends PlatformHandle {
  readonly totalShards: number;
  children(): ChildProcess[];
}

const DEFAULT_SPAWN_DELAY_MS = 5_500;
const DEFAULT_API = 'https://discord.com/api';

/** Starts spawning the shards and returns at once; `isReady()` turns true when all are up. */
export async function startShardManager(options: ShardManagerOptions): Promise<ShardedDiscord> {
  const { config, logger } = options;
  const discord = config.discord;
  if (!discord) throw new ConfigError('DISCORD_TOKEN', 'DISCORD_TOKEN is required with DISCORD_SHARDS.');
  const totalShards =
    options.totalShards === 'auto'
      ? await recommendedShardCount(discord.apiUrl ?? DEFAULT_API, discord.token)
      : options.totalShards;

  const manager = new ShardingManager(options.entry, {
    totalShards,
    token: discord.token,
    execArgv: options.execArgv ?? process.execArgv,
    respawn: true,
    mode: 'process',
  });
  let stopping = false;
  manager.on('shardCreate', (shard) => {
    const log = logger.child({ shard: shard.id });
    shard.on('ready', () => log.info('shard ready'));
    shard.on('death', (child) => {
      const code = 'exitCode' in child ? child.exitCode : undefined;
      if (!stopping) log.warn({ code }, 'shard process exited; respawning');
    });
    shard.on('error', (err) => log.error({ err }, 'shard error'));
  });

  // Spawning takes totalShards × the identify delay; the HTTP server and Slack run meanwhile.
  const spawning = manager
    .spawn({
      amount: totalShards,
      delay: options.spawnDelayMs ?? DEFAULT_SPAWN_DELAY_MS,
      timeout: options.spawnTimeoutMs ?? 60_000,
    })
    .then(() => logger.info({ totalShards }, 'all shards spawned'))
    .catch((err: unknown) => {
      if (!stopping) logger.error({ err }, 'spawning shards failed; dead shards are respawned');
    });

  const children = () =>
    [...manager.shards.values()].map((shard) => shard.process).filter((p): p is ChildProcess => p !== null);

  return {
    name: 'discord',
    totalShards,
    children,
    isReady: () =>
      manager.shards.size === totalShards && [...manager.shards.values()].every((shard) => shard.ready),
    async stop() {
      stopping = true;
      manager.respawn = false;
      // Each child runs its own graceful shutdown on SIGTERM (same grace as ours), so wait a little
      // longer than the grace period before killing what is left.
      const deadlineMs = config.shutdownGraceMs + 10_000;
      await Promise.all(
        [...manager.shards.values()].map(async (shard) => {
          const child = shard.process;
          if (!child || child.exitCode !== null) return;
          const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
          shard.kill(); // removes the respawn listener, sends SIGTERM
          const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
          await exited;
          clearTimeout(timer);
        }),
      );
      await spawning;
    },
  };
}

/**
 * Discord's recommended shard count from GET /gateway/bot. Asked here rather than through
 * discord.js's `'auto'`, which always asks discord.com and so ignores DISCORD_API_URL.
 */
export async function recommendedShardCount(apiUrl: string, token: string): Promise<number> {
  const response = await fetch(`${apiUrl.replace(/\/+$/, '')}/v10/gateway/bot`, {
    headers: { authorization: `Bot ${token}` },
    signal: AbortSignal.timeout(15_000),
  });
  if (response.status === 401) {
    throw new ConfigError(
      'DISCORD_TOKEN',
      'DISCORD_TOKEN was refused by Discord (401) while asking for the shard count.',
    );
  }
  if (!response.ok) throw new Error(`GET /gateway/bot answered ${response.status}`);
  const body = (await response.json()) as { shards?: unknown };
  const shards = Number(body.shards);
  if (!Number.isInteger(shards) || shards < 1) throw new Error('GET /gateway/bot gave no shard count');
  return shards;
}
