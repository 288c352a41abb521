/**
 * What Redis coordination does when an instance dies: its lock expires after the TTL and passes to
 * a waiter of another instance with a larger fencing token; a holder that lost its lock learns it
 * (`held` false); waiters and gate slots of a dead instance stop blocking the living ones.
 */
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Store } from '../../src/store/types.js';
import { BackendFixture, REDIS_URL } from './backends.js';

describe('redis coordination across instances and crashes', () => {
  const fixture = new BackendFixture('redis');
  const raw = createClient({ url: REDIS_URL });
  let survivor: Store;

  beforeAll(async () => {
    await raw.connect();
    survivor = await fixture.open({ maxConcurrency: 2 });
  });
  afterAll(async () => {
    await fixture.cleanup();
    raw.destroy();
  });

  it('two instances never hold one conversation at once', async () => {
    const other = await fixture.open();
    let inside = 0;
    let mostInside = 0;
    await Promise.all(
      Array.from({ length: 12 }, async (_, index) => {
        const lock = await (index % 2 === 0 ? survivor : other).locks.acquire('shared');
        inside += 1;
        mostInside = Math.max(mostInside, inside);
        await new Promise((resolve) => setTimeout(resolve, 2));
        inside -= 1;
        await lock.release();
      }),
    );
    expect(mostInside).toBe(1);
  });

  it('a crashed holder’s lock expires after its TTL and the waiter gets a larger token', async () => {
    const crashing = await fixture.open();
    const crashedLock = await crashing.locks.acquire('crash', { ttlMs: 400 });
    const waiting = survivor.locks.acquire('crash', { ttlMs: 5_000 });
    let acquired = false;
    void waiting.then(() => {
      acquired = true;
    });
    // Closing without release stops renewal, as a killed process would.
    await crashing.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(acquired).toBe(false);
    const lock = await waiting;
    expect(lock.token).toBeGreaterThan(crashedLock.token);
    expect(lock.held).toBe(true);
    await lock.release();
  });

  it('a holder whose lock was taken over learns it through renewal', async () => {
    const lock = await survivor.locks.acquire('stolen', { ttlMs: 300 });
    // Another holder took the key (as after an expiry during a long GC pause).
    await raw.set(`${fixture.prefix}:lock:stolen`, 'someone-else', {
      expiration: { type: 'PX', value: 10_000 },
    });
    await vi.waitFor(() => expect(lock.held).toBe(false), { timeout: 3_000, interval: 20 });
    await lock.release();
    // Releasing a lost lock must not delete the new holder's key.
    expect(await raw.get(`${fixture.prefix}:lock:stolen`)).toBe('someone-else');
  });

  it('a renewed lock outlives its TTL while held', async () => {
    const lock = await survivor.locks.acquire('renewed', { ttlMs: 200 });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(lock.held).toBe(true);
    expect(await raw.exists(`${fixture.prefix}:lock:renewed`)).toBe(1);
    await lock.release();
    expect(await raw.exists(`${fixture.prefix}:lock:renewed`)).toBe(0);
  });

  it('a dead waiter at the head of a lock queue does not block the living', async () => {
    const base = `${fixture.prefix}:lock:ghost-queue`;
    await raw.zAdd(`${base}:queue`, { score: 0, value: 'ghost-ticket' });
    await raw.zAdd(`${base}:waiters`, { score: 1, value: 'ghost-ticket' });
    const lock = await survivor.locks.acquire('ghost-queue');
    expect(lock.held).toBe(true);
    expect(await raw.zScore(`${base}:queue`, 'ghost-ticket')).toBeNull();
    await lock.release();
  });

  it('gate slots of a crashed instance come back when their leases run out', async () => {
    const holders = `${fixture.prefix}:gate:holders`;
    await raw.zAdd(holders, [
      { score: 1, value: 'dead-instance-1' },
      { score: 2, value: 'dead-instance-2' },
    ]);
    const release = await survivor.upstreamGate.acquire();
    expect(await raw.zScore(holders, 'dead-instance-1')).toBeNull();
    await release();
  });

  it('the gate cap holds across instances sharing the store', async () => {
    const other = await fixture.open({ maxConcurrency: 2 });
    let active = 0;
    let mostActive = 0;
    await Promise.all(
      Array.from({ length: 10 }, async (_, index) => {
        const release = await (index % 2 === 0 ? survivor : other).upstreamGate.acquire();
        active += 1;
        mostActive = Math.max(mostActive, active);
        await new Promise((resolve) => setTimeout(resolve, 5));
        active -= 1;
        await release();
      }),
    );
    expect(mostActive).toBe(2);
  });

  it('lock order is arrival order across instances, even when the releasing instance has a waiter', async () => {
    const other = await fixture.open();
    const holder = await survivor.locks.acquire('cross-fifo');
    const order: string[] = [];
    // The other instance's waiter arrives first; this instance's waiter second, and it would be
    // woken first by the local release if arrival order were not enforced in Redis.
    const remote = other.locks.acquire('cross-fifo').then(async (lock) => {
      order.push('remote, first');
      await lock.release();
    });
    await survivor.ping();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const local = survivor.locks.acquire('cross-fifo').then(async (lock) => {
      order.push('local, second');
      await lock.release();
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await holder.release();
    await Promise.all([remote, local]);
    expect(order).toEqual(['remote, first', 'local, second']);
  });

  it('gate order is arrival order across instances, even when the releasing instance has a waiter', async () => {
    const gatePrefix = `${fixture.prefix}-gate`;
    const first = await fixture.open({ prefix: gatePrefix, maxConcurrency: 1 });
    const second = await fixture.open({ prefix: gatePrefix, maxConcurrency: 1 });
    const release = await first.upstreamGate.acquire();
    const order: string[] = [];
    const remote = second.upstreamGate.acquire().then(async (done) => {
      order.push('remote, first');
      await done();
    });
    await first.ping();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const local = first.upstreamGate.acquire().then(async (done) => {
      order.push('local, second');
      await done();
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await release();
    await Promise.all([remote, local]);
    expect(order).toEqual(['remote, first', 'local, second']);
  });
});
