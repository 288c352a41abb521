import { afterEach, describe, expect, it, vi } from 'vitest';
import { LeaseRenewals } from '../../src/store/leases.js';

describe('LeaseRenewals', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('renews every third of the TTL until stopped, and a failed renewal does not end the renewals', async () => {
    vi.useFakeTimers();
    const renewals = new LeaseRenewals();
    let calls = 0;
    const stop = renewals.start(3_000, async () => {
      calls += 1;
      if (calls === 1) throw new Error('Redis blinked');
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(calls).toBe(3);
    stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toBe(3);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stopAll ends every renewal still running (close), leaving stopped ones stopped', async () => {
    vi.useFakeTimers();
    const renewals = new LeaseRenewals();
    const calls = { a: 0, b: 0, c: 0 };
    const counting = (name: keyof typeof calls) => async () => {
      calls[name] += 1;
    };
    renewals.start(300, counting('a'));
    const stopB = renewals.start(600, counting('b'));
    renewals.start(900, counting('c'));
    stopB();
    await vi.advanceTimersByTimeAsync(300);
    expect(calls).toEqual({ a: 3, b: 0, c: 1 });
    renewals.stopAll();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(calls).toEqual({ a: 3, b: 0, c: 1 });
    expect(vi.getTimerCount()).toBe(0);
  });
});
