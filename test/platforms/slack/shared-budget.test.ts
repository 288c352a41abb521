/**
 * The chat.update budget across instances: two processes' budgets on one Redis together stay under
 * the workspace's per-minute limit, while a single process keeps its own (local) pacing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkspaceBudget } from '../../../src/platforms/slack/update-budget.js';
import { createStore } from '../../../src/store/create-store.js';
import type { Store } from '../../../src/store/types.js';
import { deleteRedisKeys } from '../../store/backends.js';

const prefix = `test-budget-${randomUUID().slice(0, 8)}`;
let first: Store;
let second: Store;

beforeAll(async () => {
  first = await createStore({ url: 'redis://127.0.0.1:6379', prefix });
  second = await createStore({ url: 'redis://127.0.0.1:6379', prefix });
});
afterAll(async () => {
  await first.close();
  await second.close();
  await deleteRedisKeys(`${prefix}:*`);
});

/** Whether `promise` settles before a short pause (the limit window is a minute, so this is not close). */
async function settlesSoon(promise: Promise<unknown>): Promise<boolean> {
  const pause = new Promise<false>((resolve) => setTimeout(() => resolve(false), 300));
  return Promise.race([promise.then(() => true), pause]);
}

describe('Slack update budget shared through Redis', () => {
  it('lets two instances together make only perMinute calls in one workspace', async () => {
    const options = (store: Store) => ({
      perMinute: 3,
      burst: 3,
      shared: { limiter: store.rateLimiter, method: 'chat.update' },
    });
    const a = new WorkspaceBudget(options(first));
    const b = new WorkspaceBudget(options(second));
    await a.take('T1');
    await b.take('T1');
    await a.take('T1');
    // Each instance still has local tokens, but the workspace's shared window is full. (The
    // waiting call ends when the window does; the closed store then lets it through.)
    expect(await settlesSoon(b.take('T1'))).toBe(false);
    // Another workspace has its own window.
    expect(await settlesSoon(b.take('T2'))).toBe(true);
  });

  it('without a shared limiter an instance counts only its own calls', async () => {
    const a = new WorkspaceBudget({ perMinute: 3, burst: 3 });
    const b = new WorkspaceBudget({ perMinute: 3, burst: 3 });
    for (let i = 0; i < 3; i++) await a.take('T3');
    expect(await settlesSoon(b.take('T3'))).toBe(true);
  });
});
