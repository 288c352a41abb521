/**
 * Access on every Discord surface, through the real discord.js client: the Regenerate button (the
 * asker or Manage Messages), /model (Manage Channels, as /system), DMs judged by the roles held in
 * shared guilds, DMs and ALLOW_CHANNELS, and the install scope (ALLOW_GUILDS).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import {
  DEFAULT_USER,
  type EmuMessage,
  type EmuUser,
  MANAGE_CHANNELS,
  MANAGE_MESSAGES,
  MEMBER_PERMISSIONS,
} from '../../emulators/discord/server.js';
import { type DiscordBot, hasButton, replyFinished, startDiscordBot } from './support.js';

const OTHER: EmuUser = { id: '100000000000000002', username: 'bob', global_name: 'Bob' };
const BLOCKED: EmuUser = { id: '100000000000000003', username: 'mallory', global_name: 'Mallory' };

let bot: DiscordBot;

beforeAll(async () => {
  bot = await startDiscordBot({ env: (discord) => ({ BLOCK_ROLES: discord.roles.restricted }) });
  bot.discord.addMember(DEFAULT_USER, [bot.discord.roles.member]);
  bot.discord.addMember(BLOCKED, [bot.discord.roles.restricted]);
});
afterAll(async () => {
  await bot?.close();
});
beforeEach(() => bot.te.emulator.reset());

const mention = () => `<@${bot.discord.botUser.id}>`;

function regenerateId(message: EmuMessage): string {
  for (const row of message.components as Array<{
    components: Array<{ label: string; custom_id: string }>;
  }>) {
    const button = row.components.find((c) => c.label === 'Regenerate');
    if (button) return button.custom_id;
  }
  throw new Error('no Regenerate button');
}

/** The text of an interaction's first callback (a reply). */
function callbackText(interaction: { callbacks: Array<{ type: number; data?: unknown }> }): string {
  return (interaction.callbacks[0]?.data as { content?: string } | undefined)?.content ?? '';
}

describe('the Regenerate button', () => {
  it('refuses another member ephemerally and lets a member with Manage Messages regenerate', async () => {
    const { discord } = bot;
    const prompt = discord.sendMessage({ channelId: discord.channels.general, content: `${mention()} hi` });
    const thread = await discord.waitFor('thread', () => discord.threadOf(prompt.id));
    const [reply] = await replyFinished(discord, thread.id);
    bot.te.emulator.reset();

    const refused = discord.interaction({
      kind: 'button',
      customId: regenerateId(reply!),
      messageId: reply!.id,
      channelId: thread.id,
      user: OTHER,
    });
    await discord.waitFor('refusal', () => refused.callbacks.length > 0);
    expect(refused.callbacks[0]).toMatchObject({ type: 4, data: { flags: 64 } });
    expect(callbackText(refused)).toContain('Only the person who asked');
    expect(hasButton(discord.state.messages.get(reply!.id)!, 'Regenerate')).toBe(true);

    const allowed = discord.interaction({
      kind: 'button',
      customId: regenerateId(reply!),
      messageId: reply!.id,
      channelId: thread.id,
      user: OTHER,
      permissions: MEMBER_PERMISSIONS | MANAGE_MESSAGES,
    });
    await discord.waitFor('a new answer', () =>
      discord.botMessagesIn(thread.id).find((m) => m.id !== reply!.id && hasButton(m, 'Regenerate')),
    );
    expect(allowed.callbacks[0]).toMatchObject({ type: 7 });
    expect(bot.te.emulator.requests).toHaveLength(1);
  });
});

