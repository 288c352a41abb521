/**
 * How the adapter reads the WebClient's failures. The client is built with
 * `rejectRateLimitedCalls: true`, so a 429 surfaces at once as a `slack_webapi_rate_limited_error`
 * (instead of the client pausing every call for Retry-After) and the renderer's back-off decides.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, WebClient, type WebClientOptions } from '@slack/web-api';
import { PlatformRateLimitError } from '../../errors.js';
import { exceedsRetryAfterCap } from '../../retry-after.js';

/** The `error` string of an `ok: false` answer (`msg_too_long`, `unknown_method`, …), if that is what this is. */
export function slackErrorCode(error: unknown): string | undefined {
  const candidate = error as { code?: string; data?: { error?: unknown } } | undefined;
  if (candidate?.code === ErrorCode.PlatformError && typeof candidate.data?.error === 'string') {
    return candidate.data.error;
  }
  if (candidate?.code === ErrorCode.RateLimitedError) return 'ratelimited';
  return undefined;
}

/** Retry-After of a rate-limited call in milliseconds, or undefined when it was not a 429. */
export function rateLimitRetryMs(error: unknown): number | undefined {
  const candidate = error as { code?: string; retryAfter?: number } | undefined;
  if (candidate?.code !== ErrorCode.RateLimitedError) return undefined;
  return Math.max(1, candidate.retryAfter ?? 1) * 1000;
}

/** Re-throws a 429 as the `PlatformRateLimitError` reply sinks promise the renderer; anything else as is. */
export function asSinkError(error: unknown): unknown {
  const retryMs = rateLimitRetryMs(error);
  return retryMs === undefined
    ? error
    : new PlatformRateLimitError(retryMs, 'Slack answered 429', { cause: error });
}

/**
 * Calls `task`, waiting out a 429 (Retry-After) up to `attempts` times. For one-off calls outside
 * the renderer (slash command answers, statuses) that have no back-off of their own. A wait past
 * the Retry-After cap is not waited for: the 429 is thrown at once.
 */
export async function withRateLimitRetry<T>(task: () => Promise<T>, attempts = 2): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await task();
    } catch (error) {
      const retryMs = rateLimitRetryMs(error);
      if (retryMs === undefined || attempt >= attempts || exceedsRetryAfterCap(retryMs)) throw error;
      await sleep(retryMs);
    }
  }
}

/**
 * WebClient options for the bot: SLACK_API_URL (GovSlack, tests), 429s surfaced instead of queued,
 * and a short retry policy for network errors (the default retries for about 30 minutes, far past
 * the point where an answer is still useful).
 */
export function webClientOptions(apiUrl: string | undefined, extra: WebClientOptions = {}): WebClientOptions {
  return {
    ...(apiUrl ? { slackApiUrl: `${apiUrl.replace(/\/+$/, '')}/` } : {}),
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 2_000 },
    timeout: 15_000,
    ...extra,
  };
}

export { WebClient };
