/**
 * Spend-budget period counters on Redis: INCRBY is atomic, so every instance adding a turn's
 * tokens to the same user's or workspace's day at once is counted; PEXPIREAT lets a period's key
 * go once the period is over (the period is in the key, so the next one starts at 0 anyway).
 */
import type { StoreKeys } from '../keys.js';
import type { SpendCounterRef, SpendCounters } from '../types.js';
import type { RedisConnection } from './connection.js';

export class RedisSpendCounters implements SpendCounters {
  private readonly redis: RedisConnection;
  private readonly keys: StoreKeys;

  constructor(redis: RedisConnection, keys: StoreKeys) {
    this.redis = redis;
    this.keys = keys;
  }

  async add(counters: readonly SpendCounterRef[], tokens: number): Promise<number[]> {
    if (counters.length === 0) return [];
    const replies = await this.redis.run('a spend update', async (client) => {
      const transaction = client.multi();
      for (const counter of counters) {
        const key = this.keys.spend(counter.id);
        transaction.incrBy(key, tokens);
        transaction.pExpireAt(key, counter.expiresAt);
      }
      return transaction.exec();
    });
    // Each counter queued two commands: its INCRBY reply comes first.
    return counters.map((_, index) => Number(replies[index * 2]));
  }

  async read(ids: readonly string[]): Promise<number[]> {
    if (ids.length === 0) return [];
    const values = await this.redis.run('a spend read', (client) =>
      client.mGet(ids.map((id) => this.keys.spend(id))),
    );
    return values.map((value) => (value === null ? 0 : Number(value) || 0));
  }
}
