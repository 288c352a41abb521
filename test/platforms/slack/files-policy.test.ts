/**
 * The Slack bot token goes to Slack's file host only. A file whose url_private names another host,
 * and a remote file (files.remote.add: the URL is whatever the adding app chose), never get it:
 * they are fetched without credentials if the outbound policy allows, else skipped with a notice.
 */
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSlackResolver } from '../../../src/platforms/slack/resolver.js';
import { message, userTs } from '../../emulators/slack/payloads.js';
import { RecordingServer } from '../../support/recording-server.js';
import { type SlackBot, startSlackBot } from './bot.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');

let bot: SlackBot;
let elsewhere: RecordingServer;
let client: WebClient;
const mention = (text: string) => `<@${bot?.slack.botUserId}> ${text}`;

beforeAll(async () => {
  elsewhere = await new RecordingServer((_, res) => {
    res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
  }).listen();
  bot = await startSlackBot({ maxRetries: 0 });
  client = new WebClient(bot.slack.botToken, { slackApiUrl: bot.slack.apiUrl, retryConfig: { retries: 0 } });
});
afterAll(async () => {
  await bot?.close();
  await elsewhere?.close();
});
beforeEach(() => {
  elsewhere.requests.length = 0;
});

async function shareFiles(channel: string, files: Record<string, unknown>[]): Promise<string> {
  const ts = userTs();
  await bot.send.event(
    message({ channel, user: 'U1', text: mention('look'), ts, subtype: 'file_share', files }),
  );
  await bot.finishedReply(channel, ts);
  const notice = await bot.slack.waitFor(() => bot.slack.state.ephemerals.find((e) => e.channel === channel));
  return notice.text;
}

const carriesToken = () => elsewhere.requests.some((r) => r.authorization?.includes(bot.slack.botToken));

describe('the bot token and Slack files', () => {
  it('never sends the token to another server named by url_private; the user sees a notice', async () => {
    const forged = {
      id: 'FEVIL1',
      name: 'evil.png',
      mimetype: 'image/png',
      size: PNG.length,
      mode: 'hosted',
      url_private: `${elsewhere.origin}/collect/evil.png`,
    };
    const notice = await shareFiles('C410', [forged]);
    expect(carriesToken()).toBe(false);
    // A loopback address is not a public host: nothing was fetched at all.
    expect(elsewhere.requests).toEqual([]);
    expect(notice).toContain('evil.png');
    expect(bot.upstream.requests.at(-1)!.body.messages.at(-1).content).toBe('look');
  });

  it('never sends the token for a remote file (files.remote.add) and skips it with a notice', async () => {
    const added = await client.files.remote.add({
      external_id: 'design-42',
      external_url: `${elsewhere.origin}/remote/design.png`,
      title: 'design.png',
      filetype: 'png',
    });
    const remote = added.file as Record<string, unknown>;
    expect(remote).toMatchObject({ is_external: true, mode: 'external' });
    const notice = await shareFiles('C411', [remote]);
    expect(carriesToken()).toBe(false);
    expect(elsewhere.requests).toEqual([]);
    expect(notice).toContain('design.png');
  });
});

describe('createSlackResolver', () => {
  it('binds the token to the Slack file origin, and gives a remote file no credentials', async () => {
    const resolve = createSlackResolver(client, bot.slack.botToken, bot.slack.apiUrl);
    const hosted = bot.slack.addFile({ id: 'FHOST1', name: 'cat.png', mimetype: 'image/png', bytes: PNG });
    const hostedSource = await resolve({
      platform: 'slack',
      id: 'FHOST1',
      url: String(hosted.url_private),
      name: 'cat.png',
      mimeType: 'image/png',
      size: PNG.length,
    });
    expect(hostedSource.headers).toEqual({ Authorization: `Bearer ${bot.slack.botToken}` });
    expect(hostedSource.policy?.credentialOrigins).toEqual(['https://files.slack.com', bot.slack.url]);

    const added = await client.files.remote.add({
      external_id: 'design-43',
      external_url: 'https://designs.example.com/design.png',
      title: 'remote.png',
    });
    const remoteSource = await resolve({
      platform: 'slack',
      id: String(added.file?.id),
      name: 'remote.png',
      mimeType: 'image/png',
      size: 0,
    });
    expect(remoteSource.url).toBe('https://designs.example.com/design.png');
    expect(remoteSource.headers).toBeUndefined();
    expect(remoteSource.policy?.credentialOrigins ?? []).toEqual([]);
    expect(remoteSource.policy?.trustedOrigins ?? []).toEqual([]);
  });
});
