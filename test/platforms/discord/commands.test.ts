/**
 * Slash commands through the real discord.js client: each acknowledges with a deferred response
 * (or an ephemeral explanation) and edits its original response; /ask streams, /chat opens a thread.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deployDiscordCommands } from '../../../commands/deploy.js';
import { discordCommands } from '../../../commands/discord-commands.js';
import { HANDLED_COMMANDS } from '../../../src/platforms/discord/commands.js';
import { buttonId } from '../../../src/platforms/discord/format.js';
import { privateKeyFor } from '../../../src/platforms/discord/normalize.js';
import { DEFAULT_USER, MANAGE_CHANNELS, MEMBER_PERMISSIONS } from '../../emulators/discord/server.js';
import { type DiscordBot, hasButton, replyFinished, startDiscordBot } from './support.js';

let bot: DiscordBot;

beforeAll(async () => {
  bot = await startDiscordBot();
});
afterAll(async () => {
  await bot?.close();
});
beforeEach(() => bot.te.emulator.reset());

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const MP4 = Buffer.concat([Buffer.from('000000186674797069736f6d', 'hex'), Buffer.alloc(64, 1)]);

/** The text of the ephemeral or edited original response of an interaction. */
function originalOf(id: string) {
  const interaction = bot.discord.state.interactions.get(id)!;
  return interaction.originalMessageId
    ? bot.discord.state.messages.get(interaction.originalMessageId)
    : undefined;
}

async function command(
  name: string,
  options: Array<{ name: string; type: number; value: string | number | boolean }> = [],
  extra: Record<string, unknown> = {},
) {
  const interaction = bot.discord.interaction({
    kind: 'command',
    name,
    channelId: bot.discord.channels.general,
    options,
    ...extra,
  });
  await bot.discord.waitFor(`${name} acknowledged`, () => interaction.callbacks.length > 0);
  return interaction;
}

/** Waits for the original response to settle on a text matching `check`. */
function responseText(id: string, check: (text: string) => boolean) {
  return bot.discord.waitFor('response text', () => {
    const message = originalOf(id);
    return message && !(message.flags & 128) && check(message.content) ? message : undefined;
  });
}

describe('definitions', () => {
  it('registers every command in one guild and each has a handler', async () => {
    const result = await deployDiscordCommands({
      token: bot.discord.token,
      apiUrl: bot.discord.apiUrl,
      guildId: bot.discord.guildId,
      models: bot.te.config.models.allowed,
    });
    expect(result).toEqual({ scope: 'guild', count: HANDLED_COMMANDS.length });
    const registered = bot.discord.state.commands.get(bot.discord.guildId) as Array<{ name: string }>;
    expect(registered.map((c) => c.name).sort()).toEqual([...HANDLED_COMMANDS].sort());
    const ask = discordCommands(['m1', 'm2']).find((c) => c.name === 'ask')!;
    expect(ask.options?.find((o) => o.name === 'model')).toMatchObject({
      choices: [{ value: 'm1' }, { value: 'm2' }],
    });
  });
});

