/**
 * The Discord reply sink on the real discord.js client against the emulator's message bucket:
 * buttons follow the phase, and pacing is @discordjs/rest's bucket queue (the layer that paces
 * Discord replies, docs/architecture.md "Pacing"): a send or edit that meets a spent bucket waits
 * for the window and lands, a 429 Discord sends anyway is retried after Retry-After, and the text
 * shown is exactly the last one written, with no error reaching the renderer.
 */
import type { Client, TextChannel } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiscordClient } from '../../../src/platforms/discord/client.js';
import { createDiscordResolver, signedUrlExpiry } from '../../../src/platforms/discord/resolver.js';
import { ChannelSink } from '../../../src/platforms/discord/sink.js';
import { type DiscordEmulator, startDiscordEmulator } from '../../emulators/discord/server.js';
import { hasButton } from './support.js';

let emu: DiscordEmulator;
let client: Client;
/** Requests discord.js held (or would have rejected) because it knew their bucket was spent. */
let heldByDiscordJs = 0;

beforeAll(async () => {
  // Two writes per channel per second: small enough that three writes in a row meet a spent bucket.
  emu = await startDiscordEmulator({ messageBucket: { limit: 2, windowMs: 1_000 } });
  client = createDiscordClient({ apiUrl: emu.apiUrl });
  client.rest.on('rateLimited', () => {
    heldByDiscordJs += 1;
  });
  await client.login(emu.token);
});
afterAll(async () => {
  await client?.destroy();
  await emu?.close();
});

const key = { platform: 'discord' as const, workspace: 'g', channel: 'c', thread: 't' };

/** A write to the channel from outside this client (another process on the same token). */
async function writeFromElsewhere(channelId: string, content: string): Promise<number> {
  const response = await fetch(`${emu.apiUrl}/v10/channels/${channelId}/messages`, {
    method: 'POST',
    headers: { authorization: `Bot ${emu.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ content }),
  });
  return response.status;
}

describe('ChannelSink on discord.js', () => {
  it('posts with Stop, edits to Regenerate; writes past the bucket wait their turn and all land', async () => {
    const channel = (await client.channels.fetch(emu.channels.general)) as TextChannel;
    const sink = new ChannelSink({ channel, key });
    const id = await sink.post('first words', 'streaming');
    expect(hasButton(emu.state.messages.get(id)!, 'Stop')).toBe(true);
    await sink.edit(id, 'first words, all of them', 'streaming');
    // The bucket (2 writes) is spent: these wait in discord.js's queue instead of failing.
    await sink.edit(id, 'first words, all of them, and more', 'streaming');
    await sink.edit(id, 'the whole answer', 'done');
    const stored = emu.state.messages.get(id)!;
    expect(stored.content).toBe('the whole answer');
    expect(stored.history.map((version) => version.content)).toEqual([
      'first words',
      'first words, all of them',
      'first words, all of them, and more',
      'the whole answer',
    ]);
    expect(hasButton(stored, 'Regenerate')).toBe(true);
    expect(stored.allowed_mentions).toMatchObject({ parse: [] });
    // Something did pace the writes: discord.js held one, or Discord refused one and it was retried.
    expect(heldByDiscordJs + emu.rateLimitedCount).toBeGreaterThan(0);
  });

  it('retries a 429 that discord.js could not foresee (the bucket spent elsewhere) after Retry-After', async () => {
    const channel = (await client.channels.fetch(emu.channels.random)) as TextChannel;
    const sink = new ChannelSink({ channel, key });
    const id = await sink.post('before', 'streaming');
    // discord.js's headers still say one write is left; another process takes it and one more.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await writeFromElsewhere(emu.channels.random, 'elsewhere 1')).toBe(200);
    expect(await writeFromElsewhere(emu.channels.random, 'elsewhere 2')).toBe(200);
    const refusedBefore = emu.rateLimitedCount;
    await sink.edit(id, 'after', 'done');
    expect(emu.rateLimitedCount).toBeGreaterThan(refusedBefore);
    expect(emu.state.messages.get(id)!.content).toBe('after');
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
