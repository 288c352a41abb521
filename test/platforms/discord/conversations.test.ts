/**
 * How people talk to the bot on Discord, end to end: the real discord.js client of the bot against
 * the loopback Discord, the real engine against the loopback upstream.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_USER, pingsOf } from '../../emulators/discord/server.js';
import { toWireChannel } from '../../emulators/discord/state.js';
import { botText, type DiscordBot, hasButton, replyFinished, startDiscordBot } from './support.js';

let bot: DiscordBot;

beforeAll(async () => {
  bot = await startDiscordBot();
});
afterAll(async () => {
  await bot?.close();
});
beforeEach(() => {
  bot.te.emulator.reset();
});

const mention = () => `<@${bot.discord.botUser.id}>`;

/** User message texts of an upstream request, in order. */
function userTexts(body: { messages: Array<{ role: string; content: unknown }> }): string[] {
  return body.messages
    .filter((m) => m.role === 'user')
    .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)));
}

describe('a mention in a channel', () => {
  it('opens a thread titled after the prompt and streams the answer there, pinging nobody', async () => {
    const { discord, te } = bot;
    te.emulator.enqueue({
      reasoning: ['thinking'],
      content: ['Paris ', 'is ', 'the ', 'capital.'],
      chunkDelayMs: 150,
    });
    const prompt = discord.sendMessage({
      channelId: discord.channels.general,
      content: `${mention()} What is the capital of France?`,
    });
    const thread = await discord.waitFor('thread', () => discord.threadOf(prompt.id));
    expect(thread.name).toBe('What is the capital of France?');
    const [reply] = await replyFinished(discord, thread.id);
    expect(reply!.content).toBe('Paris is the capital.');
    // It appeared early and grew by edits.
    expect(reply!.history.length).toBeGreaterThan(1);
    expect(te.emulator.requests.at(-1)?.body.messages.at(-1).content).toBe('What is the capital of France?');
    for (const message of discord.botMessagesIn(thread.id))
      expect(message.allowed_mentions).toMatchObject({ parse: [] });
    // Nothing was posted in the channel itself.
    expect(discord.botMessagesIn(discord.channels.general)).toHaveLength(0);
  });

  it('keeps a three-turn thread in order without further mentions', async () => {
    const { discord, te } = bot;
    const first = discord.sendMessage({ channelId: discord.channels.general, content: `${mention()} one` });
    const thread = await discord.waitFor('thread', () => discord.threadOf(first.id));
    await replyFinished(discord, thread.id, 1);
    discord.sendMessage({ channelId: thread.id, content: 'two' });
    await replyFinished(discord, thread.id, 2);
    discord.sendMessage({ channelId: thread.id, content: 'three' });
    await replyFinished(discord, thread.id, 3);
    const last = te.emulator.requests.at(-1)!.body;
    expect(userTexts(last)).toEqual(['one', 'two', 'three']);
    expect(last.messages.map((m: { role: string }) => m.role)).toEqual([
      'system',
      'user',
      'assistant',
      'user',
      'assistant',
      'user',
    ]);
    expect(last.messages[2].content).toContain('Echo: one');
  });

  it('ignores people talking in a thread the bot has no conversation in', async () => {
    const { discord, te } = bot;
    const other = discord.state.addChannel({
      type: 11,
      name: 'people only',
      guild_id: discord.guildId,
      parent_id: discord.channels.general,
      owner_id: DEFAULT_USER.id,
    });
    discord.gateway.dispatch('THREAD_CREATE', {
      ...toWireChannel(other),
      newly_created: true,
    });
    discord.sendMessage({ channelId: other.id, content: 'just chatting' });
    // A mention in the same thread is answered: it proves the message before it was seen and skipped.
    discord.sendMessage({ channelId: other.id, content: `${mention()} now you` });
    await replyFinished(discord, other.id);
    expect(te.emulator.requests).toHaveLength(1);
    expect(userTexts(te.emulator.requests[0]!.body)).toEqual(['now you']);
  });
});

