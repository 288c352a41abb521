/**
 * DISCORD_SHARDS with the real entry point against the loopback Discord emulator: the process
 * becomes discord.js's ShardingManager, forks src/main.ts once per shard, reports ready when every
 * shard is, merges the shards' metrics on /metrics, and on SIGTERM stops its children and exits 0.
 */
import { randomUUID } from 'node:crypto';
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recommendedShardCount } from '../../src/sharding/shard-manager.js';
import { type DiscordEmulator, startDiscordEmulator } from '../emulators/discord/server.js';
import { startUpstreamEmulator, type UpstreamEmulator } from '../emulators/upstream/server.js';
import { type BotProcess, killAll, startBotProcess } from '../scale/bot-process.js';
import { waitFor } from '../scale/chat-recorder.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `test-shards-${randomUUID().slice(0, 8)}`;
let discord: DiscordEmulator;
let upstream: UpstreamEmulator;
let manager: BotProcess;
const redis = createClient({ url: REDIS_URL });

beforeAll(async () => {
  await redis.connect();
  discord = await startDiscordEmulator();
  upstream = await startUpstreamEmulator();
  manager = await startBotProcess(
    'manager',
    {
      ACEDATA_API_TOKEN: upstream.token,
      ACEDATA_BASE_URL: upstream.url,
      DISCORD_TOKEN: discord.token,
      DISCORD_API_URL: discord.apiUrl,
      DISCORD_SHARDS: '2',
      STORE_URL: REDIS_URL,
      STORE_PREFIX: prefix,
      SHUTDOWN_GRACE_MS: '3000',
    },
    { args: ['--import', 'tsx', 'src/main.ts'], startedMessage: 'gemini-chat-bot started' },
  );
}, 60_000);

afterAll(async () => {
  await killAll([manager]);
  await upstream?.close();
  await discord?.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(keys);
  await redis.close();
});

describe('DISCORD_SHARDS=2', () => {
  it('asks the configured API, not discord.com, for the recommended shard count', async () => {
    expect(await recommendedShardCount(discord.apiUrl, discord.token)).toBe(1);
    await expect(recommendedShardCount(discord.apiUrl, 'wrong-token')).rejects.toThrow(/DISCORD_TOKEN/);
  });

  it('spawns one process per shard, is ready when both are, and merges their metrics', async () => {
    expect(manager.logs.find((l) => l.msg === 'gemini-chat-bot started')).toMatchObject({ shards: 2 });
    await waitFor(
      'both shards to be ready',
      () => manager.logs.some((l) => l.msg === 'all shards spawned'),
      60_000,
    );
    const ready = await fetch(`${manager.url}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', problems: [] });

    const shardStarts = manager.logs.filter((l) => l.msg === 'gemini-chat-bot shard started');
    expect(shardStarts.map((l) => l.shard).sort()).toEqual(['0', '1']);
    const pids = new Set(shardStarts.map((l) => l.pid));
    expect(pids.size).toBe(2);
    expect(pids.has(manager.child.pid)).toBe(false);

    const metrics = await (await fetch(`${manager.url}/metrics`)).text();
    expect(metrics).toMatch(/gcb_active_streams\{shard="0"\} 0/);
    expect(metrics).toMatch(/gcb_active_streams\{shard="1"\} 0/);
  }, 60_000);

  it('stops the shard processes and exits 0 on SIGTERM', async () => {
    const shardPids = manager.logs
      .filter((l) => l.msg === 'gemini-chat-bot shard started')
      .map((l) => Number(l.pid));
    manager.child.kill('SIGTERM');
    expect((await manager.exited).code).toBe(0);
    expect(shardPids).toHaveLength(2);
    for (const pid of shardPids) expect(isAlive(pid), `shard process ${pid}`).toBe(false);
  }, 60_000);
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
