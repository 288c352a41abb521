/**
 * 👍/👎 and Regenerate on another model on Discord, through the real discord.js client against the
 * emulator: a finished answer carries the rating buttons and a select menu of the allowed models; a
 * click is acknowledged at once (ephemeral), kept once per user and answer (a second click changes
 * it) and refused to a blocked member like every other button; choosing a model answers again with
 * it, and history then holds only the new answer.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_USER, type EmuMessage, type EmuUser } from '../../emulators/discord/server.js';
import { type DiscordBot, hasButton, replyFinished, startDiscordBot } from './support.js';

const OTHER: EmuUser = { id: '100000000000000002', username: 'bob', global_name: 'Bob' };
const BLOCKED: EmuUser = { id: '100000000000000003', username: 'mallory', global_name: 'Mallory' };

let bot: DiscordBot;

beforeAll(async () => {
  bot = await startDiscordBot({ env: { BLOCK_USERS: BLOCKED.id } });
});
afterAll(async () => {
  await bot?.close();
});
beforeEach(() => bot.te.emulator.reset());

const mention = () => `<@${bot.discord.botUser.id}>`;

interface Component {
  type: number;
  label?: string;
  custom_id: string;
  emoji?: { name?: string };
  options?: Array<{ label: string; value: string }>;
}

function componentsOf(message: EmuMessage): Component[] {
  return (message.components as Array<{ components: Component[] }>).flatMap((row) => row.components);
}

function customIdOf(message: EmuMessage, match: (c: Component) => boolean): string {
  const found = componentsOf(message).find(match);
  if (!found) throw new Error(`no such component on ${message.id}`);
  return found.custom_id;
}

const thumbsUp = (c: Component) => c.emoji?.name === '👍';
const thumbsDown = (c: Component) => c.emoji?.name === '👎';
const modelMenu = (c: Component) => c.type === 3;

/** Asks in a new thread and returns the thread id and the finished answer's last message. */
async function answered(prompt: string): Promise<{ thread: string; answer: EmuMessage }> {
  const { discord } = bot;
  const message = discord.sendMessage({
    channelId: discord.channels.general,
    content: `${mention()} ${prompt}`,
  });
  const thread = (await discord.waitFor('thread', () => discord.threadOf(message.id))).id;
  const [answer] = await replyFinished(discord, thread);
  return { thread, answer: answer! };
}

/** The text the user finally sees for an interaction (the callback or its deferred response). */
function responseText(interaction: {
  callbacks: Array<{ data?: unknown }>;
  originalMessageId?: string;
}): string {
  const original =
    interaction.originalMessageId && bot.discord.state.messages.get(interaction.originalMessageId);
  return original
    ? original.content
    : ((interaction.callbacks[0]?.data as { content?: string })?.content ?? '');
}

async function ratingsOf(messageId: string) {
  return (await bot.te.store.feedback.list()).filter((r) => r.messageId === messageId);
}

describe('👍 / 👎 on Discord', () => {
  it('a finished answer carries 👍, 👎, Regenerate and a menu of the allowed models', async () => {
    const { answer } = await answered('hello');
    const components = componentsOf(answer);
    expect(components.some(thumbsUp)).toBe(true);
    expect(components.some(thumbsDown)).toBe(true);
    expect(hasButton(answer, 'Regenerate')).toBe(true);
    const menu = components.find(modelMenu)!;
    expect(menu.options!.map((o) => o.value)).toEqual(bot.te.config.models.allowed);
  });

  it('acknowledges a click at once, keeps one rating per user and answer, and a second click changes it', async () => {
    const { discord } = bot;
    const { answer } = await answered('what is 2+2?');
    const press = (user: EmuUser, match: (c: Component) => boolean) =>
      discord.interaction({
        kind: 'button',
        customId: customIdOf(answer, match),
        messageId: answer.id,
        channelId: answer.channel_id,
        user,
      });

    const first = press(DEFAULT_USER, thumbsUp);
    await discord.waitFor('thanks', () => responseText(first).includes('Thanks'));
    // Deferred as an ephemeral response: acknowledged before the store is touched.
    expect(first.callbacks[0]).toMatchObject({ type: 5 });
    expect(first.ephemeral).toBe(true);
    expect((await ratingsOf(answer.id)).map((r) => r.rating)).toEqual(['positive']);

    const second = press(DEFAULT_USER, thumbsDown);
    await discord.waitFor('changed', () => responseText(second).includes('👎'));
    const third = press(OTHER, thumbsUp);
    await discord.waitFor('thanks', () => responseText(third).includes('Thanks'));

    const kept = await ratingsOf(answer.id);
    expect(kept.map((r) => `${r.userId}:${r.rating}`).sort()).toEqual(
      [`${DEFAULT_USER.id}:negative`, `${OTHER.id}:positive`].sort(),
    );
    const mine = kept.find((r) => r.userId === DEFAULT_USER.id)!;
    expect(mine).toMatchObject({
      platform: 'discord',
      prompt: 'what is 2+2?',
      model: bot.te.config.models.default,
    });
    expect(mine.answer).toContain('what is 2+2?');
    expect(mine.traceId).toBe(bot.te.emulator.requests[0]!.traceId);
    // The buttons stay on the answer for everyone else.
    expect(componentsOf(discord.state.messages.get(answer.id)!).some(thumbsUp)).toBe(true);
  });

  it('refuses a blocked member like every other button, and stores nothing', async () => {
    const { discord } = bot;
    const { answer } = await answered('hi there');
    const press = discord.interaction({
      kind: 'button',
      customId: customIdOf(answer, thumbsDown),
      messageId: answer.id,
      channelId: answer.channel_id,
      user: BLOCKED,
    });
    await discord.waitFor('refusal', () => press.callbacks.length > 0);
    expect(press.ephemeral).toBe(true);
    expect(responseText(press)).not.toContain('Thanks');
    expect(await ratingsOf(answer.id)).toEqual([]);
  });
});

