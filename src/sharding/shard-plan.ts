/**
 * Which Discord shards this process runs, decided once at start-up from configuration and from the
 * environment discord.js's ShardingManager gives the processes it spawns.
 *
 * - `single`: no sharding variables: one process, one gateway connection (discord.js default).
 * - `manager`: DISCORD_SHARDS=<n>|auto: this process spawns one child process per shard through
 *   discord.js's ShardingManager and runs Slack and the HTTP server itself (Slack must have exactly
 *   one receiver per app connection, and PORT can be bound only once).
 * - `shard-child`: this process was spawned by a manager (SHARDING_MANAGER=true): Discord only,
 *   its shard ids come from the SHARDS / SHARD_COUNT variables the manager set.
 * - `fixed`: DISCORD_SHARD_IDS (+ DISCORD_SHARD_COUNT): container platforms that run one process per
 *   shard range themselves; the Client gets `shards` and `shardCount` explicitly.
 */
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';

export type ShardPlan =
  | { mode: 'single' }
  | { mode: 'manager'; totalShards: number | 'auto' }
  | { mode: 'shard-child'; shardIds: number[]; shardCount: number }
  | { mode: 'fixed'; shardIds: number[]; shardCount: number };

/** Highest shard count accepted: far above any real bot, low enough to catch a typo like 1e9. */
const MAX_SHARDS = 4_096;

/**
 * Parses a shard id list such as `0-3,5` into sorted, distinct ids ([0, 1, 2, 3, 5]).
 * Throws `ConfigError` (naming `variable`) on anything else, including reversed ranges.
 */
export function parseShardIds(text: string, variable = 'DISCORD_SHARD_IDS'): number[] {
  const ids = new Set<number>();
  for (const part of text.split(',').map((piece) => piece.trim())) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match) {
      throw new ConfigError(variable, `${variable} is malformed: expected shard ids such as 0-3 or 0,2.`);
    }
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first) {
      throw new ConfigError(variable, `${variable} has a reversed range "${part}": write ${last}-${first}.`);
    }
    if (last >= MAX_SHARDS) {
      throw new ConfigError(variable, `${variable} names shard ${last}: at most ${MAX_SHARDS - 1}.`);
    }
    for (let id = first; id <= last; id++) ids.add(id);
  }
  return [...ids].sort((a, b) => a - b);
}

/** Decides this process's role; throws `ConfigError` for contradictory sharding variables. */
export function resolveShardPlan(config: Config, env: NodeJS.ProcessEnv = process.env): ShardPlan {
  const discord = config.discord;
  if (env.SHARDING_MANAGER === 'true' && env.SHARDS !== undefined) {
    // Set by discord.js's Shard for the child it forks: SHARDS is a JSON number or array.
    const parsed: unknown = JSON.parse(env.SHARDS);
    const shardIds = (Array.isArray(parsed) ? parsed : [parsed]).map(Number);
    return { mode: 'shard-child', shardIds, shardCount: Number(env.SHARD_COUNT ?? shardIds.length) };
  }
  if (!discord) return { mode: 'single' };
  if (discord.shards !== undefined) {
    if (discord.shardIds !== undefined || discord.shardCount !== undefined) {
      throw new ConfigError(
        'DISCORD_SHARDS',
        'DISCORD_SHARDS cannot be combined with DISCORD_SHARD_IDS or DISCORD_SHARD_COUNT: use the first to let the bot spawn every shard, the others to run a given range in this process.',
      );
    }
    if (discord.shards === 'auto') return { mode: 'manager', totalShards: 'auto' };
    const totalShards = Number(discord.shards);
    if (totalShards < 1 || totalShards > MAX_SHARDS) {
      throw new ConfigError('DISCORD_SHARDS', `DISCORD_SHARDS must be "auto" or 1 to ${MAX_SHARDS}.`);
    }
    return { mode: 'manager', totalShards };
  }
  if (discord.shardIds !== undefined) {
    if (discord.shardCount === undefined) {
      throw new ConfigError(
        'DISCORD_SHARD_COUNT',
        'DISCORD_SHARD_COUNT is required with DISCORD_SHARD_IDS: Discord routes guilds by the total shard count.',
      );
    }
    const shardIds = parseShardIds(discord.shardIds);
    const tooHigh = shardIds.find((id) => id >= discord.shardCount!);
    if (tooHigh !== undefined) {
      throw new ConfigError(
        'DISCORD_SHARD_IDS',
        `DISCORD_SHARD_IDS names shard ${tooHigh}, but DISCORD_SHARD_COUNT is ${discord.shardCount}: ids run from 0 to ${discord.shardCount - 1}.`,
      );
    }
    return { mode: 'fixed', shardIds, shardCount: discord.shardCount };
  }
  if (discord.shardCount !== undefined) {
    // A count alone: this one process runs every shard (discord.js internal sharding).
    const shardIds = Array.from({ length: discord.shardCount }, (_, id) => id);
    return { mode: 'fixed', shardIds, shardCount: discord.shardCount };
  }
  return { mode: 'single' };
}

/**
 * The discord.js `ClientOptions` fields for this process's shards, to spread into `new Client({…})`.
 * Empty for `single` and `shard-child` (discord.js reads SHARDS / SHARD_COUNT from the environment
 * the manager set); explicit ids for `fixed`.
 */
export function discordShardOptions(plan: ShardPlan): { shards?: number[]; shardCount?: number } {
  if (plan.mode === 'fixed') return { shards: plan.shardIds, shardCount: plan.shardCount };
  return {};
}

/** A short label for logs and metrics: `0`, `0-3`, `0,2`; undefined when not sharded. */
export function shardLabel(plan: ShardPlan): string | undefined {
  if (plan.mode !== 'fixed' && plan.mode !== 'shard-child') return undefined;
  const ids = plan.shardIds;
  const contiguous = ids.every((id, index) => index === 0 || id === ids[index - 1]! + 1);
  if (ids.length > 2 && contiguous) return `${ids[0]}-${ids.at(-1)}`;
  return ids.join(',');
}
