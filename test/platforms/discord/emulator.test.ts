/**
 * The loopback Discord against the real discord.js client: login over the real gateway socket,
 * messages in both directions, Discord's limits and rate-limit answers.
 */
import { Client, GatewayIntentBits, type Message, Partials } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DiscordEmulator, pingsOf, startDiscordEmulator } from '../../emulators/discord/server.js';

let emu: DiscordEmulator;
let client: Client;
const received: Message[] = [];

beforeAll(async () => {
  emu = await startDiscordEmulator();
  client = new Client({
    intents: [
      GatewayIntentBits.Guilds,
      GatewayIntentBits.GuildMessages,
      GatewayIntentBits.MessageContent,
      GatewayIntentBits.DirectMessages,
    ],
    partials: [Partials.Channel],
    rest: { api: emu.apiUrl, retries: 0 },
  });
  client.on('messageCreate', (message) => received.push(message));
  const ready = new Promise((resolve) => client.once('clientReady', resolve));
  await client.login(emu.token);
  await ready;
});

afterAll(async () => {
  await client?.destroy();
  await emu?.close();
});

describe('discord emulator with the real discord.js client', () => {
  it('logs in, reports the guild and the intents the bot identified with', () => {
    expect(client.user?.id).toBe(emu.botUser.id);
    expect(client.guilds.cache.get(emu.guildId)?.channels.cache.has(emu.channels.general)).toBe(true);
    expect(emu.gateway.identifies[0]?.intents).toBe((1 << 0) | (1 << 9) | (1 << 15) | (1 << 12));
  });

  it('delivers a user message as MESSAGE_CREATE with content and mentions', async () => {
    const sent = emu.sendMessage({ channelId: emu.channels.general, content: `<@${emu.botUser.id}> hello` });
    const message = await emu.waitFor('messageCreate', () => received.find((m) => m.id === sent.id));
    expect(message.content).toBe(`<@${emu.botUser.id}> hello`);
    expect(message.mentions.users.has(emu.botUser.id)).toBe(true);
    expect(message.guildId).toBe(emu.guildId);
  });

  it('delivers a DM through a partial channel', async () => {
    const sent = emu.sendMessage({ channelId: emu.dmChannel(), content: 'psst' });
    const message = await emu.waitFor('dm', () => received.find((m) => m.id === sent.id));
    expect(message.channel.isDMBased()).toBe(true);
  });

  it('records what the bot sends, with allowed_mentions, and refuses content over 2,000 characters', async () => {
    const channel = await client.channels.fetch(emu.channels.random);
    if (!channel?.isSendable()) throw new Error('not sendable');
    const sent = await channel.send({ content: '@everyone look', allowedMentions: { parse: [] } });
    const stored = emu.state.messages.get(sent.id)!;
    expect(stored.allowed_mentions).toEqual({ parse: [] });
    expect(pingsOf(stored.content, stored.allowed_mentions).everyone).toBe(false);
    await expect(channel.send({ content: 'x'.repeat(2001) })).rejects.toMatchObject({ code: 50035 });
    await expect(channel.send({ embeds: [{ description: 'y'.repeat(4097) }] })).rejects.toMatchObject({
      code: 50035,
    });
  });

  it('starts one thread per message and refuses a second (160004)', async () => {
    const sent = emu.sendMessage({ channelId: emu.channels.general, content: 'thread me' });
    const message = await emu.waitFor('message', () => received.find((m) => m.id === sent.id));
    const thread = await message.startThread({ name: 'thread me' });
    expect(thread.id).toBe(sent.id);
    expect(emu.threadOf(sent.id)?.parent_id).toBe(emu.channels.general);
    await expect(message.startThread({ name: 'again' })).rejects.toMatchObject({ code: 160004 });
  });

  it('lists channel history newest first with limit and before, within Discord limits', async () => {
    const channelId = emu.state.addChannel({
      type: 0,
      name: 'history',
      guild_id: emu.guildId,
      parent_id: null,
    }).id;
    const sent = Array.from({ length: 5 }, (_, i) => emu.sendMessage({ channelId, content: `h${i}` }));
    const channel = await client.channels.fetch(channelId);
    if (!channel?.isTextBased()) throw new Error('not text');
    const newest = await channel.messages.fetch({ limit: 2 });
    expect([...newest.values()].map((m) => m.content)).toEqual(['h4', 'h3']);
    const older = await channel.messages.fetch({ limit: 100, before: sent[2]!.id });
    expect([...older.values()].map((m) => m.content)).toEqual(['h1', 'h0']);
    const after = await channel.messages.fetch({ after: sent[2]!.id });
    expect([...after.values()].map((m) => m.content)).toEqual(['h4', 'h3']);
    await expect(channel.messages.fetch({ limit: 101 })).rejects.toMatchObject({ code: 50035 });
    await expect(channel.messages.fetch({ limit: 0 })).rejects.toMatchObject({ code: 50035 });
    // A channel the bot may not read (no View Channel / Read Message History): 403 Missing Access.
    emu.hideFromBot(channelId);
    await expect(channel.messages.fetch({ limit: 10 })).rejects.toMatchObject({ code: 50001, status: 403 });
  });

  it('answers a spent message bucket with a 429 that discord.js rejects on when asked to', async () => {
    const fast = await startDiscordEmulator({ messageBucket: { limit: 2, windowMs: 60_000 } });
    const other = new Client({
      intents: [GatewayIntentBits.Guilds],
      rest: { api: fast.apiUrl, rejectOnRateLimit: () => true, retries: 0 },
    });
    try {
      await other.login(fast.token);
      const channel = await other.channels.fetch(fast.channels.general);
      if (!channel?.isSendable()) throw new Error('not sendable');
      await channel.send('one');
      await channel.send('two');
      await expect(channel.send('three')).rejects.toMatchObject({
        name: expect.stringContaining('RateLimitError'),
      });
      // A client that ignores the headers gets Discord's 429 body and Retry-After.
      const raw = await fetch(`${fast.apiUrl}/v10/channels/${fast.channels.general}/messages`, {
        method: 'POST',
        headers: { authorization: `Bot ${fast.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'four' }),
      });
      expect(raw.status).toBe(429);
      expect(Number(raw.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await raw.json()).toMatchObject({ message: 'You are being rate limited.', global: false });
      expect(fast.rateLimitedCount).toBe(1);
    } finally {
      await other.destroy();
      await fast.close();
    }
  });
});
