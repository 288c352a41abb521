/**
 * A per-workspace budget for one Web API method, shared by every reply streaming in that workspace.
 * chat.update is Tier 3 per workspace ("50+ per minute", ../../../docs/platform-limits.md): one reply
 * editing once a second fits, three at once would not, and Slack would answer 429. So every edit
 * takes a token first; when many replies stream together each one simply updates less often.
 *
 * A token bucket with reservations: a caller that finds no token reserves the next one and waits
 * for it, so waiters are served in arrival order and the rate is never exceeded.
 */

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

  /** How long the next caller in this workspace would wait, in ms (0 = a token is free now). */
  waitFor(workspace: string): number {
    const bucket = this.refill(workspace);
    return bucket.tokens >= 1 ? 0 : Math.ceil((1 - bucket.tokens) / this.perMs);
  }

  /** Takes one call's worth of budget, waiting (in arrival order) until it is there. */
  async take(workspace: string, signal?: AbortSignal): Promise<void> {
    await this.takeLocal(workspace, signal);
    if (this.options.shared) await this.takeShared(workspace, this.options.shared, signal);
  }

  /** Waits for a slot in the window all instances share; a store that is down does not stop replies. */
  private async takeShared(
    workspace: string,
    shared: NonNullable<BudgetOptions['shared']>,
    signal: AbortSignal | undefined,
  ): Promise<void> {
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
      await abortableDelay(Math.min(decision.retryAfterMs, MAX_RETRY_AFTER_MS), signal);
    }
  }

  private async takeLocal(workspace: string, signal?: AbortSignal): Promise<void> {
    const bucket = this.refill(workspace);
    bucket.tokens -= 1;
    if (bucket.tokens >= 0) return;
    const waitMs = Math.ceil(-bucket.tokens / this.perMs);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, waitMs);
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          // Give the reserved token back so later callers do not wait for it.
          bucket.tokens += 1;
          reject(signal.reason);
        },
        { once: true },
      );
    });
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
function abortableDelay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

export const CHAT_UPDATE_BUDGET: BudgetOptions = { perMinute: 50, burst: 10 };
/** chat.appendStream is Tier 4 ("100+ per minute"). */
export const APPEND_STREAM_BUDGET: BudgetOptions = { perMinute: 90, burst: 15 };
