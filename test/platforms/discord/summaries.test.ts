/**
 * Catch-up summaries through the real discord.js client against the emulator: /summarize and the
 * Summarize message command read this channel's history (oldest to newest, display names, no bot
 * status lines, within SUMMARY_MAX_CHARS), the model's citations become jump links to the real
 * messages and invented ids are dropped; answers are private with a Share button; refusals hold.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NOTHING_TO_SUMMARIZE } from '../../../src/engine/summarize.js';
import { createLogger } from '../../../src/log.js';
import { BotMetrics } from '../../../src/ops/metrics.js';
import { MESSAGE_COMMAND } from '../../../src/platforms/discord/message-commands.js';
import { keyForRootMessage } from '../../../src/platforms/discord/normalize.js';
import { CANNOT_READ_HISTORY, NEEDS_BOT_IN_SERVER } from '../../../src/platforms/discord/summaries.js';
import type { EmuInteraction, EmuMessage, EmuUser } from '../../emulators/discord/server.js';
import { type DiscordBot, hasButton, startDiscordBot } from './support.js';

const ALICE: EmuUser = { id: '100000000000000001', username: 'alice', global_name: 'Alice' };
const BOB: EmuUser = { id: '100000000000000002', username: 'bob', global_name: 'Bob the Builder' };
const BLOCKED: EmuUser = { id: '100000000000000666', username: 'mallory', global_name: 'Mallory' };
const BUDGET = 6_000;

let bot: DiscordBot;
const metrics = new BotMetrics({ processMetrics: false });
/** The adapter's log at info level, one JSON line each. */
const logLines: string[] = [];

beforeAll(async () => {
  bot = await startDiscordBot({
    env: { BLOCK_USERS: BLOCKED.id, SUMMARY_MAX_CHARS: String(BUDGET) },
    observer: metrics.observer,
    logger: createLogger('info', { write: (line: string) => void logLines.push(line) }),
  });
});
afterAll(async () => {
  await bot?.close();
});
beforeEach(() => bot.te.emulator.reset());

/** A fresh channel of the guild, so each test reads only its own history. */
function freshChannel(name: string): string {
  return bot.discord.state.addChannel({ type: 0, name, guild_id: bot.discord.guildId, parent_id: null }).id;
}

const jumpLink = (message: EmuMessage) =>
  `https://discord.com/channels/${message.guild_id ?? '@me'}/${message.channel_id}/${message.id}`;

function summarize(channelId: string, extra: { user?: EmuUser; messages?: number } = {}) {
  return bot.discord.interaction({
    kind: 'command',
    name: 'summarize',
    channelId,
    ...(extra.user ? { user: extra.user } : {}),
    ...(extra.messages ? { options: [{ name: 'messages', type: 4, value: extra.messages }] } : {}),
  });
}

function originalOf(interaction: EmuInteraction) {
  return interaction.originalMessageId
    ? bot.discord.state.messages.get(interaction.originalMessageId)
    : undefined;
}

/** The private answer once it is finished (no "thinking" flag, no Stop button). */
function finishedAnswer(interaction: EmuInteraction, check: (text: string) => boolean = () => true) {
  return bot.discord.waitFor('a finished private answer', () => {
    const message = originalOf(interaction);
    return message && !(message.flags & 128) && !hasButton(message, 'Stop') && check(message.content)
      ? message
      : undefined;
  });
}

/** The prompt the upstream emulator received for the summary. */
const sentPrompt = (): string => bot.te.emulator.requests[0]!.body.messages.at(-1).content as string;

/** (id, author, text) of each message block in the prompt, in order. */
function blocksOf(prompt: string): Array<[string, string, string]> {
  return [...prompt.matchAll(/<message id="(m\d+)" author="([^"]*)">\n([\s\S]*?)\n<\/message>/g)].map((m) => [
    m[1]!,
    m[2]!,
    m[3]!,
  ]);
}

/** History reads the bot made on a channel: the query of each GET …/messages. */
const historyReads = (channelId: string) =>
  bot.discord.log
    .filter((call) => call.method === 'GET' && call.path === `/channels/${channelId}/messages`)
    .map((call) => new URLSearchParams(call.query));

