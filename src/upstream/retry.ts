/**
 * Retries of one upstream call, the way OpenAI's SDK does it (../../docs/upstream-api.md,
 * "What peers do"): jittered exponential backoff 0.5 s doubling to 8 s, `Retry-After` honoured up
 * to 60 s, on 429, 408, 5xx and connection failures.
 *
 * The caller decides what one attempt covers: only the part before the first byte of a successful
 * body. Once a stream has started, text has reached the user, and repeating the request would
 * repeat (and bill) the answer, so nothing after that point is ever retried.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { UpstreamError } from '../errors.js';
import { MAX_RETRY_AFTER_MS } from '../retry-after.js';

/** How persistent to be. */
export interface RetryPolicy {
  /** Retries after the first attempt (0 = try once). */
  maxRetries: number;
  /** Delay before the first retry; doubles each time. */
  baseDelayMs: number;
  /** Ceiling of the computed backoff. */
  maxDelayMs: number;
  /** A server asking for a longer wait than this is not retried: the user hears it instead. */
  maxRetryAfterMs: number;
}

/** 0.5 s doubling to 8 s; Retry-After up to the bot-wide cap (60 s). */
export function defaultRetryPolicy(maxRetries: number, baseDelayMs = 500): RetryPolicy {
  return { maxRetries, baseDelayMs, maxDelayMs: baseDelayMs * 16, maxRetryAfterMs: MAX_RETRY_AFTER_MS };
}

const RETRYABLE_TRANSPORT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/**
 * Whether another attempt can help. Not a first-byte timeout: the upstream took the request and
 * sat on it for minutes; trying again would keep the user waiting for minutes more.
 */
export function isRetryable(error: UpstreamError): boolean {
  if (error.code === 'stream_cut') return false;
  if (error.status !== undefined) return error.status === 429 || error.status === 408 || error.status >= 500;
  if (error.code === 'too_many_requests') return true;
  const causeCode = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof causeCode === 'string' && RETRYABLE_TRANSPORT_CODES.has(causeCode);
}

/**
 * The wait before retry number `retry` (1-based), or undefined when the server asked for more
 * than `maxRetryAfterMs`. Jitter takes up to a quarter off, so clients that failed together do
 * not come back together.
 */
export function retryDelayMs(
  retry: number,
  error: UpstreamError,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number | undefined {
  if (error.retryAfterMs !== undefined) {
    return error.retryAfterMs <= policy.maxRetryAfterMs ? error.retryAfterMs : undefined;
  }
  const backoff = Math.min(policy.baseDelayMs * 2 ** (retry - 1), policy.maxDelayMs);
  return Math.round(backoff * (1 - random() * 0.25));
}

/** The error to throw for an aborted signal: its own reason, so callers can tell a cancel. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** Hooks for telling the user and the operator about a retry. */
export interface RetryHooks {
  signal?: AbortSignal;
  onRetry?: (info: { attempt: number; delayMs: number; error: Error }) => void;
}

/**
 * Runs `attempt` until it succeeds, fails for good, or retries run out. `attempt` receives its
 * 1-based number. Anything that is not an `UpstreamError` (an abort, a bug) is rethrown at once.
 */
export async function withRetries<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  policy: RetryPolicy,
  hooks: RetryHooks = {},
): Promise<T> {
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt(attemptNumber);
    } catch (error) {
      if (hooks.signal?.aborted) throw abortReason(hooks.signal);
      if (!(error instanceof UpstreamError)) throw error;
      if (attemptNumber > policy.maxRetries || !isRetryable(error)) throw error;
      const delayMs = retryDelayMs(attemptNumber, error, policy);
      if (delayMs === undefined) throw error;
      hooks.onRetry?.({ attempt: attemptNumber + 1, delayMs, error });
      try {
        await sleep(delayMs, undefined, { signal: hooks.signal });
      } catch (sleepError) {
        // Node rejects with its own AbortError; callers tell a cancel by the signal's reason.
        throw hooks.signal?.aborted ? abortReason(hooks.signal) : sleepError;
      }
    }
  }
}
