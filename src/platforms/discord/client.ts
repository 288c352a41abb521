/**
 * The discord.js Client the adapter runs on. Logging in, reconnecting and resuming are discord.js's
 * own; this file only chooses the intents, the partials DMs need, the API base (DISCORD_API_URL for
 * proxies and the loopback emulator) and how rate limits surface.
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

/** Channel message routes as @discordjs/rest names its buckets (`/channels/:id/messages[/:id]`). */
const MESSAGE_ROUTE = /^\/channels\/:id\/messages(\/:id)?$/;
/** Application command routes (global or one guild's), where a 429 can mean "try again tomorrow". */
const COMMANDS_ROUTE = /^\/applications\/:id(\/guilds\/:id)?\/commands$/;

/**
 * Message sends and edits (and command registration) reject instead of waiting in discord.js's queue when their bucket is
 * spent, so the reply renderer learns about it (and widens its interval) and later text replaces
 * the queued one. Everything else (threads, interactions, typing) keeps discord.js's queueing, but
 * never for longer than the bot's Retry-After cap: a day-long wait would hold the turn for a day.
 */
export function rejectMessageRateLimits(data: RateLimitData): boolean {
  if (exceedsRetryAfterCap(Math.max(data.retryAfter, data.timeToReset))) return true;
  const method = data.method.toUpperCase();
  // Command registration at start-up: the daily create limit answers 429 for hours; waiting in the
  // queue would hold start-up that long, so it fails at once (one warning) instead.
  if (COMMANDS_ROUTE.test(data.route)) return true;
  return (method === 'POST' || method === 'PATCH') && MESSAGE_ROUTE.test(data.route);
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
      rejectOnRateLimit: rejectMessageRateLimits,
    },
    ...(options.shards !== undefined ? { shards: options.shards } : {}),
    ...(options.shardCount !== undefined ? { shardCount: options.shardCount } : {}),
  });
}
