/**
 * A store that goes down mid-run (Redis behind a loopback proxy that the test cuts): the user who
 * mentioned the bot is told storage is unavailable instead of being ignored, and the bot answers
 * again once Redis is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteRedisKeys } from '../../store/backends.js';
import { TcpProxy } from '../../store/tcp-proxy.js';
import { botText, type DiscordBot, replyFinished, startDiscordBot } from './support.js';

let bot: DiscordBot;
const proxy = new TcpProxy(6379);

beforeAll(async () => {
  await proxy.start();
  bot = await startDiscordBot({ env: { STORE_URL: `redis://127.0.0.1:${proxy.port}` } });
});
afterAll(async () => {
  await bot?.close();
  await proxy.stop();
  await deleteRedisKeys(`${bot.te.config.store.prefix}:*`);
});

describe('Discord while the store is down', () => {
  it('tells the user storage is unavailable, then answers again when it returns', async () => {
    const { discord } = bot;
    const mention = `<@${discord.botUser.id}>`;
    const before = discord.sendMessage({ channelId: discord.channels.general, content: `${mention} before` });
    const firstThread = await discord.waitFor('thread', () => discord.threadOf(before.id));
    await replyFinished(discord, firstThread.id);

    await proxy.stop();
    const during = discord.sendMessage({ channelId: discord.channels.general, content: `${mention} during` });
    const apology = await discord.waitFor('a reply while the store is down', () =>
      discord
        .botMessagesIn(discord.channels.general)
        .find((m) => m.content.includes('Storage is unavailable')),
    );
    expect(apology.message_reference?.message_id).toBe(during.id);
    expect(discord.threadOf(during.id)).toBeUndefined();

    await proxy.start();
    // The client reconnects with a short back-off; a user's next message after that is answered.
    await waitUntil(() =>
      bot.te.store.ping().then(
        () => true,
        () => false,
      ),
    );
    const after = discord.sendMessage({ channelId: discord.channels.general, content: `${mention} after` });
    const thread = await discord.waitFor('thread', () => discord.threadOf(after.id), 15_000);
    await replyFinished(discord, thread.id);
    expect(botText(discord, thread.id)).toBe('Echo: after');
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('the store did not come back');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