describe('replies and DMs', () => {
  it('continues a conversation through replies to the bot outside threads', async () => {
    const { discord, te } = bot;
    const channel = discord.channels.random;
    const seeded = discord.seedBotMessage(channel, 'Ask me anything.');
    const firstPrompt = discord.sendMessage({
      channelId: channel,
      content: 'first question',
      messageReference: seeded.id,
    });
    const [answer] = await replyFinished(discord, channel, 1);
    expect(answer!.message_reference?.message_id).toBe(firstPrompt.id);
    discord.sendMessage({ channelId: channel, content: 'follow-up', messageReference: answer!.id });
    await replyFinished(discord, channel, 2);
    expect(userTexts(te.emulator.requests.at(-1)!.body)).toEqual(['first question', 'follow-up']);
  });

  it('answers every DM as a turn of one conversation', async () => {
    const { discord, te } = bot;
    const dm = discord.dmChannel();
    discord.sendMessage({ channelId: dm, content: 'hi in private' });
    await replyFinished(discord, dm, 1);
    discord.sendMessage({ channelId: dm, content: 'and again' });
    await replyFinished(discord, dm, 2);
    expect(userTexts(te.emulator.requests.at(-1)!.body)).toEqual(['hi in private', 'and again']);
    expect(botText(discord, dm)).toContain('Echo: and again');
  });

  it('ignores bots, webhooks, system messages and a bare @everyone', async () => {
    const { discord, te } = bot;
    const dm = discord.dmChannel();
    discord.sendMessage({
      channelId: discord.channels.general,
      content: `${mention()} from a bot`,
      author: { id: '5', username: 'otherbot', bot: true },
    });
    discord.sendMessage({
      channelId: discord.channels.general,
      content: `${mention()} from a hook`,
      webhookId: '77',
    });
    discord.sendMessage({ channelId: discord.channels.general, content: `${mention()}`, type: 7 });
    discord.sendMessage({ channelId: dm, content: '@everyone' });
    // A DM the bot does answer, sent last: once it is answered, the ones before were skipped.
    const before = discord.botMessagesIn(dm).length;
    discord.sendMessage({ channelId: dm, content: 'marker' });
    await replyFinished(discord, dm, before + 1);
    expect(te.emulator.requests).toHaveLength(1);
    expect(userTexts(te.emulator.requests[0]!.body).at(-1)).toBe('marker');
  });
});