describe('/ask', () => {
  it('defers, then edits the original response with the streamed answer', async () => {
    bot.te.emulator.enqueue({ content: ['Forty', '-two'], chunkDelayMs: 100 });
    const ask = await command('ask', [{ name: 'prompt', type: 3, value: 'meaning of life?' }]);
    expect(ask.callbacks[0]).toMatchObject({ type: 5 });
    const message = await responseText(ask.id, (t) => t === 'Forty-two');
    expect(message.allowed_mentions).toMatchObject({ parse: [] });
    await bot.discord.waitFor('Regenerate', () => hasButton(originalOf(ask.id)!, 'Regenerate'));
    expect(bot.te.emulator.requests[0]!.body.messages.at(-1).content).toBe('meaning of life?');
  });

  it('answers privately with private:true and uses the chosen model', async () => {
    const model = bot.te.config.models.allowed[1]!;
    const ask = await command('ask', [
      { name: 'prompt', type: 3, value: 'secret' },
      { name: 'private', type: 5, value: true },
      { name: 'model', type: 3, value: model },
    ]);
    expect(ask.callbacks[0]).toMatchObject({ type: 5, data: { flags: 64 } });
    await responseText(ask.id, (t) => t.includes('Echo: secret'));
    expect(bot.te.emulator.requests[0]!.body.model).toBe(model);
  });

  it('explains an empty prompt and a disallowed model ephemerally, without asking the model', async () => {
    const empty = await command('ask', [{ name: 'prompt', type: 3, value: '   ' }]);
    expect(empty.callbacks[0]).toMatchObject({ type: 4, data: { flags: 64 } });
    const bad = await command('ask', [
      { name: 'prompt', type: 3, value: 'hi' },
      { name: 'model', type: 3, value: 'gpt-5' },
    ]);
    expect(bad.callbacks[0]).toMatchObject({ type: 4, data: { flags: 64 } });
    expect((bad.callbacks[0]!.data as { content: string }).content).toContain('not available');
    expect(bot.te.emulator.requests).toHaveLength(0);
  });

  it('sends an attached image and a video to the model as image_url parts', async () => {
    const image = bot.discord.interaction({
      kind: 'command',
      name: 'ask',
      channelId: bot.discord.channels.general,
      options: [{ name: 'prompt', type: 3, value: 'what is this?' }],
      files: { attachment: { filename: 'dot.png', contentType: 'image/png', bytes: PNG } },
    });
    await responseText(image.id, (t) => t.includes('Echo'));
    const video = bot.discord.interaction({
      kind: 'command',
      name: 'ask',
      channelId: bot.discord.channels.general,
      options: [{ name: 'prompt', type: 3, value: 'and this?' }],
      files: { attachment: { filename: 'clip.mp4', contentType: 'video/mp4', bytes: MP4 } },
    });
    await responseText(video.id, (t) => t.includes('Echo'));
    const parts = bot.te.emulator.requests.map(
      (r) => r.body.messages.at(-1).content as Array<{ type: string; image_url?: { url: string } }>,
    );
    expect(parts[0]!.find((p) => p.type === 'image_url')?.image_url?.url).toBe(
      `data:image/png;base64,${PNG.toString('base64')}`,
    );
    expect(parts[1]!.find((p) => p.type === 'image_url')?.image_url?.url).toBe(
      `data:video/mp4;base64,${MP4.toString('base64')}`,
    );
  });

  it('continues in a channel message once the interaction token lapsed', async () => {
    bot.discord.interactionTokenLifetimeMs = 600;
    try {
      bot.te.emulator.enqueue({
        content: Array.from({ length: 20 }, (_, i) => `part${i} `),
        chunkDelayMs: 80,
      });
      const ask = await command('ask', [{ name: 'prompt', type: 3, value: 'long one' }]);
      const fallback = await bot.discord.waitFor('channel message', () =>
        bot.discord
          .botMessagesIn(bot.discord.channels.general)
          .find((m) => !m.interaction_token && m.content.includes('part19') && hasButton(m, 'Regenerate')),
      );
      expect(fallback.allowed_mentions).toMatchObject({ parse: [] });
      expect(originalOf(ask.id)!.content).not.toContain('part19');
    } finally {
      bot.discord.interactionTokenLifetimeMs = 15 * 60 * 1000;
    }
  });
});