describe('/stop', () => {
  it('refuses another member’s /stop and lets the asker stop', async () => {
    const { discord } = bot;
    bot.te.emulator.enqueue({
      content: Array.from({ length: 60 }, (_, i) => `slow${i} `),
      chunkDelayMs: 100,
    });
    const prompt = discord.sendMessage({ channelId: discord.channels.general, content: `${mention()} long` });
    const thread = await discord.waitFor('thread', () => discord.threadOf(prompt.id));
    await discord.waitFor('streaming', () => discord.botMessagesIn(thread.id)[0]?.content.includes('slow1'));
    const key = {
      platform: 'discord' as const,
      workspace: discord.guildId,
      channel: discord.channels.general,
      thread: thread.id,
    };
    const refused = discord.interaction({ kind: 'command', name: 'stop', channelId: thread.id, user: OTHER });
    await discord.waitFor('refusal', () => refused.callbacks.length > 0);
    expect(callbackText(refused)).toContain('Only the person who asked');
    expect(bot.te.engine.isStreaming(key)).toBe(true);
    const stop = discord.interaction({ kind: 'command', name: 'stop', channelId: thread.id });
    await discord.waitFor('stopped', () => stop.callbacks.length > 0);
    expect(callbackText(stop)).toBe('Stopped.');
  });
});

describe('/model', () => {
  it('refuses a member without Manage Channels and applies it for one with it', async () => {
    const { discord } = bot;
    const options = [{ name: 'name', type: 3, value: bot.te.config.models.allowed[1]! }];
    const refused = discord.interaction({
      kind: 'command',
      name: 'model',
      channelId: discord.channels.random,
      options,
      user: OTHER,
    });
    await discord.waitFor('refusal', () => refused.callbacks.length > 0);
    expect(callbackText(refused)).toContain('Manage Channels');
    const scope = {
      platform: 'discord' as const,
      workspace: discord.guildId,
      channel: discord.channels.random,
    };
    expect((await bot.te.engine.settings(scope)).model).toBe(bot.te.config.models.default);

    const applied = discord.interaction({
      kind: 'command',
      name: 'model',
      channelId: discord.channels.random,
      options,
      user: OTHER,
      permissions: MEMBER_PERMISSIONS | MANAGE_CHANNELS,
    });
    await discord.waitFor('model set', () => applied.callbacks.length > 0);
    await expect
      .poll(async () => (await bot.te.engine.settings(scope)).model)
      .toBe(bot.te.config.models.allowed[1]);
  });
});

describe('DMs and role lists', () => {
  it('refuses a DM from a user holding a blocked role in a shared guild, and answers one who does not', async () => {
    const { discord } = bot;
    const blockedDm = discord.dmChannel(BLOCKED);
    discord.sendMessage({ channelId: blockedDm, author: BLOCKED, content: 'hello from a DM' });
    const refusal = await discord.waitFor('refusal', () => discord.botMessagesIn(blockedDm)[0]);
    expect(refusal.content).toContain('not allowed');

    const dm = discord.dmChannel(DEFAULT_USER);
    discord.sendMessage({ channelId: dm, author: DEFAULT_USER, content: 'hello' });
    await replyFinished(discord, dm);
    expect(bot.te.emulator.requests).toHaveLength(1);
    expect(discord.log.some((call) => call.path.endsWith(`/members/${BLOCKED.id}`))).toBe(true);
  });
});

describe('DMs and ALLOW_CHANNELS', () => {
  it('does not let DMs through when ALLOW_CHANNELS is set and ALLOW_DMS is not', async () => {
    const narrowed = await startDiscordBot({
      env: (discord) => ({ ALLOW_CHANNELS: discord.channels.general }),
    });
    try {
      const { discord } = narrowed;
      const dm = discord.dmChannel(DEFAULT_USER);
      discord.sendMessage({ channelId: dm, content: 'hello' });
      const refusal = await discord.waitFor('refusal', () => discord.botMessagesIn(dm)[0]);
      expect(refusal.content).toContain('does not answer direct messages');
      expect(narrowed.te.emulator.requests).toHaveLength(0);
    } finally {
      await narrowed.close();
    }
  });
});

