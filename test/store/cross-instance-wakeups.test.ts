/**
 * Redis only: a lock or upstream slot freed on one instance wakes the waiter on another instance
 * at once, not at its next poll. To tell the two apart without timing anything, the waiter's
 * polling is frozen (fake setTimeout) before the holder lets go: a waiter that only polls would
 * then wait forever, a woken one gets in.
 */
import { setTimeout as realSleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Store } from '../../src/store/types.js';
import { BackendFixture } from './backends.js';

/** Resolves with what `promise` gave, or with 'still waiting' after `ms` of real time. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | 'still waiting'> {
  return Promise.race([promise, realSleep(ms).then(() => 'still waiting' as const)]);
}

/** Lets every poll already scheduled on the real clock run, then freezes the clock for new ones. */
async function freezePolling(): Promise<void> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
  await realSleep(300);
}

describe('redis store: waiters on another instance are woken, not left to poll', () => {
  const fixture = new BackendFixture('redis');
  let holder: Store;
  let waiter: Store;

  beforeAll(async () => {
    holder = await fixture.open({ maxConcurrency: 1 });
    waiter = await fixture.open({ maxConcurrency: 1 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  afterAll(async () => {
    await fixture.cleanup();
  });

  it('an upstream slot freed on one instance goes to the queued caller of another at once', async () => {
    const release = await holder.upstreamGate.acquire();
    let queued = false;
    const admitted = waiter.upstreamGate.acquire({ onQueued: () => (queued = true) });
    await vi.waitFor(() => expect(queued).toBe(true));
    await freezePolling();

    await release();
    const got = await within(admitted, 3_000);
    vi.useRealTimers();
    expect(got).toBeTypeOf('function');
    if (typeof got === 'function') await got();
  });

  it('a conversation lock released on one instance goes to the waiter on another at once', async () => {
    const lock = await holder.locks.acquire('shared-thread');
    const next = waiter.locks.acquire('shared-thread');
    await realSleep(100); // the waiter has queued and polled a few times
    await freezePolling();

    await lock.release();
    const got = await within(next, 3_000);
    vi.useRealTimers();
    expect(got).not.toBe('still waiting');
    if (got !== 'still waiting') await got.release();
  });
});