describe('/ask private:true', () => {
  const owner = { id: '100000000000000044', username: 'ozzy' };
  const other = { id: '100000000000000055', username: 'bea' };
  const PRIVATE = { name: 'private', type: 5, value: true } as const;
  const ask = (prompt: string, channelId: string, extra: Record<string, unknown> = {}) =>
    command('ask', [{ name: 'prompt', type: 3, value: prompt }, PRIVATE], { channelId, ...extra });
  const placeOf = (channelId: string) => ({ guildId: bot.discord.guildId, channelId, parentId: null });
  /** Every text of every upstream request, as one string to search. */
  const sentUpstream = () => JSON.stringify(bot.te.emulator.requests.map((r) => r.body.messages));
  /** User texts of the last upstream request. */
  const lastUserTexts = () =>
    (bot.te.emulator.requests.at(-1)!.body.messages as Array<{ role: string; content: string }>)
      .filter((m) => m.role === 'user')
      .map((m) => m.content);

  it('lives in its owner’s own conversation, never in the thread’s shared history', async () => {
    const { discord } = bot;
    const opener = discord.sendMessage({
      channelId: discord.channels.general,
      content: `<@${discord.botUser.id}> public question`,
    });
    const thread = await discord.waitFor('thread', () => discord.threadOf(opener.id));
    await replyFinished(discord, thread.id, 1);

    const secret = await ask('my secret plan', thread.id, { user: owner });
    await responseText(secret.id, (t) => t === 'Echo: my secret plan');
    expect(lastUserTexts()).toEqual(['my secret plan']);

    bot.te.emulator.reset();
    discord.sendMessage({ channelId: thread.id, content: 'what was asked here?', author: other });
    await replyFinished(discord, thread.id, 2);
    expect(sentUpstream()).not.toContain('secret plan');
    expect(lastUserTexts()).toEqual(['public question', 'what was asked here?']);

    // Its owner continues the private conversation; it holds nothing of the thread.
    const again = await ask('and the second step?', thread.id, { user: owner });
    await responseText(again.id, (t) => t === 'Echo: and the second step?');
    expect(lastUserTexts()).toEqual(['my secret plan', 'and the second step?']);
  });

  it('is reset by its owner with /reset private:true, leaving the thread and others alone', async () => {
    const { discord } = bot;
    const opener = discord.sendMessage({
      channelId: discord.channels.general,
      content: `<@${discord.botUser.id}> shared start`,
    });
    const thread = await discord.waitFor('thread', () => discord.threadOf(opener.id));
    await replyFinished(discord, thread.id, 1);
    await responseText((await ask('mine one', thread.id)).id, (t) => t.includes('Echo'));
    await responseText((await ask('hers one', thread.id, { user: other })).id, (t) => t.includes('Echo'));
    expect(lastUserTexts()).toEqual(['hers one']);

    const reset = await command('reset', [PRIVATE], { channelId: thread.id });
    await responseText(reset.id, (t) => t.includes('private'));

    await responseText((await ask('mine two', thread.id)).id, (t) => t.includes('Echo'));
    expect(lastUserTexts()).toEqual(['mine two']);
    await responseText((await ask('hers two', thread.id, { user: other })).id, (t) => t.includes('Echo'));
    expect(lastUserTexts()).toEqual(['hers one', 'hers two']);
    discord.sendMessage({ channelId: thread.id, content: 'still shared?' });
    await replyFinished(discord, thread.id, 2);
    expect(lastUserTexts()).toEqual(['shared start', 'still shared?']);
  });

  it('offers no Regenerate button, whose answer would be posted in the channel for all to see', async () => {
    const secret = await ask('quiet please', bot.discord.channels.general);
    const message = await responseText(secret.id, (t) => t === 'Echo: quiet please');
    await bot.discord.waitFor('buttons gone', () => !hasButton(originalOf(secret.id)!, 'Stop'));
    expect(hasButton(message, 'Regenerate')).toBe(false);
    const shown = bot.discord
      .botMessagesIn(bot.discord.channels.general)
      .filter((m) => m.content.includes('quiet please'));
    expect(shown.map((m) => m.flags & 64)).toEqual([64]);

    // A Regenerate id for a private conversation (an old client, a forged press) answers nothing.
    const requests = bot.te.emulator.requests.length;
    const press = bot.discord.interaction({
      kind: 'button',
      channelId: bot.discord.channels.general,
      messageId: message.id,
      customId: buttonId('regen', privateKeyFor(placeOf(bot.discord.channels.general), DEFAULT_USER.id)),
    });
    await bot.discord.waitFor('press answered', () => press.callbacks.length > 0);
    expect(press.callbacks[0]).toMatchObject({ type: 4, data: { flags: 64 } });
    expect(bot.te.emulator.requests).toHaveLength(requests);
  });
});