describe('install scope (ALLOW_GUILDS)', () => {
  it('answers nothing in a guild that is not listed, asks the model nothing and logs once', async () => {
    const lines: string[] = [];
    const elsewhere = await startDiscordBot({
      env: { ALLOW_GUILDS: '1' },
      logger: createLogger('info', { write: (line: string) => void lines.push(line) }),
    });
    try {
      const { discord } = elsewhere;
      for (let i = 0; i < 3; i += 1) {
        discord.sendMessage({
          channelId: discord.channels.general,
          content: `<@${discord.botUser.id}> hi ${i}`,
        });
      }
      const ask = discord.interaction({
        kind: 'command',
        name: 'ask',
        channelId: discord.channels.general,
        options: [{ name: 'prompt', type: 3, value: 'hi' }],
      });
      // A DM from a member of no served guild is refused in words; once it is, everything sent
      // before it has been handled.
      const dm = discord.dmChannel(DEFAULT_USER);
      discord.addMember(DEFAULT_USER);
      discord.sendMessage({ channelId: dm, content: 'hello' });
      const refusal = await discord.waitFor('the DM handled', () => discord.botMessagesIn(dm)[0]);
      expect(refusal.content).toContain('only answers members');
      expect(discord.botMessagesIn(discord.channels.general)).toHaveLength(0);
      expect(ask.callbacks).toHaveLength(0);
      expect(elsewhere.te.emulator.requests).toHaveLength(0);
      const scopeLines = lines.filter((line) => line.includes('outside the install scope'));
      expect(scopeLines).toHaveLength(1);
      expect(scopeLines[0]).toContain(discord.guildId);
    } finally {
      await elsewhere.close();
    }
  });
});

describe('the per-user rate limit', () => {
  it('answers 5 messages past the limit with one refusal, then with a ⏳ reaction only', async () => {
    const limited = await startDiscordBot({ env: { RATE_LIMIT_PER_MINUTE: '1' } });
    try {
      const { discord } = limited;
      const dm = discord.dmChannel(DEFAULT_USER);
      discord.sendMessage({ channelId: dm, content: 'first' });
      await replyFinished(discord, dm);
      const extra = Array.from({ length: 5 }, (_, i) =>
        discord.sendMessage({ channelId: dm, content: `more ${i}` }),
      );
      await discord.waitFor(
        'every extra message handled',
        () =>
          extra.slice(1).every((m) => discord.state.messages.get(m.id)?.reactions?.['⏳']) &&
          discord.botMessagesIn(dm).length >= 2,
      );
      const refusals = discord
        .botMessagesIn(dm)
        .filter((m) => m.content.includes('faster than 1 per minute'));
      expect(refusals).toHaveLength(1);
      expect(discord.botMessagesIn(dm)).toHaveLength(2);
      expect(discord.state.messages.get(extra[0]!.id)?.reactions).toBeUndefined();
      expect(limited.te.emulator.requests).toHaveLength(1);
    } finally {
      await limited.close();
    }
  });

  it('opens no thread for mentions past the limit: one inline refusal, then reactions', async () => {
    const limited = await startDiscordBot({ env: { RATE_LIMIT_PER_MINUTE: '1' } });
    try {
      const { discord } = limited;
      const channel = discord.channels.general;
      const at = `<@${discord.botUser.id}>`;
      const first = discord.sendMessage({ channelId: channel, content: `${at} first` });
      const thread = await discord.waitFor('thread', () => discord.threadOf(first.id));
      await replyFinished(discord, thread.id);
      const extra = Array.from({ length: 5 }, (_, i) =>
        discord.sendMessage({ channelId: channel, content: `${at} more ${i}` }),
      );
      await discord.waitFor(
        'every extra mention handled',
        () =>
          extra.slice(1).every((m) => discord.state.messages.get(m.id)?.reactions?.['⏳']) &&
          discord.botMessagesIn(channel).length >= 1,
      );
      expect(extra.filter((m) => discord.threadOf(m.id))).toHaveLength(0);
      const inChannel = discord.botMessagesIn(channel);
      expect(inChannel).toHaveLength(1);
      expect(inChannel[0]!.content).toContain('faster than 1 per minute');
      expect(limited.te.emulator.requests).toHaveLength(1);
    } finally {
      await limited.close();
    }
  });
});
