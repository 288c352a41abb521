/**
 * Usage totals as Redis hashes: HINCRBY is atomic, so instances adding tokens for the same user at
 * the same moment never lose an update (a Keyv read-modify-write across processes would).
 */

import type { UsageTotals } from '../types.js';
import { emptyTotals, USAGE_FIELDS, type UsageCounters } from '../usage-store.js';
import type { RedisConnection } from './connection.js';

export class RedisUsageCounters implements UsageCounters {
  private readonly redis: RedisConnection;

  constructor(redis: RedisConnection) {
    this.redis = redis;
  }

  async add(key: string, deltas: UsageTotals, ttlMs?: number): Promise<void> {
    await this.redis.run('a usage update', async (client) => {
      const transaction = client.multi();
      for (const field of USAGE_FIELDS) transaction.hIncrBy(key, field, deltas[field]);
      if (ttlMs !== undefined) transaction.pExpire(key, ttlMs);
      await transaction.exec();
    });
  }

  async read(key: string): Promise<UsageTotals> {
    const stored = await this.redis.run('a usage read', (client) => client.hGetAll(key));
    const totals = emptyTotals();
    for (const field of USAGE_FIELDS) {
      const value = Number((stored as Record<string, string>)[field]);
      if (Number.isFinite(value)) totals[field] = value;
    }
    return totals;
  }
}
