/**
 * De-duplication shared by every instance: `SET key 1 NX PX ttl` is one atomic set-if-absent, so
 * exactly one instance handles an event that the platform delivered twice (or to two shards).
 */
import type { StoreKeys } from '../keys.js';
import type { Deduplicator } from '../types.js';
import type { RedisConnection } from './connection.js';

export class RedisDeduplicator implements Deduplicator {
  private readonly redis: RedisConnection;
  private readonly keys: StoreKeys;

  constructor(redis: RedisConnection, keys: StoreKeys) {
    this.redis = redis;
    this.keys = keys;
  }

  async claim(id: string, ttlMs: number): Promise<boolean> {
    const reply = await this.redis.run('a de-duplication claim', (client) =>
      client.set(this.keys.dedupe(id), '1', { condition: 'NX', expiration: { type: 'PX', value: ttlMs } }),
    );
    return reply === 'OK';
  }
}
