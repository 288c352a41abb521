/**
 * Ratings and regenerating on another model, through the real engine on the upstream emulator: a
 * rating is found by the answer's platform message, stored with its prompt, answer, model and the
 * upstream's trace id, once per user (a second click changes it); a regenerate with a chosen model
 * asks the upstream for that model and leaves only the new answer in history.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IncomingTurn } from '../../src/engine/types.js';
import { UserInputError } from '../../src/errors.js';
import type { ConversationKey, FeedbackRating, PlatformName } from '../../src/store/types.js';
import { createTestEngine, type TestEngine } from '../support/harness.js';
import { RecordingSink } from '../support/recording-sink.js';

let t: TestEngine;
const ratings: Array<[PlatformName, FeedbackRating]> = [];
let counter = 0;

beforeAll(async () => {
  t = await createTestEngine({
    observer: { feedback: (platform, rating) => ratings.push([platform, rating]) },
  });
});
afterAll(async () => {
  await t.close();
});
beforeEach(() => {
  t.emulator.reset();
  ratings.length = 0;
});

function newKey(): ConversationKey {
  counter += 1;
  return { platform: 'discord', workspace: 'g', channel: `c${counter}`, thread: `t${counter}` };
}

function turn(key: ConversationKey, text: string, extra: Partial<IncomingTurn> = {}): IncomingTurn {
  counter += 1;
  return {
    key,
    author: { id: 'asker', name: 'Ada' },
    text,
    attachments: [],
    messageIds: [`prompt-${counter}`],
    ...extra,
  };
}

async function answered(key: ConversationKey, text: string, sink = new RecordingSink()) {
  const outcome = await t.engine.handleTurn(turn(key, text), sink);
  if (outcome.status !== 'done') throw new Error(`turn ${outcome.status}`);
  return outcome;
}

describe('rating an answer', () => {
  it('stores the rating with the prompt, the answer, the model and the trace id; a second click changes it', async () => {
    const key = newKey();
    t.emulator.enqueue({ content: ['Four.'] });
    const outcome = await answered(key, 'What is 2+2?');
    const messageId = outcome.messageIds.at(-1)!;
    const rate = (userId: string, rating: FeedbackRating) =>
      t.engine.rateAnswer({ platform: 'discord', messageId, userId, rating });

    expect(await rate('ada', 'positive')).toBe('new');
    expect(await rate('ada', 'positive')).toBe('unchanged');
    expect(await rate('ada', 'negative')).toBe('changed');
    expect(await rate('bob', 'positive')).toBe('new');

    const stored = (await t.store.feedback.list()).filter(
      (r) => r.messageId === messageId && r.conversationId.endsWith(`${key.channel}:${key.thread}`),
    );
    const ada = stored.find((r) => r.userId === 'ada');
    expect(stored).toHaveLength(2);
    expect(ada).toMatchObject({
      platform: 'discord',
      conversationId: `discord:g:${key.channel}:${key.thread}`,
      rating: 'negative',
      model: t.config.models.default,
      traceId: t.emulator.requests[0]!.traceId,
      prompt: 'What is 2+2?',
      answer: 'Four.',
    });
    expect(Number.isNaN(Date.parse(ada!.time))).toBe(false);
    // Counted once per stored or changed rating, not for the repeated click.
    expect(ratings).toEqual([
      ['discord', 'positive'],
      ['discord', 'negative'],
      ['discord', 'positive'],
    ]);
  });

  it('refuses a message that is no kept answer, with one clear sentence, and stores nothing', async () => {
    const key = newKey();
    await answered(key, 'hello');
    const before = (await t.store.feedback.list()).length;
    const error = await t.engine
      .rateAnswer({ platform: 'discord', messageId: 'no-such-message', userId: 'ada', rating: 'positive' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserInputError);
    expect((error as UserInputError).code).toBe('answer_gone');
    expect((await t.store.feedback.list()).length).toBe(before);
    expect(ratings).toEqual([]);
  });

  it('rates the answer of a later prompt with that prompt, not the first one', async () => {
    const key = newKey();
    // One sink for both replies: it numbers messages m1, m2, … so the two answers' ids differ.
    const sink = new RecordingSink();
    await answered(key, 'first question', sink);
    const second = await answered(key, 'second question', sink);
    await t.engine.rateAnswer({
      platform: 'discord',
      messageId: second.messageIds[0]!,
      userId: 'ada',
      rating: 'positive',
    });
    // Every RecordingSink starts at m1: the conversation tells other tests' answers apart.
    const stored = (await t.store.feedback.list()).find(
      (r) =>
        r.messageId === second.messageIds[0] && r.conversationId.endsWith(`${key.channel}:${key.thread}`),
    );
    expect(stored?.prompt).toBe('second question');
  });
});

describe('regenerate on another model', () => {
  it('asks the upstream for the chosen model and keeps only the new answer, under that model', async () => {
    const key = newKey();
    t.emulator.enqueue({ content: ['old answer'] }, { content: ['new answer'] });
    await answered(key, 'pick a number');
    const other = t.config.models.allowed.find((m) => m !== t.config.models.default)!;
    const outcome = await t.engine.handleTurn(
      turn(key, '', { mode: 'regenerate', model: other }),
      new RecordingSink(),
    );
    expect(outcome.status).toBe('done');
    expect(t.emulator.requests[1]!.body.model).toBe(other);
    expect(t.emulator.requests[1]!.body.messages.at(-1).content).toBe('pick a number');
    const history = await t.store.history.load(key);
    expect(history.map((h) => [h.role, h.text, h.model ?? ''])).toEqual([
      ['user', 'pick a number', ''],
      ['assistant', 'new answer', other],
    ]);
  });
});

describe('a click the moment the answer shows done', () => {
  it('is kept: the rating waits for the answer being saved rather than calling it gone', async () => {
    const key = newKey();
    let click: Promise<unknown> | undefined;
    // The 'done' edit is when the buttons appear, a moment before the turn is written to history.
    class ClickingSink extends RecordingSink {
      override async post(text: string, phase: Parameters<RecordingSink['post']>[1]): Promise<string> {
        const id = await super.post(text, phase);
        if (phase === 'done') click ??= rate(id);
        return id;
      }
      override async edit(id: string, text: string, phase: Parameters<RecordingSink['edit']>[2]) {
        await super.edit(id, text, phase);
        if (phase === 'done') click ??= rate(id);
      }
    }
    const rate = (messageId: string) =>
      t.engine
        .rateAnswer({
          platform: 'discord',
          messageId: `${key.channel}-${messageId}`,
          userId: 'ada',
          rating: 'positive',
        })
        .catch((error: unknown) => error);
    // Unique platform ids for this conversation, so no other test's m1 is found instead.
    class UniqueIds extends ClickingSink {
      override async post(text: string, phase: Parameters<RecordingSink['post']>[1]): Promise<string> {
        return `${key.channel}-${await super.post(text, phase)}`;
      }
      override async edit(id: string, text: string, phase: Parameters<RecordingSink['edit']>[2]) {
        await super.edit(id.slice(key.channel.length + 1), text, phase);
      }
    }
    const outcome = await t.engine.handleTurn(turn(key, 'quick!'), new UniqueIds());
    expect(outcome.status).toBe('done');
    expect(click).toBeDefined();
    expect(await click).toBe('new');
  });
});
