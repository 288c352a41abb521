/**
 * `KeyValueStore.update` made atomic across processes on Redis: read the raw Keyv entry, let the
 * caller compute the next value, and write it with a compare-and-set script that also checks the
 * caller's lock (scripts.ts, GUARDED_COMPARE_AND_SET). Two instances updating one key then never
 * lose an update, and a holder whose lock expired cannot write under it.
 */
import { createHash } from 'node:crypto';
import type { AtomicWrites, CompareAndSetResult } from '../kv.js';
import type { LockFence } from '../types.js';
import type { RedisConnection } from './connection.js';
import { GUARDED_COMPARE_AND_SET } from './scripts.js';

const RESULTS: Record<string, CompareAndSetResult> = { '1': 'written', '0': 'changed', '-1': 'lock_lost' };

export class RedisCompareAndSet implements AtomicWrites {
  private readonly redis: RedisConnection;

  constructor(redis: RedisConnection) {
    this.redis = redis;
  }

  async read(key: string): Promise<string | undefined> {
    const text = await this.redis.run('a read', (client) => client.get(key));
    return text ?? undefined;
  }

  async compareAndSet(
    key: string,
    expected: string | undefined,
    next: string | undefined,
    ttlMs: number | undefined,
    fence: LockFence | undefined,
  ): Promise<CompareAndSetResult> {
    const keys = fence ? [key, fence.key] : [key];
    const result = await this.redis.script('a guarded write', GUARDED_COMPARE_AND_SET, keys, [
      expected === undefined ? '' : sha1(expected),
      next ?? '',
      ttlMs ? ttlMs : '',
      fence?.holder ?? '',
    ]);
    return RESULTS[String(result)] ?? 'changed';
  }
}

/** Hex SHA-1 of the UTF-8 bytes, as Redis's `redis.sha1hex` computes it over the stored value. */
function sha1(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex');
}
