import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import {
  discordShardOptions,
  parseShardIds,
  resolveShardPlan,
  shardLabel,
} from '../../src/sharding/shard-plan.js';

const base = { ACEDATA_API_TOKEN: 't', DISCORD_TOKEN: 'discord-token' };
const planFor = (env: Record<string, string>, processEnv: NodeJS.ProcessEnv = {}) =>
  resolveShardPlan(loadConfig({ ...base, ...env }), processEnv);

describe('DISCORD_SHARD_IDS parsing', () => {
  it('expands ranges and single ids into sorted distinct ids', () => {
    expect(parseShardIds('0-3,5')).toEqual([0, 1, 2, 3, 5]);
    expect(parseShardIds('7,2,2-3')).toEqual([2, 3, 7]);
    expect(parseShardIds('4')).toEqual([4]);
  });

  it('refuses a reversed range and garbage, naming the variable', () => {
    expect(() => parseShardIds('3-1')).toThrow(/DISCORD_SHARD_IDS has a reversed range "3-1"/);
    expect(() => parseShardIds('a-b')).toThrow(ConfigError);
    expect(() => parseShardIds('1,,2')).toThrow(/expected shard ids/);
  });
});

describe('which shards this process runs', () => {
  it('runs unsharded without sharding variables, or without Discord at all', () => {
    expect(planFor({})).toEqual({ mode: 'single' });
    expect(resolveShardPlan(loadConfig({ ACEDATA_API_TOKEN: 't' }), {})).toEqual({ mode: 'single' });
  });

  it('DISCORD_SHARDS makes this process the ShardingManager', () => {
    expect(planFor({ DISCORD_SHARDS: '4' })).toEqual({ mode: 'manager', totalShards: 4 });
    expect(planFor({ DISCORD_SHARDS: 'auto' })).toEqual({ mode: 'manager', totalShards: 'auto' });
    expect(() => planFor({ DISCORD_SHARDS: '0' })).toThrow(/DISCORD_SHARDS must be "auto" or 1/);
  });

  it('DISCORD_SHARD_IDS with DISCORD_SHARD_COUNT runs exactly those shards, passed to the Client', () => {
    const plan = planFor({ DISCORD_SHARD_IDS: '0-3,5', DISCORD_SHARD_COUNT: '8' });
    expect(plan).toEqual({ mode: 'fixed', shardIds: [0, 1, 2, 3, 5], shardCount: 8 });
    expect(discordShardOptions(plan)).toEqual({ shards: [0, 1, 2, 3, 5], shardCount: 8 });
    expect(shardLabel(plan)).toBe('0,1,2,3,5');
    expect(shardLabel(planFor({ DISCORD_SHARD_IDS: '4-7', DISCORD_SHARD_COUNT: '8' }))).toBe('4-7');
  });

  it('a count alone runs every shard in this one process', () => {
    expect(planFor({ DISCORD_SHARD_COUNT: '3' })).toEqual({
      mode: 'fixed',
      shardIds: [0, 1, 2],
      shardCount: 3,
    });
  });

  it('refuses contradictions with a sentence that says what to do', () => {
    expect(() => planFor({ DISCORD_SHARD_IDS: '0-1' })).toThrow(/DISCORD_SHARD_COUNT is required/);
    expect(() => planFor({ DISCORD_SHARD_IDS: '0-4', DISCORD_SHARD_COUNT: '4' })).toThrow(
      /names shard 4, but DISCORD_SHARD_COUNT is 4/,
    );
    expect(() => planFor({ DISCORD_SHARDS: '2', DISCORD_SHARD_IDS: '0' })).toThrow(/cannot be combined/);
  });

  it('a process forked by the ShardingManager takes its shards from SHARDS / SHARD_COUNT', () => {
    const child = planFor(
      { DISCORD_SHARDS: 'auto' },
      { SHARDING_MANAGER: 'true', SHARDS: '[2]', SHARD_COUNT: '4' },
    );
    expect(child).toEqual({ mode: 'shard-child', shardIds: [2], shardCount: 4 });
    // discord.js reads those variables itself: nothing explicit goes to the Client.
    expect(discordShardOptions(child)).toEqual({});
    expect(shardLabel(child)).toBe('2');
  });
});
