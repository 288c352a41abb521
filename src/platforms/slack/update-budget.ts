/**
 * A per-workspace budget for one Web API method, shared by every reply streaming in that workspace.
 * chat.update is Tier 3 per workspace ("50+ per minute", ../../../docs/platform-limits.md): one reply
 * editing once a second fits, three at once would not, and Slack would answer 429. So every edit
 * takes a token first; when many replies stream together each one simply updates less often.
 *
 * A token bucket with reservations: a caller that finds no token reserves the next one and waits
 * for it, so waiters are served in arrival order and the rate is never exceeded.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_RETRY_AFTER_MS } from '../../retry-after.js';
import type { RateLimitDecision, RateLimiter } from '../../store/types.js';

export interface BudgetOptions {
  /** Sustained calls per minute per workspace. */
  perMinute: number;
  /** Calls allowed at once after a quiet spell. */
  burst: number;
  /**
   * Several instances in one workspace share Slack's limit: with a shared store (Redis) every call
   * also takes a slot of a per-workspace window there, so all instances together stay under
   * `perMinute`. Without one, the budget is this process's alone.
   */
  shared?: { limiter: RateLimiter; method: string };
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class WorkspaceBudget {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    private readonly options: BudgetOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = options.perMinute / 60_000;
  }

  /** Takes one call's worth of budget, waiting (in arrival order) until it is there. */
  async take(workspace: string): Promise<void> {
    await this.takeLocal(workspace);
    if (this.options.shared) await this.takeShared(workspace, this.options.shared);
  }

  /** Waits for a slot in the window all instances share; a store that is down does not stop replies. */
  private async takeShared(workspace: string, shared: NonNullable<BudgetOptions['shared']>): Promise<void> {
    for (;;) {
      let decision: RateLimitDecision;
      try {
        decision = await shared.limiter.hit(
          `slack:${shared.method}:${workspace}`,
          this.options.perMinute,
          60_000,
        );
      } catch {
        return;
      }
      if (decision.allowed) return;
      // The window is a minute, so the wait is too; the cap holds even for a store that says more.
      await sleep(Math.min(decision.retryAfterMs, MAX_RETRY_AFTER_MS));
    }
  }

  /** Reserves the next token; a caller that finds none waits until its reserved token is due. */
  private async takeLocal(workspace: string): Promise<void> {
    const bucket = this.refill(workspace);
    bucket.tokens -= 1;
    if (bucket.tokens >= 0) return;
    await sleep(Math.ceil(-bucket.tokens / this.perMs));
  }

  private refill(workspace: string): Bucket {
    const now = this.now();
    const bucket = this.buckets.get(workspace) ?? { tokens: this.options.burst, updatedAt: now };
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + (now - bucket.updatedAt) * this.perMs);
    bucket.updatedAt = now;
    this.buckets.set(workspace, bucket);
    return bucket;
  }
}

/**
 * Slack documents chat.update as Tier 3, "50+ per minute": the budget stays at the documented floor
 * with a small burst, so a workspace never sees a 429 from our edits alone.
 */
export const CHAT_UPDATE_BUDGET: BudgetOptions = { perMinute: 50, burst: 10 };
/** chat.appendStream is Tier 4 ("100+ per minute"). */
export const APPEND_STREAM_BUDGET: BudgetOptions = { perMinute: 90, burst: 15 };
/**
 * chat.startStream and chat.stopStream together: Tier 2 ("20+ per minute"). A reply makes one of
 * each (more past a part boundary), so the budget keeps half of a burst of 10 in reserve.
 */
export const STREAM_START_STOP_BUDGET: BudgetOptions = { perMinute: 20, burst: 5 };
/**
 * agents.sessions.setStatus and rename, together: Tier 3 like chat.update. Every turn in a thread
 * makes two calls (processing, then active), so twenty mentions at once would spend a burst twice.
 */
export const AGENT_SESSION_BUDGET: BudgetOptions = { perMinute: 50, burst: 10 };
