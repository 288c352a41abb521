/**
 * The engine's two shutdown steps, as the user sees them: new turns are refused with a sentence to
 * send again, and a reply cut by shutdown ends "Interrupted" with a note to ask again. (The whole
 * process under SIGTERM is test/ops/shutdown.test.ts.)
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeError } from '../../src/engine/describe-error.js';
import type { IncomingTurn } from '../../src/engine/types.js';
import { createTestEngine, type TestEngine } from '../support/harness.js';
import { RecordingSink } from '../support/recording-sink.js';

let t: TestEngine;
beforeEach(async () => {
  t = await createTestEngine();
});
afterEach(async () => {
  await t.close();
});

function turn(text: string): IncomingTurn {
  return {
    key: { platform: 'console', workspace: 'w', channel: 'c', thread: 't' },
    author: { id: 'u1', name: 'Ada' },
    text,
    attachments: [],
    messageIds: [`msg-${text}`],
  };
}

describe('shutdown, as the user reads it', () => {
  it('refuses a turn after stopAccepting, with the sentence to send it again, and shows nothing itself', async () => {
    t.engine.stopAccepting();
    const sink = new RecordingSink();
    const outcome = await t.engine.handleTurn(turn('hello'), sink);
    if (outcome.status !== 'refused') throw new Error(`expected refused, got ${outcome.status}`);
    expect(outcome.error).toMatchObject({ code: 'shutting_down' });
    expect(describeError(outcome.error)).toBe(
      'The bot is restarting. Please send your message again in a minute.',
    );
    expect(sink.calls).toEqual([]);
    expect(t.emulator.requests).toEqual([]);
  });

  it('ends a reply streaming at stopAll "Interrupted" with the note to ask again, and saves nothing', async () => {
    t.emulator.enqueue({ content: Array.from({ length: 200 }, (_, i) => `w${i} `), chunkDelayMs: 20 });
    const sink = new RecordingSink();
    const running = t.engine.handleTurn(turn('long please'), sink);
    await waitFor(() => sink.shown().includes('w3'));
    expect(t.engine.stopAll()).toBe(1);
    const outcome = await running;
    expect(outcome.status).toBe('stopped');
    expect(sink.lastPhase()).toBe('interrupted');
    expect(sink.shown()).toMatch(
      /w3 [\s\S]*⚠️ Interrupted: the bot restarted before this answer was finished\. Please ask again\.$/,
    );
    expect(await t.store.history.load(turn('long please').key)).toEqual([]);
  });

  it('whenIdle settles true when the last turn in flight has ended, false when it outlasts the wait', async () => {
    expect(await t.engine.whenIdle(0)).toBe(true);
    t.emulator.enqueue({ content: Array.from({ length: 20 }, (_, i) => `w${i} `), chunkDelayMs: 20 });
    const sink = new RecordingSink();
    const running = t.engine.handleTurn(turn('idle please'), sink);
    await waitFor(() => t.engine.turnsInFlight === 1);
    expect(await t.engine.whenIdle(50)).toBe(false);
    const idle = t.engine.whenIdle(60_000);
    expect((await running).status).toBe('done');
    expect(await idle).toBe(true);
    expect(t.engine.turnsInFlight).toBe(0);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
