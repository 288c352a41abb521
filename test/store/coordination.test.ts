/**
 * The coordination contract every backend keeps: de-duplication, per-conversation locks, the
 * sliding-window rate limit and the fair upstream gate. Memory and SQLite use the in-process
 * implementations, Redis the shared ones; the suite is the same.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { HeldLock, Store } from '../../src/store/types.js';
import { BACKENDS, BackendFixture } from './backends.js';

/** Resolves once every promise callback queued so far (and Redis replies in flight) had a chance to run. */
async function settle(store: Store): Promise<void> {
  await store.ping();
  await sleep(20);
}

describe.each(BACKENDS)('%s store: coordination', (backend) => {
  const fixture = new BackendFixture(backend);
  let store: Store;

  beforeAll(async () => {
    store = await fixture.open({ maxConcurrency: 5 });
  });
  afterAll(async () => {
    await fixture.cleanup();
  });

  describe('dedupe', () => {
    it('the first claim of an id wins, every later one loses', async () => {
      const claims = await Promise.all(
        Array.from({ length: 20 }, () => store.dedupe.claim('event-1', 60_000)),
      );
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await store.dedupe.claim('event-1', 60_000)).toBe(false);
      expect(await store.dedupe.claim('event-2', 60_000)).toBe(true);
    });

    it('an id can be claimed again once its TTL has passed', async () => {
      expect(await store.dedupe.claim('short-lived', 50)).toBe(true);
      await sleep(120);
      expect(await store.dedupe.claim('short-lived', 50)).toBe(true);
    });
  });

  describe('locks', () => {
    it('one holder at a time per conversation', async () => {
      let inside = 0;
      let mostInside = 0;
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          const lock = await store.locks.acquire('exclusive');
          inside += 1;
          mostInside = Math.max(mostInside, inside);
          await sleep(2);
          inside -= 1;
          await lock.release();
        }),
      );
      expect(mostInside).toBe(1);
    });

    it('different conversations do not wait for each other', async () => {
      const a = await store.locks.acquire('independent-a');
      const b = await store.locks.acquire('independent-b');
      expect(a.held && b.held).toBe(true);
      await Promise.all([a.release(), b.release()]);
    });

    it('waiters get the lock in arrival order', async () => {
      const holder = await store.locks.acquire('fifo');
      const order: string[] = [];
      const waiters = ['first', 'second', 'third', 'fourth'].map((name) =>
        store.locks.acquire('fifo').then(async (lock) => {
          order.push(name);
          await sleep(1);
          await lock.release();
        }),
      );
      await settle(store);
      expect(order).toEqual([]);
      await holder.release();
      await Promise.all(waiters);
      expect(order).toEqual(['first', 'second', 'third', 'fourth']);
    });

    it('fencing tokens increase with every new holder', async () => {
      const tokens: number[] = [];
      for (let index = 0; index < 5; index += 1) {
        const lock = await store.locks.acquire(index % 2 === 0 ? 'fence-a' : 'fence-b');
        tokens.push(lock.token);
        await lock.release();
      }
      for (let index = 1; index < tokens.length; index += 1) {
        expect(tokens[index]!).toBeGreaterThan(tokens[index - 1]!);
      }
    });

    it('aborting a waiter rejects it with the reason and lets the next waiter in', async () => {
      const holder = await store.locks.acquire('abort');
      const controller = new AbortController();
      const aborted = store.locks.acquire('abort', { signal: controller.signal });
      const next = store.locks.acquire('abort');
      await settle(store);
      const reason = new Error('user pressed Stop');
      controller.abort(reason);
      await expect(aborted).rejects.toBe(reason);
      await holder.release();
      const nextLock: HeldLock = await next;
      expect(nextLock.held).toBe(true);
      await nextLock.release();
      // The queue is consistent afterwards: a fresh caller gets the lock at once.
      const later = await store.locks.acquire('abort');
      await later.release();
    });

    it('an already aborted signal rejects without taking the lock', async () => {
      const reason = new Error('already gone');
      await expect(store.locks.acquire('pre-aborted', { signal: AbortSignal.abort(reason) })).rejects.toBe(
        reason,
      );
      const lock = await store.locks.acquire('pre-aborted');
      await lock.release();
    });

    it('release is harmless twice and turns held false', async () => {
      const lock = await store.locks.acquire('double-release');
      await lock.release();
      await lock.release();
      expect(lock.held).toBe(false);
      const again = await store.locks.acquire('double-release');
      expect(again.token).toBeGreaterThan(lock.token);
      await again.release();
    });
  });

  describe('rate limiter', () => {
    it('allows `limit` hits per window, then tells how long to wait', async () => {
      const decisions = [];
      for (let index = 0; index < 4; index += 1)
        decisions.push(await store.rateLimiter.hit('user-a', 3, 300));
      expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, true, false]);
      expect(decisions[3]!.retryAfterMs).toBeGreaterThan(0);
      expect(decisions[3]!.retryAfterMs).toBeLessThanOrEqual(300);
      expect((await store.rateLimiter.hit('user-b', 3, 300)).allowed).toBe(true);
      await sleep(decisions[3]!.retryAfterMs + 50);
      expect((await store.rateLimiter.hit('user-a', 3, 300)).allowed).toBe(true);
    });

    it('a limit of 0 never refuses', async () => {
      for (let index = 0; index < 50; index += 1) {
        expect((await store.rateLimiter.hit('unlimited', 0, 60_000)).allowed).toBe(true);
      }
    });
  });

  describe('upstream gate', () => {
    it('never lets more than the cap through 50 concurrent callers and tells the queued their place', async () => {
      let active = 0;
      let mostActive = 0;
      let admittedCount = 0;
      const firstPositions = new Map<number, number>();
      await Promise.all(
        Array.from({ length: 50 }, async (_, index) => {
          const release = await store.upstreamGate.acquire({
            onQueued: (position) => {
              if (!firstPositions.has(index)) firstPositions.set(index, position);
            },
          });
          admittedCount += 1;
          active += 1;
          mostActive = Math.max(mostActive, active);
          await sleep(1 + (index % 4));
          active -= 1;
          await release();
        }),
      );
      expect(mostActive).toBe(5);
      expect(admittedCount).toBe(50);
      // The first five go straight in; the sixth is first in line, the fiftieth 45th.
      expect(firstPositions.has(4)).toBe(false);
      expect(firstPositions.get(5)).toBe(1);
      expect(firstPositions.get(49)).toBe(45);
      expect(store.upstreamGate.queueLength()).toBe(0);
    });

    it('admits waiters in arrival order as slots free up one by one', async () => {
      const held = await Promise.all(Array.from({ length: 5 }, () => store.upstreamGate.acquire()));
      const admitted: number[] = [];
      const waiters = Array.from({ length: 12 }, (_, index) =>
        store.upstreamGate.acquire().then((release) => {
          admitted.push(index);
          held.push(release);
        }),
      );
      await settle(store);
      expect(admitted).toEqual([]);
      for (let step = 0; step < 12; step += 1) {
        await held.shift()!();
        await vi.waitFor(() => expect(admitted).toHaveLength(step + 1), { timeout: 5_000, interval: 5 });
      }
      await Promise.all(waiters);
      expect(admitted).toEqual(Array.from({ length: 12 }, (_, index) => index));
      await Promise.all(held.map((release) => release()));
    });

    it('releasing twice frees one slot, not two', async () => {
      const releases = await Promise.all(Array.from({ length: 5 }, () => store.upstreamGate.acquire()));
      await releases[0]!();
      await releases[0]!();
      const refill = await store.upstreamGate.acquire();
      let extraAdmitted = false;
      const extra = store.upstreamGate.acquire().then((release) => {
        extraAdmitted = true;
        return release;
      });
      await settle(store);
      expect(extraAdmitted).toBe(false);
      expect(store.upstreamGate.queueLength()).toBe(1);
      await refill();
      await (await extra)();
      await Promise.all(releases.slice(1).map((release) => release()));
    });

    it('aborting a queued caller rejects it and keeps the queue moving', async () => {
      const releases = await Promise.all(Array.from({ length: 5 }, () => store.upstreamGate.acquire()));
      const controller = new AbortController();
      const aborted = store.upstreamGate.acquire({ signal: controller.signal });
      const positions: number[] = [];
      const behind = store.upstreamGate.acquire({ onQueued: (position) => positions.push(position) });
      await settle(store);
      controller.abort(new Error('stopped'));
      await expect(aborted).rejects.toThrow('stopped');
      await releases[0]!();
      await (await behind)();
      expect(positions[0]).toBe(2);
      await Promise.all(releases.slice(1).map((release) => release()));
      expect(store.upstreamGate.queueLength()).toBe(0);
    });
  });
});
