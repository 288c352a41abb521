/**
 * Writes that must not lose each other or outlive their lock, on every backend:
 * - a history append carrying the conversation lock is refused once that lock is no longer held
 *   (released, or on Redis expired and taken by another instance), and history is left untouched;
 * - read-modify-write updates of one key from two store instances (two processes on Redis) all land.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockLostError } from '../../src/errors.js';
import type { RedisLocks } from '../../src/store/redis/locks.js';
import { conversationId, type Store } from '../../src/store/types.js';
import { assistantTurn, BACKENDS, BackendFixture, freshConversation, userTurn } from './backends.js';

describe.each(BACKENDS)('%s store: fenced history appends', (backend) => {
  const fixture = new BackendFixture(backend);
  let store: Store;

  beforeAll(async () => {
    store = await fixture.open();
  });
  afterAll(async () => {
    await fixture.cleanup();
  });

  it('an append under a lock still held is written', async () => {
    const key = freshConversation();
    const lock = await store.locks.acquire(conversationId(key));
    await store.history.append(key, [userTurn('q', 'q1'), assistantTurn('a', ['a1'])], { lock });
    await lock.release();
    expect((await store.history.load(key)).map((turn) => turn.text)).toEqual(['q', 'a']);
  });

  it('an append under a lock that was released is refused and writes nothing', async () => {
    const key = freshConversation();
    await store.history.append(key, [userTurn('kept', 'k1'), assistantTurn('kept answer', ['k2'])]);
    const lock = await store.locks.acquire(conversationId(key));
    await lock.release();
    await expect(
      store.history.append(key, [userTurn('late', 'l1'), assistantTurn('late answer', ['l2'])], { lock }),
    ).rejects.toBeInstanceOf(LockLostError);
    expect((await store.history.load(key)).map((turn) => turn.text)).toEqual(['kept', 'kept answer']);
    expect(await store.history.findByMessage(key.platform, 'l2')).toBeUndefined();
  });
});

describe('redis store: a lock that expired under its holder', () => {
  const fixture = new BackendFixture('redis');
  afterAll(async () => {
    await fixture.cleanup();
  });

  it("refuses the old holder's append once another instance holds the lock, and keeps the new one", async () => {
    const instanceA = await fixture.open();
    const instanceB = await fixture.open();
    const key = freshConversation();
    const id = conversationId(key);
    const lockA = await instanceA.locks.acquire(id, { ttlMs: 200 });
    // Instance A freezes: its renewals stop, so the lock expires and B takes it.
    (instanceA.locks as RedisLocks).close();
    const lockB = await instanceB.locks.acquire(id, { ttlMs: 5_000 });
    expect(lockB.token).toBeGreaterThan(lockA.token);
    await instanceB.history.append(key, [userTurn('from B', 'b1'), assistantTurn('B answer', ['b2'])], {
      lock: lockB,
    });
    await expect(
      instanceA.history.append(key, [userTurn('from A', 'a1'), assistantTurn('A answer', ['a2'])], {
        lock: lockA,
      }),
    ).rejects.toBeInstanceOf(LockLostError);
    await lockB.release();
    await lockA.release();
    expect((await instanceB.history.load(key)).map((turn) => turn.text)).toEqual(['from B', 'B answer']);
  });

  it('reports the loss through the lock signal when a renewal finds another holder', async () => {
    const instance = await fixture.open();
    const other = await fixture.open();
    const id = conversationId(freshConversation());
    const lock = await instance.locks.acquire(id, { ttlMs: 150 });
    (instance.locks as RedisLocks).close();
    await sleep(250);
    const thief = await other.locks.acquire(id, { ttlMs: 5_000 });
    expect(await lock.confirm()).toBe(false);
    expect(lock.held).toBe(false);
    expect(lock.signal.aborted).toBe(true);
    expect(lock.signal.reason).toBeInstanceOf(LockLostError);
    await thief.release();
  });
});

describe.each(BACKENDS)('%s store: concurrent updates from two store instances', (backend) => {
  const fixture = new BackendFixture(backend);
  afterAll(async () => {
    await fixture.cleanup();
  });

  it('every append of two instances racing on one conversation lands', async () => {
    // Memory and SQLite are one process: both "instances" are one store, as in production.
    const first = await fixture.open();
    const second = backend === 'redis' ? await fixture.open() : first;
    const key = freshConversation();
    const appends = Array.from({ length: 20 }, (_, index) =>
      (index % 2 === 0 ? first : second).history.append(key, [userTurn(`q${index}`, `q${index}`)]),
    );
    await Promise.all(appends);
    const texts = (await first.history.load(key)).map((turn) => turn.text).sort();
    expect(texts).toEqual(Array.from({ length: 20 }, (_, index) => `q${index}`).sort());
  });
});
