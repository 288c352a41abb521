/**
 * Discord attachments come from Discord's CDN only (cdn.discordapp.com, media.discordapp.net, or
 * the DISCORD_API_URL origin): a stored reference naming any other host is never fetched.
 */
import { REST } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadCapped } from '../../../src/engine/download.js';
import { AttachmentError } from '../../../src/errors.js';
import { createDiscordResolver } from '../../../src/platforms/discord/resolver.js';
import { type DiscordEmulator, startDiscordEmulator } from '../../emulators/discord/server.js';
import { RecordingServer } from '../../support/recording-server.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');

let discord: DiscordEmulator;
let elsewhere: RecordingServer;
let rest: REST;

beforeAll(async () => {
  discord = await startDiscordEmulator();
  elsewhere = await new RecordingServer((_, res) => {
    res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
  }).listen();
  rest = new REST({ api: discord.apiUrl, retries: 0 }).setToken(discord.token);
});
afterAll(async () => {
  await elsewhere?.close();
  await discord?.close();
});

describe('createDiscordResolver', () => {
  it('refuses an attachment URL on a host that is not Discord’s CDN', async () => {
    const resolve = createDiscordResolver({ rest, apiUrl: discord.apiUrl });
    const source = await resolve({
      platform: 'discord',
      id: '1',
      url: `${elsewhere.origin}/attachments/1/2/cat.png`,
      name: 'cat.png',
      mimeType: 'image/png',
      size: PNG.length,
    });
    const error = await downloadCapped(source, { maxBytes: 1024, timeoutMs: 1500, name: 'cat.png' }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(AttachmentError);
    expect((error as AttachmentError).code).toBe('blocked');
    expect(elsewhere.requests).toEqual([]);
  });

  it('downloads from the emulator’s CDN, the configured API origin', async () => {
    const path = discord.cdn.put('10', '20', 'dot.png', PNG, 'image/png');
    const resolve = createDiscordResolver({ rest, apiUrl: discord.apiUrl });
    const source = await resolve({
      platform: 'discord',
      id: '20',
      url: discord.cdn.sign(path),
      name: 'dot.png',
      mimeType: 'image/png',
      size: PNG.length,
    });
    expect(source.policy?.allowedOrigins).toEqual([
      'https://cdn.discordapp.com',
      'https://media.discordapp.net',
      discord.url,
    ]);
    const file = await downloadCapped(source, { maxBytes: 1024, timeoutMs: 1500 });
    expect(file.bytes).toEqual(PNG);
  });
});
