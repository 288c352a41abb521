/**
 * The per-user, per-channel pointer to someone's most recent conversation with the bot (what a
 * bare /gemini-reset in a channel resets), on real SQLite and real Redis under a test prefix.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { RecentConversations } from '../../../src/platforms/slack/recent-conversations.js';
import { BackendFixture, listRedisKeys } from '../../store/backends.js';

describe.each(['sqlite', 'redis'] as const)('recent conversations on %s', (backend) => {
  const fixture = new BackendFixture(backend);
  afterAll(() => fixture.cleanup());

  it('keeps the newest thread per user and channel, under the store prefix, across a restart', async () => {
    const store = await fixture.open();
    const recent = new RecentConversations(store.history);
    const thread = (ts: string) => ({
      platform: 'slack' as const,
      workspace: 'T1',
      channel: 'C1',
      thread: ts,
    });
    await recent.remember(thread('1.000001'), 'U1');
    await recent.remember(thread('2.000002'), 'U1');
    await recent.remember(thread('3.000003'), 'U2');
    await recent.remember({ ...thread('4.000004'), channel: 'C2' }, 'U1');
    expect(await recent.latest('T1', 'C1', 'U1')).toEqual(thread('2.000002'));
    expect(await recent.latest('T1', 'C1', 'U3')).toBeUndefined();
    if (backend === 'redis') {
      expect(await listRedisKeys(`${fixture.prefix}:msg:slack:latest:*`)).toHaveLength(3);
    }
    await store.close();

    const reopened = new RecentConversations((await fixture.open()).history);
    expect(await reopened.latest('T1', 'C1', 'U2')).toEqual(thread('3.000003'));
  });
});
