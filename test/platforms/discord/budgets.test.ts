/**
 * Spend budgets through the real discord.js client: /usage shows used and limit for the day and the
 * month (the user's and the server's), the answer that crosses a limit says so, and the next /ask
 * is refused with the sentence that names the limit, without asking the model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DiscordBot, startDiscordBot } from './support.js';

let bot: DiscordBot;

beforeAll(async () => {
  bot = await startDiscordBot({
    env: { BUDGET_USER_DAILY_TOKENS: '100', BUDGET_SPACE_MONTHLY_TOKENS: '1000' },
  });
});
afterAll(async () => {
  await bot?.close();
});

const costing = (total: number) => ({
  content: ['Counted.'],
  usage: { prompt_tokens: 20, completion_tokens: total - 20, total_tokens: total },
});

/** What the user reads for an interaction: its immediate reply, its (edited) original response, its follow-ups. */
function shownFor(id: string, check: (text: string) => boolean) {
  return bot.discord.waitFor('interaction text', () => {
    const interaction = bot.discord.state.interactions.get(id)!;
    const immediate = (interaction.callbacks[0]?.data as { content?: string } | undefined)?.content;
    const sent = [interaction.originalMessageId, ...interaction.followUpIds].map((messageId) =>
      messageId === undefined ? undefined : bot.discord.state.messages.get(messageId)?.content,
    );
    return [immediate, ...sent].find((text) => text !== undefined && check(text));
  });
}

function command(name: string, prompt?: string) {
  return bot.discord.interaction({
    kind: 'command',
    name,
    channelId: bot.discord.channels.general,
    options: prompt === undefined ? [] : [{ name: 'prompt', type: 3, value: prompt }],
  });
}

describe('spend budgets on Discord', () => {
  it('/usage shows used and limit, the crossing answer says so, the next /ask is refused', async () => {
    bot.te.emulator.enqueue(costing(60), costing(60));
    const first = command('ask', 'one');
    await shownFor(first.id, (text) => text.startsWith('Counted.'));

    const usage = command('usage');
    const report = await shownFor(usage.id, (text) => text.includes('today (UTC)'));
    expect(report).toContain('You, today (UTC): 60 of 100 tokens · this month: 60 tokens (no limit)');
    expect(report).toContain(
      'This server, today (UTC): 60 tokens (no limit) · this month: 60 of 1,000 tokens',
    );

    const crossing = command('ask', 'two');
    const answer = await shownFor(
      crossing.id,
      (text) => text.startsWith('Counted.') && text.includes('limit'),
    );
    expect(answer).toMatch(
      /_This answer used up your daily limit of 100 tokens; new questions wait until 00:00 UTC on /,
    );

    const requests = bot.te.emulator.requests.length;
    const refused = command('ask', 'three');
    const sentence = await shownFor(refused.id, (text) => text.includes('limit'));
    expect(sentence).toMatch(
      /^You have used your daily limit of 100 tokens; it resets at 00:00 UTC on \d+ \w+ \d{4}\.$/,
    );
    expect(bot.te.emulator.requests).toHaveLength(requests);
  });
});

describe('a mention past the budget', () => {
  it('opens no thread: the refusal is one inline reply and the model is not asked', async () => {
    const spent = await startDiscordBot({ env: { BUDGET_USER_DAILY_TOKENS: '50' } });
    try {
      const { discord } = spent;
      spent.te.emulator.enqueue(costing(60));
      const at = `<@${discord.botUser.id}>`;
      const first = discord.sendMessage({ channelId: discord.channels.general, content: `${at} one` });
      const thread = await discord.waitFor('thread', () => discord.threadOf(first.id));
      await discord.waitFor('the first answer', () =>
        discord
          .botMessagesIn(thread.id)
          .find((m) => m.content.startsWith('Counted.') && m.components?.length),
      );

      const second = discord.sendMessage({ channelId: discord.channels.general, content: `${at} two` });
      const refusal = await discord.waitFor('the refusal', () =>
        discord.botMessagesIn(discord.channels.general).find((m) => m.content.includes('daily limit')),
      );
      expect(refusal.content).toMatch(/^You have used your daily limit of 50 tokens/);
      expect(discord.threadOf(second.id)).toBeUndefined();
      expect(spent.te.emulator.requests).toHaveLength(1);
    } finally {
      await spent.close();
    }
  });
});
