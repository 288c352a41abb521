import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../../src/errors.js';
import { withRetries } from '../../src/upstream/retry.js';

const overloaded = () => new UpstreamError('too_many_requests', 'busy', { status: 429 });

/** Fails `failures` times with a 429, then answers; counts its attempts. */
function flaky(failures: number) {
  const calls = { attempts: 0 };
  const attempt = async () => {
    calls.attempts += 1;
    if (calls.attempts <= failures) throw overloaded();
    return 'answer';
  };
  return { calls, attempt };
}

describe('withRetries: the wait between attempts', () => {
  it('an abort during the wait rejects with the signal’s own reason, without another attempt', async () => {
    // A minute-long back-off: only the abort can end this wait within the test.
    const policy = { maxRetries: 3, baseDelayMs: 60_000, maxDelayMs: 60_000, maxRetryAfterMs: 60_000 };
    const controller = new AbortController();
    const reason = new Error('stopped by the user');
    const { calls, attempt } = flaky(1);
    const outcome = withRetries(attempt, policy, {
      signal: controller.signal,
      onRetry: () => queueMicrotask(() => controller.abort(reason)),
    }).catch((error: unknown) => error);
    expect(await outcome).toBe(reason);
    expect(calls.attempts).toBe(1);
  });

  it('after the wait it tries again', async () => {
    const policy = { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 60_000 };
    const { calls, attempt } = flaky(2);
    await expect(withRetries(attempt, policy)).resolves.toBe('answer');
    expect(calls.attempts).toBe(3);
  });
});
