/**
 * Attachments posted with a prompt (and a thread resumed after Discord's signed CDN URLs expired),
 * role block lists, and the gateway: resume after a dropped socket, and close code 4014.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/log.js';
import { startDiscord } from '../../../src/platforms/discord/index.js';
import { startDiscordEmulator } from '../../emulators/discord/server.js';
import { createTestEngine } from '../../support/harness.js';
import { type DiscordBot, replyFinished, startDiscordBot } from './support.js';

let bot: DiscordBot;

beforeAll(async () => {
  bot = await startDiscordBot();
});
afterAll(async () => {
  await bot?.close();
});
beforeEach(() => bot.te.emulator.reset());

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
const MP4 = Buffer.concat([Buffer.from('000000186674797069736f6d', 'hex'), Buffer.alloc(32, 7)]);
const DAY = 24 * 60 * 60 * 1000;

type Part = { type: string; text?: string; image_url?: { url: string } };
const imageUrls = (content: string | Part[]) =>
  typeof content === 'string'
    ? []
    : content.filter((p) => p.type === 'image_url').map((p) => p.image_url!.url);

describe('attachments', () => {
  it('sends images and videos posted with a mention as image_url parts', async () => {
    const { discord, te } = bot;
    const prompt = discord.sendMessage({
      channelId: discord.channels.general,
      content: `<@${discord.botUser.id}> compare these`,
      attachments: [
        { filename: 'a.png', contentType: 'image/png', bytes: PNG },
        { filename: 'b.mp4', contentType: 'video/mp4', bytes: MP4 },
      ],
    });
    const thread = await discord.waitFor('thread', () => discord.threadOf(prompt.id));
    await replyFinished(discord, thread.id);
    const content = te.emulator.requests[0]!.body.messages.at(-1).content as Part[];
    expect(imageUrls(content)).toEqual([
      `data:image/png;base64,${PNG.toString('base64')}`,
      `data:video/mp4;base64,${MP4.toString('base64')}`,
    ]);
    expect(content.find((p) => p.type === 'text')?.text).toContain('compare these');
  });

  it('still sends the images of a thread resumed after its CDN URLs expired', async () => {
    const { discord, te } = bot;
    const prompt = discord.sendMessage({
      channelId: discord.channels.general,
      content: `<@${discord.botUser.id}> remember this picture`,
      attachments: [{ filename: 'pic.png', contentType: 'image/png', bytes: PNG }],
    });
    const thread = await discord.waitFor('thread', () => discord.threadOf(prompt.id));
    await replyFinished(discord, thread.id, 1);
    const originalUrl = prompt.attachments[0]!.url;

    // Two days pass, for Discord and for the bot.
    discord.advanceClock(2 * DAY);
    bot.clock.offsetMs = 2 * DAY;
    try {
      const expired = await fetch(originalUrl);
      expect(expired.status).toBe(404);
      discord.sendMessage({ channelId: thread.id, content: 'what was in it?' });
      await replyFinished(discord, thread.id, 2);
      const request = te.emulator.requests.at(-1)!.body;
      const firstUser = request.messages.find((m: { role: string }) => m.role === 'user');
      expect(imageUrls(firstUser.content)).toEqual([`data:image/png;base64,${PNG.toString('base64')}`]);
      expect(discord.log.some((c) => c.path === '/attachments/refresh-urls' && c.status === 200)).toBe(true);
      expect(discord.cdn.downloads.at(-1)).toMatchObject({ status: 200 });
    } finally {
      discord.advanceClock(-2 * DAY);
      bot.clock.offsetMs = 0;
    }
  });
});

describe('access by role', () => {
  it('refuses a member with a blocked role', async () => {
    const { discord, te } = bot;
    te.config.access.blockRoles.push(discord.roles.restricted);
    try {
      const prompt = discord.sendMessage({
        channelId: discord.channels.general,
        content: `<@${discord.botUser.id}> hello`,
        roles: [discord.roles.restricted],
      });
      const refusal = await discord.waitFor('refusal', () =>
        discord
          .botMessagesIn(discord.channels.general)
          .find((m) => m.message_reference?.message_id === prompt.id),
      );
      expect(refusal.content).toContain('not allowed');
      expect(te.emulator.requests).toHaveLength(0);
    } finally {
      te.config.access.blockRoles.pop();
    }
  });
});

describe('the gateway', () => {
  it('resumes after a dropped connection and answers messages sent meanwhile', async () => {
    const { discord } = bot;
    const identifies = discord.gateway.identifies.length;
    discord.gateway.dropConnection();
    const dm = discord.dmChannel();
    const before = discord.botMessagesIn(dm).length;
    discord.sendMessage({ channelId: dm, content: 'are you back?' });
    await replyFinished(discord, dm, before + 1);
    expect(discord.gateway.identifies.length).toBe(identifies); // resumed, not re-identified
    expect(bot.handle.isReady()).toBe(true);
  });

  it('stops with one clear line when Discord refuses the Message Content intent (4014)', async () => {
    const discord = await startDiscordEmulator();
    const te = await createTestEngine({
      env: { DISCORD_TOKEN: discord.token, DISCORD_API_URL: discord.apiUrl },
    });
    try {
      discord.gateway.rejectNextIdentifyWith = 4014;
      const started = startDiscord({
        config: te.config,
        engine: te.engine,
        store: te.store,
        logger: silentLogger,
      });
      const error = await started.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain('Message Content Intent');
      expect((error as Error).message.split('\n')).toHaveLength(1);

      // A wrong token is one clear line too, naming the variable.
      const wrong = { ...te.config, discord: { ...te.config.discord!, token: 'not-the-token' } };
      const refused = await startDiscord({
        config: wrong,
        engine: te.engine,
        store: te.store,
        logger: silentLogger,
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(ConfigError);
      expect((refused as ConfigError).variable).toBe('DISCORD_TOKEN');
    } finally {
      await te.close();
      await discord.close();
    }
  });
});
