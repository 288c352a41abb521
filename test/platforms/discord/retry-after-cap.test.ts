/**
 * A Discord 429 asking for a day: the real discord.js client against the emulator with a message
 * bucket that resets once a day. The reply stops editing at once (the cap, MAX_RETRY_AFTER_MS), the
 * turn is saved, and the thread's next turns are still answered instead of queueing behind a day.
 */
import type { RateLimitData } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejectUnwaitableRateLimits } from '../../../src/platforms/discord/client.js';
import { MAX_RETRY_AFTER_MS } from '../../../src/retry-after.js';
import { type DiscordBot, startDiscordBot } from './support.js';

const DAY_MS = 86_400_000;
let bot: DiscordBot;

beforeAll(async () => {
  // Two message writes per channel per day: the placeholder and one edit, then 429 for a day.
  bot = await startDiscordBot({ emulator: { messageBucket: { limit: 2, windowMs: DAY_MS } } });
});
afterAll(async () => {
  await bot?.close();
});

const mention = () => `<@${bot.discord.botUser.id}>`;

describe('a Discord Retry-After of a day', () => {
  it('ends the reply promptly, saves the turn, and the next turns of the thread are answered', async () => {
    const { discord, te } = bot;
    te.emulator.enqueue(
      { content: ['First ', 'answer ', 'in ', 'pieces.'], chunkDelayMs: 30 },
      { content: ['Second answer.'] },
      { content: ['Third answer.'] },
    );
    const prompt = discord.sendMessage({ channelId: discord.channels.general, content: `${mention()} one` });
    const thread = await discord.waitFor('thread', () => discord.threadOf(prompt.id));
    await discord.waitFor('a 429', () => discord.state.rateLimitedCount > 0 || undefined);

    discord.sendMessage({ channelId: thread.id, content: 'two' });
    const second = await discord.waitFor('the second request', () => te.emulator.requests[1]);
    expect(second.body.messages.map((m: { content: unknown }) => m.content)).toContain(
      'First answer in pieces.',
    );

    // The second reply could not even be posted (the bucket is spent for a day): still saved.
    discord.sendMessage({ channelId: thread.id, content: 'three' });
    const third = await discord.waitFor('the third request', () => te.emulator.requests[2]);
    expect(third.body.messages.map((m: { content: unknown }) => m.content)).toEqual(
      expect.arrayContaining(['one', 'First answer in pieces.', 'two', 'Second answer.', 'three']),
    );
    await discord.waitFor('no turn in flight', () => te.engine.turnsInFlight === 0 || undefined);
  }, 20_000);
});

describe('rejectOnRateLimit', () => {
  const data = (route: string, method: string, retryAfter: number): RateLimitData => ({
    global: false,
    hash: 'h',
    limit: 5,
    majorParameter: '1',
    method,
    retryAfter,
    route,
    scope: 'user',
    sublimitTimeout: 0,
    timeToReset: retryAfter,
    url: `https://discord.test/api/v10${route}`,
  });

  it('lets message sends and edits wait in the bucket queue for short waits, never past the cap', () => {
    for (const [route, method] of [
      ['/channels/:id/messages', 'POST'],
      ['/channels/:id/messages/:id', 'PATCH'],
      ['/webhooks/:id/:token/messages/:id', 'PATCH'],
    ] as const) {
      expect(rejectUnwaitableRateLimits(data(route, method, 500))).toBe(false);
      expect(rejectUnwaitableRateLimits(data(route, method, MAX_RETRY_AFTER_MS))).toBe(false);
      expect(rejectUnwaitableRateLimits(data(route, method, DAY_MS))).toBe(true);
    }
    expect(rejectUnwaitableRateLimits(data('/channels/:id/typing', 'POST', DAY_MS))).toBe(true);
  });

  it('fails command registration at once, whatever the wait (the daily create limit)', () => {
    expect(rejectUnwaitableRateLimits(data('/applications/:id/commands', 'PUT', 500))).toBe(true);
    expect(rejectUnwaitableRateLimits(data('/applications/:id/guilds/:id/commands', 'PUT', 500))).toBe(true);
  });
});
