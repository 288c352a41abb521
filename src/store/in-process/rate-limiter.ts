/**
 * Sliding-window rate limit inside one process: the timestamps of accepted hits within the last
 * window, per id. A refused hit is not recorded, so a user who keeps trying is not locked out for
 * longer than the window.
 */
import type { RateLimitDecision, RateLimiter } from '../types.js';

export class InProcessRateLimiter implements RateLimiter {
  private readonly hits = new Map<string, number[]>();

  async hit(id: string, limit: number, windowMs: number): Promise<RateLimitDecision> {
    if (limit <= 0) return { allowed: true, retryAfterMs: 0 };
    const now = Date.now();
    const recent = (this.hits.get(id) ?? []).filter((at) => at > now - windowMs);
    if (recent.length >= limit) {
      this.hits.set(id, recent);
      // The oldest hit inside the window is the next to leave it.
      return { allowed: false, retryAfterMs: Math.max(1, recent[0]! + windowMs - now) };
    }
    recent.push(now);
    this.hits.set(id, recent);
    this.forgetIdle(now, windowMs);
    return { allowed: true, retryAfterMs: 0 };
  }

  /** Drops ids whose every hit left the window, so idle users cost nothing. */
  private forgetIdle(now: number, windowMs: number): void {
    if (this.hits.size < 10_000) return;
    for (const [id, hits] of this.hits) {
      if (hits.every((at) => at <= now - windowMs)) this.hits.delete(id);
    }
  }
}
