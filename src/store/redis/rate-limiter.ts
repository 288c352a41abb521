/**
 * Sliding-window rate limit shared by every instance: a sorted set of hit times per id, trimmed,
 * counted and recorded in one Lua script so two instances cannot both let the 11th request in.
 */
import { randomUUID } from 'node:crypto';
import type { StoreKeys } from '../keys.js';
import type { RateLimitDecision, RateLimiter } from '../types.js';
import type { RedisConnection } from './connection.js';
import { RATE_HIT } from './scripts.js';

/** Sliding-window limit on a sorted set of hit times, checked and recorded atomically in Lua. */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: RedisConnection;
  private readonly keys: StoreKeys;

  constructor(redis: RedisConnection, keys: StoreKeys) {
    this.redis = redis;
    this.keys = keys;
  }

  async hit(id: string, limit: number, windowMs: number): Promise<RateLimitDecision> {
    if (limit <= 0) return { allowed: true, retryAfterMs: 0 };
    const reply = (await this.redis.script(
      'a rate-limit check',
      RATE_HIT,
      [this.keys.rate(id)],
      [limit, windowMs, randomUUID()],
    )) as [number, number];
    return { allowed: reply[0] === 1, retryAfterMs: Number(reply[1]) };
  }
}
