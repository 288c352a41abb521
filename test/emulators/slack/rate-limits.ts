/**
 * Slack's rate limits as the emulator enforces them. Slack documents tiers per method per workspace
 * ("Tier 3: 50+ per minute") and tolerates short bursts, so each limit is a token bucket: `burst`
 * calls at once, refilled at `perMinute`. chat.postMessage is limited per channel (about one message
 * per second) rather than per workspace. A refused call gets HTTP 429 with `Retry-After` in whole
 * seconds, as Slack sends it. See ../../../docs/platform-limits.md.
 */

export interface MethodLimit {
  perMinute: number;
  burst: number;
  /** `channel`: one bucket per channel (chat.postMessage); default one per workspace. */
  scope?: 'workspace' | 'channel';
}

/** Defaults after Slack's published tiers; tests may tighten or loosen them. */
export const DEFAULT_LIMITS: Record<string, MethodLimit> = {
  'chat.postMessage': { perMinute: 60, burst: 6, scope: 'channel' },
  // Tier 3 is "50+ per minute"; the emulator allows 60 with a burst of 20.
  'chat.update': { perMinute: 60, burst: 20 },
  'chat.delete': { perMinute: 60, burst: 20 },
  'chat.postEphemeral': { perMinute: 100, burst: 20 },
  // Native streaming: startStream and stopStream Tier 2, appendStream Tier 4.
  'chat.startStream': { perMinute: 20, burst: 10 },
  'chat.appendStream': { perMinute: 100, burst: 20 },
  'chat.stopStream': { perMinute: 20, burst: 10 },
  'assistant.threads.setStatus': { perMinute: 600, burst: 60 },
  'assistant.threads.setSuggestedPrompts': { perMinute: 100, burst: 20 },
  'agents.sessions.setStatus': { perMinute: 50, burst: 20 },
  'agents.sessions.rename': { perMinute: 50, burst: 20 },
  'views.publish': { perMinute: 100, burst: 20 },
  'users.info': { perMinute: 100, burst: 50 },
  'conversations.info': { perMinute: 100, burst: 50 },
  'files.info': { perMinute: 100, burst: 50 },
  'files.remote.add': { perMinute: 20, burst: 10 },
  // Shortcuts and resets: views.open and chat.getPermalink Tier 4, conversations.replies Tier 3.
  'views.open': { perMinute: 100, burst: 20 },
  'chat.getPermalink': { perMinute: 100, burst: 20 },
  'conversations.replies': { perMinute: 50, burst: 10 },
  // Summaries: conversations.history Tier 3, conversations.members Tier 4.
  'conversations.history': { perMinute: 50, burst: 10 },
  'conversations.members': { perMinute: 100, burst: 20 },
};

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class RateLimits {
  readonly limits: Record<string, MethodLimit> = { ...DEFAULT_LIMITS };
  private readonly buckets = new Map<string, Bucket>();

  /** Replaces (or with `undefined`, removes) the limit of one method. */
  set(method: string, limit: MethodLimit | undefined): void {
    if (limit) this.limits[method] = limit;
    else delete this.limits[method];
    for (const key of this.buckets.keys()) if (key.startsWith(`${method}|`)) this.buckets.delete(key);
  }

  /**
   * Takes one call from the method's bucket. Returns 0 when allowed, else the seconds to wait
   * (at least 1, since Retry-After is whole seconds).
   */
  take(method: string, channel: string | undefined, now = Date.now()): number {
    const limit = this.limits[method];
    if (!limit) return 0;
    const key = `${method}|${limit.scope === 'channel' ? (channel ?? '') : ''}`;
    const perMs = limit.perMinute / 60_000;
    const bucket = this.buckets.get(key) ?? { tokens: limit.burst, updatedAt: now };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + (now - bucket.updatedAt) * perMs);
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
  }

  reset(): void {
    this.buckets.clear();
  }
}