describe('what the bot shows', () => {
  it('never pings anyone with the model output', async () => {
    const { discord, te } = bot;
    te.emulator.enqueue({ content: ['@everyone look <@', `${DEFAULT_USER.id}> and <@&42> @here`] });
    const prompt = discord.sendMessage({
      channelId: discord.channels.general,
      content: `${mention()} ping everyone`,
    });
    const thread = await discord.waitFor('thread', () => discord.threadOf(prompt.id));
    const [reply] = await replyFinished(discord, thread.id);
    expect(reply!.content).toContain('@everyone look');
    expect(pingsOf(reply!.content, reply!.allowed_mentions)).toEqual({
      everyone: false,
      users: [],
      roles: [],
    });
  });

  it('answers an edited latest prompt again', async () => {
    const { discord, te } = bot;
    const prompt = discord.sendMessage({
      channelId: discord.channels.general,
      content: `${mention()} colour of the sky?`,
    });
    const thread = await discord.waitFor('thread', () => discord.threadOf(prompt.id));
    await replyFinished(discord, thread.id, 1);
    discord.editMessage(prompt.id, `${mention()} colour of the sea?`);
    await replyFinished(discord, thread.id, 2);
    expect(botText(discord, thread.id)).toContain('Echo: colour of the sea?');
    // The edited prompt replaced the old one in history.
    expect(userTexts(te.emulator.requests.at(-1)!.body)).toEqual(['colour of the sea?']);
  });

  it('answers a real edit of the latest prompt made after a restart', async () => {
    const { discord, te } = bot;
    const prompt = discord.sendMessage({ channelId: discord.channels.general, content: `${mention()} one` });
    const thread = await discord.waitFor('thread', () => discord.threadOf(prompt.id));
    await replyFinished(discord, thread.id, 1);
    await bot.restart();
    discord.editMessage(prompt.id, `${mention()} two`);
    await replyFinished(discord, thread.id, 2);
    expect(te.emulator.requests).toHaveLength(2);
    expect(userTexts(te.emulator.requests[1]!.body)).toEqual(['two']);
  });

  it("an edit of a prompt still queued cancels only that prompt's turn, not the answer streaming", async () => {
    const { discord, te } = bot;
    const prompt = discord.sendMessage({
      channelId: discord.channels.general,
      content: `${mention()} first`,
    });
    const thread = await discord.waitFor('thread', () => discord.threadOf(prompt.id));
    await replyFinished(discord, thread.id, 1);
    // Ada's next answer streams slowly; Grace asks meanwhile, then edits her queued prompt.
    te.emulator.enqueue({ content: Array.from({ length: 30 }, (_, i) => `s${i} `), chunkDelayMs: 40 });
    discord.sendMessage({ channelId: thread.id, content: 'slow one' });
    await discord.waitFor('the slow answer streaming', () =>
      discord.botMessagesIn(thread.id).find((m) => m.content.includes('s2 ')),
    );
    const grace = { id: '100000000000000077', username: 'grace' };
    const queued = discord.sendMessage({ channelId: thread.id, content: 'queued question', author: grace });
    await discord.waitFor('the queued turn registered', () =>
      bot.te.engine.turnsInFlight >= 2 ? true : undefined,
    );
    discord.editMessage(queued.id, 'edited question');

    await discord.waitFor('the edited prompt answered', () =>
      botText(discord, thread.id).includes('Echo: edited question') ? true : undefined,
    );
    const slow = discord.botMessagesIn(thread.id).find((m) => m.content.includes('s0 '));
    expect(slow?.content).toContain('s29');
    expect(slow?.content).not.toContain('Stopped');
    expect(hasButton(slow!, 'Regenerate')).toBe(true);
    expect(userTexts(te.emulator.requests.at(-1)!.body)).toEqual(['first', 'slow one', 'edited question']);
  });

  it('refuses a user on the block list inline, without asking the model', async () => {
    const { discord, te } = bot;
    const blocked = { id: '100000000000000099', username: 'mallory' };
    te.config.access.blockUsers.push(blocked.id);
    try {
      const prompt = discord.sendMessage({
        channelId: discord.channels.general,
        content: `${mention()} let me in`,
        author: blocked,
      });
      const refusal = await discord.waitFor('refusal', () =>
        discord
          .botMessagesIn(discord.channels.general)
          .find((m) => m.message_reference?.message_id === prompt.id),
      );
      expect(refusal.content).toContain('not allowed');
      expect(discord.threadOf(prompt.id)).toBeUndefined();
      expect(te.emulator.requests).toHaveLength(0);
    } finally {
      te.config.access.blockUsers.pop();
    }
  });

  it('tells a user over the per-minute limit inline, and a command user ephemerally', async () => {
    const { discord, te } = bot;
    te.config.access.ratePerMinute = 1;
    try {
      const user = { id: '100000000000000077', username: 'eager' };
      const dm = discord.dmChannel(user);
      discord.sendMessage({ channelId: dm, content: 'one', author: user });
      await replyFinished(discord, dm, 1);
      const second = discord.sendMessage({ channelId: dm, content: 'two', author: user });
      const refusal = await discord.waitFor('refusal', () =>
        discord.botMessagesIn(dm).find((m) => m.message_reference?.message_id === second.id),
      );
      expect(refusal.content).toMatch(/faster than 1 per minute/);
      const ask = discord.interaction({
        kind: 'command',
        name: 'ask',
        channelId: discord.channels.general,
        user,
        options: [{ name: 'prompt', type: 3, value: 'three' }],
      });
      const ephemeral = await discord.waitFor('ephemeral refusal', () =>
        ask.followUpIds.map((id) => discord.state.messages.get(id)!).find((m) => m.flags & 64),
      );
      expect(ephemeral.content).toMatch(/faster than 1 per minute/);
      // The public "thinking…" response made way for the private explanation.
      expect(discord.state.messages.get(ask.originalMessageId!)?.deleted).toBe(true);
      expect(te.emulator.requests).toHaveLength(1);
    } finally {
      te.config.access.ratePerMinute = 0;
    }
  });

  it("treats a mention of the bot's own role like a mention of the bot", async () => {
    const { discord, te } = bot;
    const prompt = discord.sendMessage({
      channelId: discord.channels.general,
      content: `<@&${discord.roles.bot}> by role`,
    });
    const thread = await discord.waitFor('thread', () => discord.threadOf(prompt.id));
    await replyFinished(discord, thread.id);
    expect(te.emulator.requests[0]!.body.messages.at(-1).content).toBe('by role');
  });

  it('answers a bare mention with an inline explanation and opens no thread', async () => {
    const { discord, te } = bot;
    const prompt = discord.sendMessage({ channelId: discord.channels.general, content: mention() });
    const refusal = await discord.waitFor('explanation', () =>
      discord
        .botMessagesIn(discord.channels.general)
        .find((m) => m.message_reference?.message_id === prompt.id),
    );
    expect(refusal.content).toContain('empty');
    expect(discord.threadOf(prompt.id)).toBeUndefined();
    expect(te.emulator.requests).toHaveLength(0);
  });

  it('shows Regenerate when done', async () => {
    const { discord } = bot;
    const prompt = discord.sendMessage({
      channelId: discord.channels.general,
      content: `${mention()} buttons?`,
    });
    const thread = await discord.waitFor('thread', () => discord.threadOf(prompt.id));
    const [reply] = await replyFinished(discord, thread.id);
    expect(hasButton(reply!, 'Stop')).toBe(false);
  });
});

