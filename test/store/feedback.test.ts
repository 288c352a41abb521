/**
 * The feedback contract on every backend (memory, a real SQLite file, the real Redis): one rating
 * per user and answer, a second click changes it, every rating still kept is listed, and the
 * ratings outlive a restart on the backends that persist.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FeedbackRecord, Store } from '../../src/store/types.js';
import { BACKENDS, BackendFixture, listRedisKeys } from './backends.js';

let counter = 0;

function rating(overrides: Partial<FeedbackRecord> = {}): FeedbackRecord {
  counter += 1;
  return {
    platform: 'discord',
    conversationId: 'discord:g:c:t',
    messageId: `answer-${counter}`,
    userId: 'user-1',
    rating: 'positive',
    model: 'gemini-2.5-flash',
    traceId: 'trace-1',
    prompt: 'What is 2+2?',
    answer: '4',
    time: new Date().toISOString(),
    ...overrides,
  };
}

describe.each(BACKENDS)('%s store: feedback', (backend) => {
  const fixture = new BackendFixture(backend);
  let store: Store;

  beforeAll(async () => {
    store = await fixture.open();
  });
  afterAll(async () => {
    await fixture.cleanup();
  });

  it('keeps one rating per user and answer; a second click changes it', async () => {
    const first = rating();
    expect(await store.feedback.record(first)).toBe('new');
    expect(await store.feedback.record({ ...first, rating: 'positive' })).toBe('unchanged');
    expect(await store.feedback.record({ ...first, rating: 'negative' })).toBe('changed');
    const mine = (await store.feedback.list()).filter((r) => r.messageId === first.messageId);
    expect(mine).toEqual([{ ...first, rating: 'negative' }]);
  });

  it('keeps the ratings of different users of one answer apart', async () => {
    const ada = rating({ userId: 'ada' });
    const bob = { ...ada, userId: 'bob', rating: 'negative' as const };
    await store.feedback.record(ada);
    await store.feedback.record(bob);
    const listed = (await store.feedback.list()).filter((r) => r.messageId === ada.messageId);
    expect(listed.map((r) => [r.userId, r.rating]).sort()).toEqual([
      ['ada', 'positive'],
      ['bob', 'negative'],
    ]);
  });

  it.runIf(backend !== 'memory')('ratings survive a restart', async () => {
    const kept = rating();
    await store.feedback.record(kept);
    const reopened = await fixture.open();
    expect((await reopened.feedback.list()).find((r) => r.messageId === kept.messageId)).toEqual(kept);
  });

  it.runIf(backend === 'redis')('writes only under its prefix, with the retention as TTL', async () => {
    await store.feedback.record(rating());
    const keys = await listRedisKeys(`${fixture.prefix}:feedback:*`);
    expect(keys.some((key) => key.includes(':feedback:rating:'))).toBe(true);
    expect(keys.some((key) => key.includes(':feedback:day:'))).toBe(true);
  });
});

describe('feedback retention', () => {
  const fixture = new BackendFixture('memory');
  const DAY = 24 * 60 * 60 * 1000;
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.parse('2026-03-01T12:00:00Z'));
  });
  afterAll(async () => {
    vi.useRealTimers();
    await fixture.cleanup();
  });

  it('lists ratings of earlier days once each, and forgets them past the retention', async () => {
    const store = await fixture.open({ feedbackRetentionMs: 3 * DAY });
    const old = rating({ time: new Date().toISOString() });
    await store.feedback.record(old);
    vi.setSystemTime(Date.now() + 2 * DAY);
    const recent = rating({ time: new Date().toISOString() });
    await store.feedback.record(recent);
    expect((await store.feedback.list()).map((r) => r.messageId)).toEqual([old.messageId, recent.messageId]);
    // Changed two days later: listed once (it is in two days' indexes), and kept from the change on.
    await store.feedback.record({ ...old, rating: 'negative', time: new Date().toISOString() });
    vi.setSystemTime(Date.now() + 2 * DAY);
    const listed = await store.feedback.list();
    expect(listed.map((r) => [r.messageId, r.rating]).sort()).toEqual(
      [
        [recent.messageId, 'positive'],
        [old.messageId, 'negative'],
      ].sort(),
    );
    vi.setSystemTime(Date.now() + 2 * DAY);
    expect(await store.feedback.list()).toEqual([]);
  });
});