describe('/chat, /model, /system, /reset, /stop, /usage, /help', () => {
  it('/chat opens a thread from its response and answers there', async () => {
    const chat = await command('chat', [{ name: 'prompt', type: 3, value: 'plan a trip' }]);
    const original = await bot.discord.waitFor(
      'opener',
      () => originalOf(chat.id)?.content.includes('plan a trip') && originalOf(chat.id),
    );
    const thread = await bot.discord.waitFor('thread', () => bot.discord.threadOf(original.id));
    expect(thread.name).toBe('plan a trip');
    const [reply] = await replyFinished(bot.discord, thread.id);
    expect(reply!.content).toContain('Echo: plan a trip');
  });

  it('/model shows, sets (Manage Channels) and refuses models for this channel', async () => {
    const [first, second] = bot.te.config.models.allowed as [string, string];
    const show = await command('model');
    expect((show.callbacks[0]!.data as { content: string }).content).toContain(first);
    const manager = { permissions: MEMBER_PERMISSIONS | MANAGE_CHANNELS };
    const set = await command('model', [{ name: 'name', type: 3, value: second }], manager);
    await responseText(set.id, (t) => t.includes(second));
    const bad = await command('model', [{ name: 'name', type: 3, value: 'nope' }], manager);
    await responseText(bad.id, (t) => t.includes('not available'));
    // The channel's model now answers new conversations there.
    const ask = await command('ask', [{ name: 'prompt', type: 3, value: 'which model?' }]);
    await responseText(ask.id, (t) => t.includes('Echo'));
    expect(bot.te.emulator.requests.at(-1)!.body.model).toBe(second);
    await command('model', [{ name: 'name', type: 3, value: first }], manager);
  });

  it('/system needs Manage Channels to change the instructions, which then reach the model', async () => {
    const refused = await command('system', [{ name: 'prompt', type: 3, value: 'Talk like a pirate.' }], {
      permissions: MEMBER_PERMISSIONS,
    });
    expect((refused.callbacks[0]!.data as { content: string }).content).toContain('Manage Channels');
    const set = await command('system', [{ name: 'prompt', type: 3, value: 'Talk like a pirate.' }], {
      permissions: MEMBER_PERMISSIONS | MANAGE_CHANNELS,
    });
    await responseText(set.id, (t) => t.includes('saved'));
    const ask = await command('ask', [{ name: 'prompt', type: 3, value: 'hello' }]);
    await responseText(ask.id, (t) => t.includes('Echo'));
    expect(bot.te.emulator.requests.at(-1)!.body.messages[0]).toEqual({
      role: 'system',
      content: 'Talk like a pirate.',
    });
    const clear = await command('system', [{ name: 'clear', type: 5, value: true }], {
      permissions: MANAGE_CHANNELS,
    });
    await responseText(clear.id, (t) => t.includes('default'));
  });

  it('/reset forgets the thread, /stop cancels, /usage counts and /help explains', async () => {
    const { discord, te } = bot;
    const prompt = discord.sendMessage({
      channelId: discord.channels.general,
      content: `<@${discord.botUser.id}> remember 7`,
    });
    const thread = await discord.waitFor('thread', () => discord.threadOf(prompt.id));
    await replyFinished(discord, thread.id, 1);

    const usage = discord.interaction({ kind: 'command', name: 'usage', channelId: thread.id });
    await responseText(usage.id, (t) => t.includes('This conversation') && t.includes('1 request'));

    te.emulator.enqueue({ content: Array.from({ length: 50 }, (_, i) => `w${i} `), chunkDelayMs: 100 });
    discord.sendMessage({ channelId: thread.id, content: 'slow please' });
    await discord.waitFor('streaming', () => te.emulator.activeStreams === 1);
    const stop = discord.interaction({ kind: 'command', name: 'stop', channelId: thread.id });
    await discord.waitFor('stop answered', () => stop.callbacks.length > 0 || originalOf(stop.id));
    await replyFinished(discord, thread.id, 2);
    expect(stop.callbacks[0]).toMatchObject({ type: 4, data: { content: 'Stopped.', flags: 64 } });
    const replies = discord.botMessagesIn(thread.id).filter((m) => !m.interaction_token);
    expect(replies.at(-1)!.content).toContain('_Stopped._');

    const reset = discord.interaction({ kind: 'command', name: 'reset', channelId: thread.id });
    await responseText(reset.id, (t) => t.includes('forgot'));
    discord.sendMessage({ channelId: thread.id, content: 'what number?' });
    await replyFinished(discord, thread.id, 3);
    expect(te.emulator.requests.at(-1)!.body.messages.map((m: { role: string }) => m.role)).toEqual([
      'system',
      'user',
    ]);

    const help = await command('help');
    expect((help.callbacks[0]!.data as { content: string; flags: number }).content).toContain('/ask');
  });
});