describe('/summarize', () => {
  it('sends the messages oldest to newest with short ids and display names, and links the citations', async () => {
    const channelId = freshChannel('catch-up');
    const first = bot.discord.sendMessage({ channelId, author: ALICE, content: 'Can we ship on Friday?' });
    bot.discord.sendMessage({ channelId, author: ALICE, content: '', type: 7 }); // "Alice joined"
    bot.discord.seedBotMessage(channelId, '⏳ Thinking…');
    const second = bot.discord.sendMessage({
      channelId,
      author: BOB,
      content: 'Yes, the fix is in.',
      attachments: [{ filename: 'proof.png', contentType: 'image/png', bytes: Buffer.from('not fetched') }],
    });
    bot.te.emulator.enqueue({ content: ['- Shipping Friday [m', '1][m2]\n', '- Made up [m', '42]\n'] });
    const command = summarize(channelId);
    const answer = await finishedAnswer(command, (text) => text.includes('Made up'));

    expect(blocksOf(sentPrompt())).toEqual([
      ['m1', 'Alice', 'Can we ship on Friday?'],
      ['m2', 'Bob the Builder', 'Yes, the fix is in.\n(attached: proof.png)'],
    ]);
    // Images in the history are named, never downloaded.
    expect(bot.discord.log.some((call) => call.path.includes('proof.png'))).toBe(false);
    expect(answer.content.trimEnd()).toBe(
      `- Shipping Friday [1](${jumpLink(first)}) [2](${jumpLink(second)})\n- Made up`,
    );
    expect(answer.content).not.toMatch(/\[m\d+|\[m?42\]/);
    expect(command.callbacks[0]).toMatchObject({ type: 5, data: { flags: 64 } });
    expect(answer.flags & 64).toBe(64);
    expect(historyReads(channelId).map((q) => q.get('limit'))).toEqual(['50']);
  });

  it('counts each summary in gcb_summaries_total{platform="discord"}', async () => {
    const count = async () =>
      Number(/gcb_summaries_total\{platform="discord"\} (\d+)/.exec((await metrics.render()).text)?.[1] ?? 0);
    const before = await count();
    const channelId = freshChannel('counted');
    bot.discord.sendMessage({ channelId, author: ALICE, content: 'Counted?' });
    bot.te.emulator.enqueue({ content: ['- A question [m1]'] });
    await finishedAnswer(summarize(channelId), (text) => text.includes('A question'));
    expect(await count()).toBe(before + 1);
  });

  it('reads 200 messages in two pages and keeps the newest that fit SUMMARY_MAX_CHARS', async () => {
    const channelId = freshChannel('busy');
    const sent = Array.from({ length: 150 }, (_, i) =>
      bot.discord.sendMessage({ channelId, author: i % 2 ? BOB : ALICE, content: `note ${i}` }),
    );
    bot.te.emulator.enqueue({ content: ['- Lots of notes [m1]'] });
    const command = summarize(channelId, { messages: 200 });
    await finishedAnswer(command, (text) => text.includes('Lots of notes'));

    const reads = historyReads(channelId);
    expect(reads.map((q) => q.get('limit'))).toEqual(['100', '100']);
    expect(reads[0]!.get('before')).toBeNull();
    expect(reads[1]!.get('before')).toBe(sent[50]!.id);
    const blocks = blocksOf(sentPrompt());
    expect(blocks.length).toBeGreaterThan(10);
    expect(blocks.length).toBeLessThan(150);
    // The newest are kept, oldest first: the last block is the last message, and they run in order.
    expect(blocks.at(-1)?.[2]).toBe('note 149');
    expect(blocks[0]![2]).toBe(`note ${150 - blocks.length}`);
    const messagesPart = sentPrompt().slice(sentPrompt().indexOf('<messages>'));
    expect(messagesPart.length).toBeLessThanOrEqual(BUDGET + 100);
  });

  it('says there is nothing to summarize in an empty channel, without asking the model', async () => {
    const channelId = freshChannel('quiet');
    bot.discord.seedBotMessage(channelId, '⏳ Thinking…');
    const command = summarize(channelId);
    await bot.discord.waitFor('the answer', () => originalOf(command)?.content === NOTHING_TO_SUMMARIZE);
    expect(bot.te.emulator.requests).toHaveLength(0);
  });

  it('Share posts the summary, links and all, for everyone', async () => {
    const channelId = freshChannel('share');
    const message = bot.discord.sendMessage({ channelId, author: BOB, content: 'Lunch at noon' });
    bot.te.emulator.enqueue({ content: ['- Lunch is at noon [m1]'] });
    const command = summarize(channelId);
    const answer = await finishedAnswer(command, (text) => text.includes('Lunch'));
    expect(hasButton(answer, 'Share')).toBe(true);
    const share = bot.discord.interaction({
      kind: 'button',
      customId: (answer.components as Array<{ components: Array<{ custom_id: string }> }>)[0]!.components[0]!
        .custom_id,
      messageId: answer.id,
      channelId,
    });
    await bot.discord.waitFor('the shared summary', () => share.followUpIds.length > 0);
    const shared = bot.discord.state.messages.get(share.followUpIds[0]!)!;
    expect(shared.content).toBe(`- Lunch is at noon [1](${jumpLink(message)})`);
    expect(shared.flags & 64).toBe(0);
    // The summary's own conversation keeps a note of the request, not a copy of the channel.
    const saved = await bot.te.store.history.load(
      keyForRootMessage(bot.discord.guildId, channelId, command.id),
    );
    expect(saved.map((turn) => turn.role)).toEqual(['user', 'assistant']);
    expect(saved[0]!.text).toBe('(summary of 1 message of this channel)');
    expect(JSON.stringify(saved)).not.toContain('Lunch at noon');
  });

  it('refuses a blocked user privately, reading nothing and asking no model', async () => {
    const channelId = freshChannel('blocked');
    bot.discord.sendMessage({ channelId, author: BOB, content: 'secret plans' });
    const command = summarize(channelId, { user: BLOCKED });
    await bot.discord.waitFor('the refusal', () => command.callbacks.length > 0);
    expect(command.callbacks[0]).toMatchObject({ type: 4, data: { flags: 64 } });
    expect(historyReads(channelId)).toHaveLength(0);
    expect(bot.te.emulator.requests).toHaveLength(0);
  });

  it('says it cannot read the history where the bot lacks the permission (50001)', async () => {
    const channelId = freshChannel('hidden');
    bot.discord.sendMessage({ channelId, author: BOB, content: 'hidden' });
    bot.discord.hideFromBot(channelId);
    const command = summarize(channelId);
    await bot.discord.waitFor('the answer', () => originalOf(command)?.content === CANNOT_READ_HISTORY);
    expect(bot.te.emulator.requests).toHaveLength(0);
  });

  it('where only the user installed the app, says it needs the bot in the server', async () => {
    const elsewhere = bot.discord.foreignChannel();
    const command = bot.discord.interaction({
      kind: 'command',
      name: 'summarize',
      channelId: elsewhere,
      installation: 'user',
    });
    await bot.discord.waitFor('the answer', () => command.callbacks.length > 0);
    expect(command.callbacks[0]).toMatchObject({
      type: 4,
      data: { flags: 64, content: NEEDS_BOT_IN_SERVER },
    });
    expect(historyReads(elsewhere)).toHaveLength(0);
  });
});

describe('logs', () => {
  it('logs how many messages a summary read, never their text or authors', async () => {
    const channelId = freshChannel('logged');
    bot.discord.sendMessage({ channelId, author: BOB, content: 'the launch code is swordfish' });
    bot.te.emulator.enqueue({ content: ['- A code was shared [m1]'] });
    logLines.length = 0;
    await finishedAnswer(summarize(channelId), (text) => text.includes('code was shared'));
    const requested = logLines
      .map((line) => JSON.parse(line))
      .find((entry) => entry.msg === 'summary requested');
    expect(requested).toMatchObject({ read: 1, included: 1, leftOut: 0 });
    const all = logLines.join('\n');
    expect(all).not.toContain('swordfish');
    expect(all).not.toContain('Bob the Builder');
    expect(all).not.toContain('code was shared');
  });

  it('summarizes a thread from inside it: its messages, not its parent channel', async () => {
    const parent = freshChannel('parent');
    bot.discord.sendMessage({ channelId: parent, author: ALICE, content: 'parent chatter' });
    const thread = bot.discord.state.addChannel({
      type: 11,
      name: 'side topic',
      guild_id: bot.discord.guildId,
      parent_id: parent,
      owner_id: ALICE.id,
    }).id;
    bot.discord.sendMessage({ channelId: thread, author: BOB, content: 'thread detail' });
    bot.te.emulator.enqueue({ content: ['- A detail [m1]'] });
    await finishedAnswer(summarize(thread), (text) => text.includes('A detail'));
    expect(blocksOf(sentPrompt()).map(([, , text]) => text)).toEqual(['thread detail']);
    expect(historyReads(parent)).toHaveLength(0);
  });
});

describe('the per-user rate limit', () => {
  it('refuses a summary past the limit before reading any history, every time with a sentence', async () => {
    const limited = await startDiscordBot({ env: { RATE_LIMIT_PER_MINUTE: '1' } });
    try {
      const { discord } = limited;
      const channelId = discord.state.addChannel({
        type: 0,
        name: 'rl',
        guild_id: discord.guildId,
        parent_id: null,
      }).id;
      discord.sendMessage({ channelId, author: BOB, content: 'something to sum up' });
      limited.te.emulator.enqueue({ content: ['- Something [m1]'] });
      const reads = () =>
        discord.log.filter((c) => c.method === 'GET' && c.path === `/channels/${channelId}/messages`);
      const first = discord.interaction({ kind: 'command', name: 'summarize', channelId });
      await discord.waitFor('the summary', () => first.originalMessageId && reads().length === 1);
      const later = [1, 2].map(() => discord.interaction({ kind: 'command', name: 'summarize', channelId }));
      for (const command of later) {
        await discord.waitFor('the refusal', () => {
          const shown = command.originalMessageId && discord.state.messages.get(command.originalMessageId);
          return shown && /faster than 1 per minute|wait/i.test(shown.content);
        });
      }
      // An interaction always gets its answer; history was read for the first summary only.
      expect(reads()).toHaveLength(1);
      expect(limited.te.emulator.requests).toHaveLength(1);
    } finally {
      await limited.close();
    }
  });
});

describe('Summarize message command', () => {
  it('summarizes the conversation up to that message, not after it', async () => {
    const channelId = freshChannel('thread-ish');
    const earlier = bot.discord.sendMessage({ channelId, author: ALICE, content: 'Who takes the on-call?' });
    const target = bot.discord.sendMessage({ channelId, author: BOB, content: 'I will this week' });
    bot.discord.sendMessage({ channelId, author: ALICE, content: 'Later chatter' });
    bot.te.emulator.enqueue({ content: ['- Bob is on call [m2]'] });
    const command = bot.discord.interaction({
      kind: 'message-command',
      name: MESSAGE_COMMAND.summarize,
      targetMessageId: target.id,
      channelId,
    });
    const answer = await finishedAnswer(command, (text) => text.includes('on call'));
    expect(blocksOf(sentPrompt()).map(([, author, text]) => [author, text])).toEqual([
      ['Alice', 'Who takes the on-call?'],
      ['Bob the Builder', 'I will this week'],
    ]);
    expect(historyReads(channelId).map((q) => q.get('before'))).toEqual([target.id]);
    expect(answer.content).toBe(`- Bob is on call [2](${jumpLink(target)})`);
    expect(answer.flags & 64).toBe(64);
    expect(earlier.id).not.toBe(target.id);
  });

  it('refuses a blocked user without reading the channel', async () => {
    const channelId = freshChannel('blocked-menu');
    const target = bot.discord.sendMessage({ channelId, author: BOB, content: 'hi' });
    const command = bot.discord.interaction({
      kind: 'message-command',
      name: MESSAGE_COMMAND.summarize,
      targetMessageId: target.id,
      channelId,
      user: BLOCKED,
    });
    await bot.discord.waitFor('the refusal', () => command.callbacks.length > 0);
    expect(command.callbacks[0]).toMatchObject({ type: 4, data: { flags: 64 } });
    expect(historyReads(channelId)).toHaveLength(0);
    expect(bot.te.emulator.requests).toHaveLength(0);
  });

  it('where only the user installed the app, summarizes only the message Discord handed over', async () => {
    const elsewhere = bot.discord.foreignChannel();
    bot.discord.state.buildMessage({ channel_id: elsewhere, author: ALICE, content: 'not to be read' });
    const target = bot.discord.state.buildMessage({
      channel_id: elsewhere,
      author: BOB,
      content: 'Deploy is frozen until Monday',
    });
    bot.te.emulator.enqueue({ content: ['- Deploys frozen [m1]'] });
    const command = bot.discord.interaction({
      kind: 'message-command',
      name: MESSAGE_COMMAND.summarize,
      targetMessageId: target.id,
      channelId: elsewhere,
      installation: 'user',
    });
    const answer = await finishedAnswer(command, (text) => text.includes('frozen'));
    expect(blocksOf(sentPrompt()).map(([, , text]) => text)).toEqual(['Deploy is frozen until Monday']);
    expect(historyReads(elsewhere)).toHaveLength(0);
    expect(answer.content).toBe(`- Deploys frozen [1](${jumpLink(target)})`);
  });
});
