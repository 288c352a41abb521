import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { isAbort, UpstreamError } from '../src/errors.js';

/** What a real cancelled Node API rejects with (code ABORT_ERR, name AbortError). */
async function nodeAbortError(): Promise<unknown> {
  const controller = new AbortController();
  const pending = sleep(60_000, undefined, { signal: controller.signal });
  controller.abort();
  return pending.catch((error: unknown) => error);
}

describe('isAbort: the one test for "this was cancelled", shared by engine and ops', () => {
  it('is true for every shape an abort takes', async () => {
    expect(isAbort(new DOMException('Stopped by the user', 'AbortError'))).toBe(true);
    expect(isAbort(AbortSignal.abort().reason)).toBe(true);
    expect(isAbort(await nodeAbortError())).toBe(true);
    // An error object from another realm or library: not an Error instance, still named AbortError.
    expect(isAbort({ name: 'AbortError', message: 'aborted' })).toBe(true);
  });

  it('is false for failures, timeouts and non-errors', () => {
    expect(isAbort(new UpstreamError('network', 'down'))).toBe(false);
    expect(isAbort(new Error('AbortError'))).toBe(false);
    expect(isAbort(new DOMException('late', 'TimeoutError'))).toBe(false);
    expect(isAbort('AbortError')).toBe(false);
    expect(isAbort(undefined)).toBe(false);
    expect(isAbort(null)).toBe(false);
  });
});
