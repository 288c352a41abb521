/**
 * Stop reaches the instance that streams: a Stop pressed on instance A cancels the answer streaming
 * on instance B (Redis pub/sub between processes; in one process, engines sharing a store). And an
 * edit of a prompt still waiting in the queue cancels only that prompt's turn, never the answer
 * another user is getting right now.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ConversationEngine } from '../../src/engine/engine.js';
import type { IncomingTurn } from '../../src/engine/types.js';
import { silentLogger } from '../../src/log.js';
import type { ConversationKey } from '../../src/store/types.js';
import { deleteRedisKeys, REDIS_URL } from '../store/backends.js';
import { createTestEngine, type TestEngine } from '../support/harness.js';
import { RecordingSink } from '../support/recording-sink.js';

let counter = 0;
const opened: TestEngine[] = [];
const prefixes: string[] = [];

afterAll(async () => {
  await Promise.all(opened.map((engine) => engine.close()));
  for (const prefix of prefixes) await deleteRedisKeys(`${prefix}*`);
});

function newKey(): ConversationKey {
  counter += 1;
  return { platform: 'discord', workspace: 'G1', channel: `c${counter}`, thread: `t${counter}` };
}

function turn(key: ConversationKey, text: string, author = 'u1'): IncomingTurn {
  counter += 1;
  return { key, author: { id: author, name: author }, text, attachments: [], messageIds: [`msg-${counter}`] };
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Two engines that share what instances share: one Redis (two connections), or one in-process store. */
async function twoInstances(
  backend: 'redis' | 'memory',
): Promise<{ a: ConversationEngine; b: ConversationEngine; streaming: TestEngine }> {
  if (backend === 'redis') {
    const prefix = `test-stop-${randomUUID().slice(0, 8)}`;
    prefixes.push(prefix);
    const options = { storeUrl: REDIS_URL, env: { STORE_PREFIX: prefix } };
    const a = await createTestEngine(options);
    const b = await createTestEngine(options);
    opened.push(a, b);
    return { a: a.engine, b: b.engine, streaming: b };
  }
  const b = await createTestEngine();
  opened.push(b);
  const a = new ConversationEngine({
    config: b.config,
    upstream: b.upstream,
    store: b.store,
    logger: silentLogger,
  });
  return { a, b: b.engine, streaming: b };
}

describe.each(['redis', 'memory'] as const)('%s: Stop on one instance', (backend) => {
  it('cancels the answer streaming on another instance', async () => {
    const { a, b, streaming } = await twoInstances(backend);
    const key = newKey();
    streaming.emulator.enqueue({
      content: Array.from({ length: 200 }, (_, i) => `w${i} `),
      chunkDelayMs: 20,
    });
    const sink = new RecordingSink();
    const running = b.handleTurn(turn(key, 'long please'), sink);
    await waitFor(() => sink.shown().includes('w3 '));
    expect(a.isStreaming(key)).toBe(false);

    expect(await a.stop(key)).toBe(true);
    const outcome = await running;
    expect(outcome.status).toBe('stopped');
    expect(sink.lastPhase()).toBe('stopped');
    expect(sink.shown()).not.toContain('w199');
    await waitFor(() => streaming.emulator.activeStreams === 0);
    expect(await streaming.store.history.load(key)).toEqual([]);
  });

  it('says nothing was stopped when nothing streams anywhere', async () => {
    const { a } = await twoInstances(backend);
    expect(await a.stop(newKey())).toBe(false);
  });
});

describe('editing a prompt that waits in the queue', () => {
  it("cancels only that prompt's turn; the other user's answer keeps streaming and is saved", async () => {
    const t = await createTestEngine();
    opened.push(t);
    const key = newKey();
    t.emulator.enqueue({ content: Array.from({ length: 40 }, (_, i) => `x${i} `), chunkDelayMs: 15 });
    const streamingSink = new RecordingSink();
    const streamingTurn = turn(key, 'question of user one', 'u1');
    const streamingRun = t.engine.handleTurn(streamingTurn, streamingSink);
    await waitFor(() => streamingSink.shown().includes('x2 '));

    const queuedTurn = turn(key, 'question of user two', 'u2');
    const queuedRun = t.engine.handleTurn(queuedTurn, new RecordingSink());
    await new Promise((resolve) => setTimeout(resolve, 50));

    // User two edits the queued prompt: the adapter cancels that prompt's turn before answering it again.
    expect(await t.engine.stop(key, { messageId: queuedTurn.messageIds[0]! })).toBe(true);
    expect((await queuedRun).status).toBe('stopped');

    const outcome = await streamingRun;
    expect(outcome.status).toBe('done');
    expect(streamingSink.lastPhase()).toBe('done');
    expect(streamingSink.shown()).toContain('x39');
    const history = await t.store.history.load(key);
    expect(history.map((h) => (h.role === 'user' ? h.text : h.text.slice(0, 3)))).toEqual([
      'question of user one',
      'x0 ',
    ]);
  });
});