describe('Regenerate on another model', () => {
  it('answers again with the chosen model; history holds only the new answer', async () => {
    const { discord, te } = bot;
    const other = te.config.models.allowed.find((m) => m !== te.config.models.default)!;
    te.emulator.enqueue({ content: ['first answer'] }, { content: ['second answer'] });
    const { thread, answer } = await answered('pick a number');
    const choice = discord.interaction({
      kind: 'select',
      customId: customIdOf(answer, modelMenu),
      messageId: answer.id,
      channelId: thread,
      values: [other],
    });
    await discord.waitFor('second answer', () =>
      discord.botMessagesIn(thread).find((m) => m.content === 'second answer' && hasButton(m, 'Regenerate')),
    );
    expect(choice.callbacks[0]?.type).toBe(7);
    expect(discord.state.messages.get(answer.id)!.components).toEqual([]);
    expect(te.emulator.requests[1]!.body.model).toBe(other);
    expect(te.emulator.requests[1]!.body.messages.at(-1).content).toBe('pick a number');
    const key = await te.store.history.findByMessage('discord', answer.id);
    // The reply shows done a moment before the turn is saved.
    await vi.waitFor(async () => {
      const history = await te.store.history.load(key!);
      expect(history.map((t) => [t.role, t.text, t.model ?? ''])).toEqual([
        ['user', 'pick a number', ''],
        ['assistant', 'second answer', other],
      ]);
    });
  });

  it('refuses a model that is not allowed, without asking the upstream', async () => {
    const { discord, te } = bot;
    const { thread, answer } = await answered('pick a colour');
    const requests = te.emulator.requests.length;
    const choice = discord.interaction({
      kind: 'select',
      customId: customIdOf(answer, modelMenu),
      messageId: answer.id,
      channelId: thread,
      values: ['gpt-unknown'],
    });
    await discord.waitFor('refusal', () => choice.callbacks.length > 0);
    expect(choice.ephemeral).toBe(true);
    expect(responseText(choice)).toContain('is not available');
    expect(te.emulator.requests.length).toBe(requests);
    expect(hasButton(discord.state.messages.get(answer.id)!, 'Regenerate')).toBe(true);
  });
});

describe("the emulator's component checks", () => {
  it('refuses a select menu sharing its row or with more than 25 options, and passes what the bot sends', async () => {
    const { validateMessageBody } = await import('../../emulators/discord/limits.js');
    const { answerComponents } = await import('../../../src/platforms/discord/format.js');
    const key = { platform: 'discord' as const, workspace: '1', channel: '2', thread: '3' };
    const ok = { content: 'a', components: answerComponents('done', key, bot.te.config.models.allowed) };
    expect(validateMessageBody(ok, { requireSomething: true })).toBeUndefined();
    const options = (n: number) => Array.from({ length: n }, (_, i) => ({ label: `m${i}`, value: `m${i}` }));
    const select = (n: number) => ({ type: 3, custom_id: 's', options: options(n) });
    const button = { type: 2, style: 2, custom_id: 'b', label: 'b' };
    for (const components of [[select(2), button], [select(26)]]) {
      const invalid = validateMessageBody(
        { content: 'a', components: [{ type: 1, components }] },
        { requireSomething: true },
      );
      expect(invalid).toMatchObject({ code: 50035 });
    }
  });
});
