/**
 * Bounded waits and sizes, end to end through the real client and the upstream emulator: a
 * platform asking for a day-long Retry-After, an endless reasoning phase (TURN_TIMEOUT_MS) and an
 * answer over MAX_ANSWER_CHARS all end the turn cleanly, keep what they should, and free the
 * conversation's lock and the upstream slot, so the thread's next turn is answered.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IncomingTurn, ReplyPhase } from '../../src/engine/types.js';
import { PlatformRateLimitError } from '../../src/errors.js';
import type { ConversationKey } from '../../src/store/types.js';
import { createTestEngine, type TestEngine } from '../support/harness.js';
import { RecordingSink } from '../support/recording-sink.js';

const TURN_TIMEOUT_MS = 1_500;
const MAX_ANSWER_CHARS = 5_000;

let t: TestEngine;
let counter = 0;

beforeAll(async () => {
  t = await createTestEngine({
    env: {
      TURN_TIMEOUT_MS: String(TURN_TIMEOUT_MS),
      MAX_ANSWER_CHARS: String(MAX_ANSWER_CHARS),
      // One upstream slot: a turn that kept its slot would leave the next turn queued forever.
      UPSTREAM_MAX_CONCURRENCY: '1',
    },
  });
});
afterAll(async () => {
  await t.close();
});
beforeEach(() => {
  t.emulator.reset();
});

function newKey(): ConversationKey {
  counter += 1;
  return { platform: 'console', workspace: 'w', channel: `c${counter}`, thread: `t${counter}` };
}

function turn(key: ConversationKey, text: string): IncomingTurn {
  counter += 1;
  return { key, author: { id: 'u1', name: 'Ada' }, text, attachments: [], messageIds: [`msg-${counter}`] };
}

/** A platform that accepts the first post, then answers every edit with 429 and Retry-After of a day. */
class DayLongRateLimitSink extends RecordingSink {
  refusedEdits = 0;

  override async edit(_id: string, _text: string, _phase: ReplyPhase): Promise<void> {
    this.refusedEdits++;
    throw new PlatformRateLimitError(86_400_000, 'Retry-After: 86400');
  }
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('a platform Retry-After past the cap', () => {
  it('a 429 asking for 86,400 s ends the turn promptly, saves it, and the next turn of the thread is answered', async () => {
    const key = newKey();
    t.emulator.enqueue({ content: ['The whole ', 'answer.'] });
    const sink = new DayLongRateLimitSink();
    const outcome = await t.engine.handleTurn(turn(key, 'first'), sink);

    expect(outcome.status).toBe('done');
    expect(sink.refusedEdits).toBe(1); // refused once, never retried
    expect(sink.notices.join('\n')).toMatch(/rate limiting the bot for a long while/);
    expect((await t.store.history.load(key)).map((h) => `${h.role}:${h.text}`)).toEqual([
      'user:first',
      'assistant:The whole answer.',
    ]);
    expect(t.engine.isStreaming(key)).toBe(false);

    t.emulator.enqueue({ content: ['Second answer.'] });
    const next = new RecordingSink();
    expect((await t.engine.handleTurn(turn(key, 'second'), next)).status).toBe('done');
    expect(next.texts()).toEqual(['Second answer.']);
  }, 15_000);
});

describe('TURN_TIMEOUT_MS', () => {
  it('an endless reasoning phase ends after the turn timeout with a clear sentence; lock and slot are freed', async () => {
    const key = newKey();
    // 100,000 reasoning deltas 10 ms apart: about 17 minutes of thinking, never silent long enough
    // for the idle timeout.
    t.emulator.enqueue({ reasoning: Array.from({ length: 100_000 }, () => 'hmm '), chunkDelayMs: 10 });
    const sink = new RecordingSink();
    const outcome = await t.engine.handleTurn(turn(key, 'think forever'), sink);

    expect(outcome.status).toBe('failed');
    expect(outcome.status === 'failed' && outcome.error.name).toBe('TurnTimeoutError');
    expect(sink.shown()).toContain('The answer took longer than 1.5 seconds and was stopped.');
    expect(sink.lastPhase()).toBe('interrupted');
    expect(await t.store.history.load(key)).toEqual([]);
    await waitFor(() => t.emulator.activeStreams === 0); // the upstream request was closed

    t.emulator.enqueue({ content: ['Quick answer.'] });
    const next = new RecordingSink();
    expect((await t.engine.handleTurn(turn(key, 'quick one'), next)).status).toBe('done');
    expect(next.texts()).toEqual(['Quick answer.']);
  }, 15_000);
});

describe('MAX_ANSWER_CHARS', () => {
  it('an answer over the cap ends cleanly: what was written is kept and saved, the user is told it was cut', async () => {
    const key = newKey();
    const deltas = Array.from({ length: 2_000 }, (_, i) => `word${i} `); // about 17,000 characters
    t.emulator.enqueue({ content: deltas });
    const sink = new RecordingSink({ maxMessageLength: 2_000 });
    const outcome = await t.engine.handleTurn(turn(key, 'go on and on'), sink);

    expect(outcome.status === 'failed' ? outcome.error : outcome.status).toBe('done');
    const answer = outcome.status === 'done' ? outcome.text : '';
    expect(answer).toHaveLength(MAX_ANSWER_CHARS);
    expect(deltas.join('').startsWith(answer)).toBe(true);
    expect(sink.shown()).toContain('The answer was cut off at 5,000 characters.');
    expect(sink.lastPhase()).toBe('done');
    const history = await t.store.history.load(key);
    expect(history.map((h) => h.role)).toEqual(['user', 'assistant']);
    expect(history[1]!.text).toBe(answer);
    await waitFor(() => t.emulator.activeStreams === 0); // the rest of the stream was not read
    expect(sink.shown()).not.toContain('word1999');
  }, 15_000);
});
