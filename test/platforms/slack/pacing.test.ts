/**
 * Update pacing under the production chat.update budget: the emulator enforces the same Tier 3
 * budget the bot keeps to, so three replies streaming at once in one workspace must share it
 * without a single 429, and no reply is edited faster than about once a second.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appMention, userTs } from '../../emulators/slack/payloads.js';
import type { EmulatedMessage } from '../../emulators/slack/state.js';
import { type SlackBot, startSlackBot } from './bot.js';

let bot: SlackBot;
const mention = (text: string) => `<@${bot?.slack.botUserId}> ${text}`;

beforeAll(async () => {
  bot = await startSlackBot();
});
afterAll(async () => {
  await bot?.close();
});

describe('update pacing', () => {
  it('paces updates to about one a second per reply and gets no 429 with three replies streaming at once', async () => {
    // The emulator enforces exactly the budget the bot keeps to (plus one): any excess would be a 429.
    bot.slack.rateLimits.set('chat.update', { perMinute: 50, burst: 11 });
    bot.upstream.setResponder(() => ({
      content: Array.from({ length: 30 }, (_, i) => `word${i} `),
      chunkDelayMs: 100,
    }));
    const threads = ['C420', 'C421', 'C422'].map((channel) => ({ channel, ts: userTs() }));
    await Promise.all(
      threads.map((t) =>
        bot.send.event(appMention({ channel: t.channel, user: 'U1', text: mention('slow'), ts: t.ts })),
      ),
    );
    const replies = await Promise.all(threads.map((t) => bot.finishedReply(t.channel, t.ts, 1, 30_000)));
    expect(bot.slack.rateLimitedCount()).toBe(0);
    for (const [reply] of replies as EmulatedMessage[][]) {
      expect(reply!.text.trim()).toBe(Array.from({ length: 30 }, (_, i) => `word${i}`).join(' '));
      // Streaming edits (all but the final one) are spaced by the 1 s edit interval. The gaps are
      // seen where the emulator receives them, so a loaded machine that delays one request shortens
      // the next gap: allow a quarter of the interval for that, far from the 2-3 per second of no pacing.
      const streamingEdits = reply!.changedAt.slice(1, -1);
      const gaps = streamingEdits.slice(1).map((at, i) => at - streamingEdits[i]!);
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(750);
      expect(reply!.versions.length).toBeGreaterThanOrEqual(3);
    }
  });
});
