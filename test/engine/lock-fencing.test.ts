/**
 * Two instances (two engines, two store connections) on one real Redis with a short lock TTL.
 * A lock lost under a streaming turn is respected: the late save of the instance that lost it is
 * refused, its reply ends marked interrupted, and history holds only whole turns, in order.
 */
import { randomUUID } from 'node:crypto';
import { createClient } from '@redis/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingTurn } from '../../src/engine/types.js';
import { LockLostError } from '../../src/errors.js';
import type { RedisLocks } from '../../src/store/redis/locks.js';
import { type ConversationKey, conversationId } from '../../src/store/types.js';
import { deleteRedisKeys, REDIS_URL } from '../store/backends.js';
import { createTestEngine, type TestEngine } from '../support/harness.js';
import { RecordingSink } from '../support/recording-sink.js';

const PREFIX = `test-fence-${randomUUID().slice(0, 8)}`;
const LOCK_TTL_MS = 400;

let instanceA: TestEngine;
let instanceB: TestEngine;
let counter = 0;

beforeAll(async () => {
  const options = { storeUrl: REDIS_URL, env: { STORE_PREFIX: PREFIX }, lockTtlMs: LOCK_TTL_MS };
  instanceA = await createTestEngine(options);
  instanceB = await createTestEngine(options);
});
afterEach(() => {
  instanceA.emulator.reset();
  instanceB.emulator.reset();
});
afterAll(async () => {
  await instanceA.close();
  await instanceB.close();
  await deleteRedisKeys(`${PREFIX}*`);
});

function newKey(): ConversationKey {
  counter += 1;
  return { platform: 'slack', workspace: 'T1', channel: `C${counter}`, thread: `${counter}.000` };
}

function turn(key: ConversationKey, text: string): IncomingTurn {
  counter += 1;
  return { key, author: { id: 'U1', name: 'Ada' }, text, attachments: [], messageIds: [`msg-${counter}`] };
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('a conversation lock lost under a streaming turn', () => {
  it("refuses the late save of the instance that lost it; the next turn's instance keeps history whole", async () => {
    const key = newKey();
    // A streams slowly; once its first words show, A freezes past the lock TTL (no more renewals).
    instanceA.emulator.enqueue({ content: Array.from({ length: 30 }, (_, i) => `a${i} `), chunkDelayMs: 60 });
    const sinkA = new RecordingSink();
    const runningA = instanceA.engine.handleTurn(turn(key, 'first, from A'), sinkA);
    await waitFor(() => sinkA.shown().includes('a1 '));
    (instanceA.store.locks as RedisLocks).close();

    instanceB.emulator.enqueue({ content: ['B answers'] });
    const sinkB = new RecordingSink();
    const outcomeB = await instanceB.engine.handleTurn(turn(key, 'second, on B'), sinkB);
    expect(outcomeB.status).toBe('done');

    const outcomeA = await runningA;
    expect(outcomeA.status).toBe('failed');
    expect(outcomeA.status === 'failed' && outcomeA.error).toBeInstanceOf(LockLostError);
    expect(sinkA.lastPhase()).toBe('interrupted');
    expect(sinkA.shown()).toContain('Interrupted');

    const history = await instanceB.store.history.load(key);
    expect(history.map((h) => `${h.role}:${h.text}`)).toEqual(['user:second, on B', 'assistant:B answers']);
  });

  it('aborts the stream when a renewal finds the lock taken, and marks the reply interrupted', async () => {
    const key = newKey();
    instanceA.emulator.enqueue({
      content: Array.from({ length: 200 }, (_, i) => `w${i} `),
      chunkDelayMs: 20,
    });
    const sink = new RecordingSink();
    const running = instanceA.engine.handleTurn(turn(key, 'long answer'), sink);
    await waitFor(() => sink.shown().includes('w2 '));
    // Another holder took the lock (as after an expiry): the next renewal sees it is not ours.
    const redis = createClient({ url: REDIS_URL });
    await redis.connect();
    try {
      await redis.set(`${PREFIX}:lock:${conversationId(key)}`, 'another-instance', { PX: 5_000 });
    } finally {
      redis.destroy();
    }
    const outcome = await running;
    expect(outcome.status).toBe('failed');
    expect(outcome.status === 'failed' && outcome.error).toBeInstanceOf(LockLostError);
    expect(sink.lastPhase()).toBe('interrupted');
    expect(sink.shown()).not.toContain('w199');
    await waitFor(() => instanceA.emulator.activeStreams === 0);
    expect(await instanceA.store.history.load(key)).toEqual([]);
  });
});