describe('message updates that are not edits', () => {
  /**
   * Opens a thread with a first prompt, then a second prompt in it (the latest one), and returns
   * them. `updates` then runs; afterwards a real edit of the latest prompt is answered, so the test
   * knows every earlier update was handled, and the upstream saw exactly that one extra request.
   */
  async function expectOnlyTheRealEditAnswered(
    updates: (latest: { id: string }, thread: { id: string }) => Promise<void>,
  ) {
    const { discord, te } = bot;
    const first = discord.sendMessage({ channelId: discord.channels.general, content: `${mention()} alpha` });
    const thread = await discord.waitFor('thread', () => discord.threadOf(first.id));
    await replyFinished(discord, thread.id, 1);
    const latest = discord.sendMessage({ channelId: thread.id, content: 'see https://example.com/a' });
    await replyFinished(discord, thread.id, 2);
    expect(te.emulator.requests).toHaveLength(2);

    await updates(latest, thread);

    discord.editMessage(latest.id, 'see https://example.com/b');
    await replyFinished(discord, thread.id, 3);
    expect(botText(discord, thread.id)).toContain('Echo: see https://example.com/b');
    expect(te.emulator.requests).toHaveLength(3);
    expect(userTexts(te.emulator.requests[2]!.body)).toEqual(['alpha', 'see https://example.com/b']);
  }

  it('ignores an embed unfurl of the latest prompt', async () => {
    await expectOnlyTheRealEditAnswered(async (latest) => {
      bot.discord.unfurlEmbed(latest.id, { type: 'link', url: 'https://example.com/a', title: 'A' });
    });
  });

  it('ignores a pin of the latest prompt', async () => {
    await expectOnlyTheRealEditAnswered(async (latest) => {
      bot.discord.pinMessage(latest.id);
    });
  });

  it('ignores an embed unfurl and a pin of an uncached latest prompt after a restart', async () => {
    await expectOnlyTheRealEditAnswered(async (latest) => {
      await bot.restart();
      bot.discord.unfurlEmbed(latest.id, { type: 'link', url: 'https://example.com/a', title: 'A' });
      bot.discord.pinMessage(latest.id);
    });
  });

  it('ignores an update with the same text after a restart even when the mention is spelled anew', async () => {
    await expectOnlyTheRealEditAnswered(async (latest) => {
      await bot.restart();
      // Same prompt once the bot's mention is stripped: nothing for the model to answer again.
      bot.discord.editMessage(latest.id, `${mention()} see https://example.com/a`);
    });
  });
});
