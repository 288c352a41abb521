/**
 * The longest the bot ever waits because a server said Retry-After: the upstream API, Discord and
 * Slack alike. A 429 asking for a day must not hold a reply, a conversation's lock or an upstream
 * slot for a day; past this cap the caller stops waiting (and says so) instead.
 */
export const MAX_RETRY_AFTER_MS = 60_000;

/** Whether a requested wait is longer than the bot will wait. */
export function exceedsRetryAfterCap(retryAfterMs: number): boolean {
  return retryAfterMs > MAX_RETRY_AFTER_MS;
}
