/**
 * The discord.js Client the adapter runs on. Logging in, reconnecting and resuming are discord.js's
 * own; this file only chooses the intents, the partials DMs need, the API base (DISCORD_API_URL for
 * proxies and the loopback emulator) and which rate limits fail instead of waiting.
 */
import { Client, type ClientOptions, GatewayIntentBits, Partials, type RateLimitData } from 'discord.js';
import { exceedsRetryAfterCap } from '../../retry-after.js';
import { NO_MENTIONS } from './format.js';

/**
 * Guilds (channels, threads), guild and DM messages, and Message Content: privileged, switched on
 * in the developer portal (docs/discord.md), else the gateway closes with 4014.
 */
export const DISCORD_INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.MessageContent,
  GatewayIntentBits.DirectMessages,
];

/** Application command routes (global or one guild's), where a 429 can mean "try again tomorrow". */
const COMMANDS_ROUTE = /^\/applications\/:id(\/guilds\/:id)?\/commands$/;

/**
 * The requests that fail at once instead of waiting in @discordjs/rest's bucket queue. Everything
 * else, message sends and edits included, waits there: the queue follows Discord's own
 * `X-RateLimit-*` headers per bucket and retries a 429 after Retry-After, so replies sharing a
 * channel take turns and no edit is lost (docs/architecture.md, "Pacing"). But nothing waits past
 * the bot's Retry-After cap: a day-long wait would hold the turn for a day.
 */
export function rejectUnwaitableRateLimits(data: RateLimitData): boolean {
  if (exceedsRetryAfterCap(Math.max(data.retryAfter, data.timeToReset))) return true;
  // Command registration at start-up: the daily create limit answers 429 for hours; waiting in the
  // queue would hold start-up that long, so it fails at once (one warning) instead.
  return COMMANDS_ROUTE.test(data.route);
}

export interface DiscordClientOptions {
  /** REST base without the version, e.g. `http://127.0.0.1:4000/api` (default: Discord's). */
  apiUrl?: string | undefined;
  /** Shard settings from DISCORD_SHARDS / DISCORD_SHARD_COUNT; default one shard. */
  shards?: ClientOptions['shards'];
  shardCount?: number | undefined;
}

/** A Client with the bot's intents, partials and REST settings; not logged in yet. */
export function createDiscordClient(options: DiscordClientOptions = {}): Client {
  return new Client({
    intents: DISCORD_INTENTS,
    // DM channels are not cached before their first message; without this partial discord.js
    // drops DMs silently. Messages may be uncached when edited.
    partials: [Partials.Channel, Partials.Message],
    // A second safety net: whatever a code path forgets, the client never parses mentions.
    allowedMentions: NO_MENTIONS,
    rest: {
      ...(options.apiUrl ? { api: options.apiUrl } : {}),
      rejectOnRateLimit: rejectUnwaitableRateLimits,
    },
    ...(options.shards !== undefined ? { shards: options.shards } : {}),
    ...(options.shardCount !== undefined ? { shardCount: options.shardCount } : {}),
  });
}
