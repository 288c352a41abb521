/**
 * The Discord reply sink and the per-channel budget on the real discord.js client: a spent message
 * bucket surfaces as PlatformRateLimitError (so the renderer backs off), buttons follow the phase,
 * and the shared budget grants slots in order, never more than its limit per window.
 */
import type { Client, TextChannel } from 'discord.js';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PlatformRateLimitError } from '../../../src/errors.js';
import { createDiscordClient } from '../../../src/platforms/discord/client.js';
import { ChannelEditBudget } from '../../../src/platforms/discord/edit-budget.js';
import { createDiscordResolver, signedUrlExpiry } from '../../../src/platforms/discord/resolver.js';
import { ChannelSink } from '../../../src/platforms/discord/sink.js';
import { type DiscordEmulator, startDiscordEmulator } from '../../emulators/discord/server.js';
import { hasButton } from './support.js';

let emu: DiscordEmulator;
let client: Client;

beforeAll(async () => {
  emu = await startDiscordEmulator({ messageBucket: { limit: 2, windowMs: 60_000 } });
  client = createDiscordClient({ apiUrl: emu.apiUrl });
  await client.login(emu.token);
});
afterAll(async () => {
  await client?.destroy();
  await emu?.close();
});
afterEach(() => {
  vi.useRealTimers();
});

const key = { platform: 'discord' as const, workspace: 'g', channel: 'c', thread: 't' };

describe('ChannelSink on discord.js', () => {
  it('posts with Stop, edits to Regenerate, then turns a spent bucket into PlatformRateLimitError', async () => {
    const channel = (await client.channels.fetch(emu.channels.general)) as TextChannel;
    // A budget roomier than the emulator's bucket, so the bucket itself runs out.
    const sink = new ChannelSink({ channel, key, budget: new ChannelEditBudget({ limit: 100 }) });
    const id = await sink.post('first words', 'streaming');
    expect(hasButton(emu.state.messages.get(id)!, 'Stop')).toBe(true);
    await sink.edit(id, 'first words, all of them', 'done');
    const stored = emu.state.messages.get(id)!;
    expect(stored.content).toBe('first words, all of them');
    expect(hasButton(stored, 'Regenerate')).toBe(true);
    expect(stored.allowed_mentions).toMatchObject({ parse: [] });

    const error = await sink.edit(id, 'more', 'done').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformRateLimitError);
    expect((error as PlatformRateLimitError).retryAfterMs).toBeGreaterThan(50_000);
    // Discord answered that first edit with a 429 (discord.js had not yet learnt that sends and
    // edits share one bucket); from now on discord.js refuses locally, from the headers.
    expect(emu.rateLimitedCount).toBe(1);
    await expect(sink.edit(id, 'more again', 'done')).rejects.toBeInstanceOf(PlatformRateLimitError);
    expect(emu.rateLimitedCount).toBe(1);
    expect(emu.state.messages.get(id)!.content).toBe('first words, all of them');
  });
});

describe('ChannelEditBudget', () => {
  it('grants at most `limit` slots per window per channel, in arrival order', async () => {
    vi.useFakeTimers();
    const budget = new ChannelEditBudget({ limit: 2, windowMs: 1_000, marginMs: 0 });
    const granted: string[] = [];
    for (const name of ['a', 'b', 'c', 'd', 'e']) void budget.acquire('ch').then(() => granted.push(name));
    void budget.acquire('other').then(() => granted.push('other'));
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toEqual(['a', 'b', 'other']);
    await vi.advanceTimersByTimeAsync(999);
    expect(granted).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(granted).toEqual(['a', 'b', 'other', 'c', 'd']);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(granted.at(-1)).toBe('e');
  });

  it('lets a waiting caller give up', async () => {
    vi.useFakeTimers();
    const budget = new ChannelEditBudget({ limit: 1, windowMs: 1_000, marginMs: 0 });
    await budget.acquire('ch');
    const controller = new AbortController();
    const waiting = budget.acquire('ch', controller.signal);
    controller.abort();
    await expect(waiting).rejects.toThrow();
  });
});

describe('attachment resolver', () => {
  it('keeps fresh URLs and refreshes ones about to expire through the API', async () => {
    const message = emu.sendMessage({
      channelId: emu.channels.random,
      content: 'file',
      attachments: [{ filename: 'x.png', contentType: 'image/png', bytes: Buffer.from('png') }],
    });
    const url = message.attachments[0]!.url;
    const ref = {
      platform: 'discord' as const,
      id: message.attachments[0]!.id,
      url,
      name: 'x.png',
      mimeType: 'image/png',
      size: 3,
      location: { channel: emu.channels.random, message: message.id },
    };
    expect(signedUrlExpiry(url)).toBeGreaterThan(Date.now());
    expect(await createDiscordResolver({ rest: client.rest })(ref)).toMatchObject({ url });

    const later = createDiscordResolver({ rest: client.rest, now: () => Date.now() + 2 * 24 * 3600_000 });
    emu.advanceClock(2 * 24 * 3600_000);
    try {
      const fresh = await later(ref);
      expect(fresh.url).not.toBe(url);
      expect((await fetch(fresh.url)).status).toBe(200);
      expect((await fetch(url)).status).toBe(404);
      // Without a URL the message is read again for a freshly signed one.
      const { url: _u, ...withoutUrl } = ref;
      expect((await later(withoutUrl)).url).toContain('/cdn/attachments/');
    } finally {
      emu.advanceClock(-2 * 24 * 3600_000);
    }
  });
});
