/**
 * `startDiscord`: builds the discord.js client, registers the attachment resolver with the engine,
 * attaches the adapter, logs in and registers the commands when Discord's differ
 * (register-commands.ts). A gateway close for disallowed intents (4014: the Message Content intent
 * is not switched on) ends start-up with one clear line, as do a bad token and an API that cannot be
 * reached (DNS, refused connection, timeout).
 */
import { type Client, DefaultRestOptions, Events, Status } from 'discord.js';
import { discordCommands } from '../../../commands/discord-commands.js';
import { ConfigError, PlatformUnreachableError } from '../../errors.js';
import { discordShardOptions, resolveShardPlan } from '../../sharding/shard-plan.js';
import { hostOf, networkFailureCode } from '../network-failure.js';
import type { PlatformDependencies, PlatformHandle } from '../types.js';
import { DiscordAdapter } from './adapter.js';
import { createDiscordClient } from './client.js';
import { holdsShardZero, registerCommands } from './register-commands.js';
import { createDiscordResolver } from './resolver.js';

export type { PlatformHandle };

/** Gateway close code: the bot asked for a privileged intent it is not allowed. */
export const DISALLOWED_INTENTS = 4014;

export const MESSAGE_CONTENT_INTENT_HELP =
  'Discord refused the Message Content intent (gateway close 4014). Switch on "Message Content Intent" ' +
  'under Bot → Privileged Gateway Intents in the Discord developer portal, then start the bot again.';

export interface DiscordStartOptions extends Omit<PlatformDependencies, 'http'> {
  http?: PlatformDependencies['http'];
  /** Clock for attachment URL expiry (tests age URLs with it). */
  now?: () => number;
  /** Called with the client before login (tests and benchmarks observe REST events). */
  onClient?: (client: Client) => void;
}

/** Starts the Discord adapter; resolves once the client is ready (all guilds received). */
export async function startDiscord(deps: DiscordStartOptions): Promise<PlatformHandle> {
  const discord = deps.config.discord;
  if (!discord)
    throw new ConfigError('DISCORD_TOKEN', 'DISCORD_TOKEN is required to start the Discord adapter.');
  const logger = deps.logger.child({ platform: 'discord' });
  // One shard plan for the whole bot (src/sharding): a manager's children read SHARDS from their
  // environment, a fixed range (DISCORD_SHARD_IDS) is passed explicitly.
  const client = createDiscordClient({
    apiUrl: discord.apiUrl,
    ...discordShardOptions(resolveShardPlan(deps.config)),
  });
  deps.onClient?.(client);
  deps.engine.registerResolver(
    'discord',
    createDiscordResolver({
      rest: client.rest,
      apiUrl: discord.apiUrl,
      ...(deps.now ? { now: deps.now } : {}),
    }),
  );
  const adapter = new DiscordAdapter({
    client,
    config: deps.config,
    engine: deps.engine,
    store: deps.store,
    logger,
  });
  adapter.attach();

  let stopped = false;
  const refused = new Promise<never>((_, reject) => {
    client.on(Events.ShardDisconnect, (event, shardId) => {
      if (event.code !== DISALLOWED_INTENTS) {
        logger.error({ code: event.code, shardId }, 'Discord closed the gateway and will not reconnect');
        return;
      }
      logger.error({ code: event.code }, MESSAGE_CONTENT_INTENT_HELP);
      reject(new ConfigError('DISCORD_TOKEN', MESSAGE_CONTENT_INTENT_HELP));
      // After start-up too: one clear line, then the client stops instead of idling without content.
      if (!stopped) {
        stopped = true;
        void client.destroy();
      }
    });
  });
  refused.catch(() => undefined);
  client.on(Events.ShardError, (err, shardId) => logger.warn({ err, shardId }, 'Discord gateway error'));
  client.on(Events.ShardResume, (shardId) => logger.info({ shardId }, 'Discord gateway resumed'));

  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  try {
    await Promise.race([client.login(discord.token).then(() => ready), refused]);
  } catch (error) {
    stopped = true;
    await client.destroy();
    if (error instanceof ConfigError) throw error;
    if ((error as { code?: string }).code === 'TokenInvalid') {
      throw new ConfigError('DISCORD_TOKEN', 'DISCORD_TOKEN was refused by Discord: check the bot token.');
    }
    const networkCode = networkFailureCode(error);
    if (networkCode) {
      const host = hostOf(discord.apiUrl ?? DefaultRestOptions.api);
      throw new PlatformUnreachableError('Discord', host, networkCode, { cause: error });
    }
    throw error;
  }
  logger.info({ user: client.user?.tag, guilds: client.guilds.cache.size }, 'Discord connected');
  // Commands are per application, not per shard: one shard registers them (never throws).
  if (discord.registerCommands && client.application && holdsShardZero(client.options.shards)) {
    await registerCommands({
      rest: client.rest,
      applicationId: client.application.id,
      guildId: discord.guildId,
      definitions: discordCommands(),
      logger,
    });
  }

  return {
    name: 'discord',
    isReady: () => !stopped && client.isReady() && client.ws.status === Status.Ready,
    async stop() {
      if (stopped) return;
      stopped = true;
      await client.destroy();
    },
  };
}
