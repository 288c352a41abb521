/**
 * Socket Mode (SLACK_APP_TOKEN set): the real Bolt SocketModeReceiver opens a connection through
 * apps.connections.open on SLACK_API_URL, acks each envelope, and answers as in HTTP mode.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appMention, slashCommand, userTs } from '../../emulators/slack/payloads.js';
import { eventEnvelope } from '../../emulators/slack/sender.js';
import { type SlackBot, startSlackBot } from './bot.js';

let bot: SlackBot;

beforeAll(async () => {
  bot = await startSlackBot({ env: { SLACK_APP_TOKEN: 'xapp-1-emulated-app-token' } });
});
afterAll(async () => {
  await bot?.close();
});

describe('socket mode', () => {
  it('connects with the app token and is ready', () => {
    expect(bot.slack.socketMode.connections).toBe(1);
    expect(bot.handle.isReady()).toBe(true);
    expect(bot.slack.callsOf('apps.connections.open')[0]!.error).toBeUndefined();
  });

  it('acks a mention envelope and answers it in a thread', async () => {
    const ts = userTs();
    const event = appMention({
      channel: 'C700',
      user: 'U1',
      text: `<@${bot.slack.botUserId}> over the socket`,
      ts,
    });
    const ack = await bot.slack.socketMode.send(
      'events_api',
      eventEnvelope(event, { teamId: bot.slack.teamId, botUserId: bot.slack.botUserId }),
    );
    expect(ack.elapsedMs).toBeGreaterThanOrEqual(0);
    const [reply] = await bot.finishedReply('C700', ts);
    expect(reply!.text).toBe('Echo: over the socket');
  });

  it('answers a slash command over the socket', async () => {
    const before = bot.slack.state.ephemerals.length;
    await bot.slack.socketMode.send(
      'slash_commands',
      slashCommand({
        command: '/gemini-help',
        text: '',
        user: 'U1',
        channel: 'C701',
        responseUrl: bot.slack.responseUrl(),
      }),
    );
    const answer = await bot.slack.waitFor(() =>
      bot.slack.state.ephemerals.slice(before).find((e) => e.via === 'response_url'),
    );
    expect(answer.text).toContain('/ask');
  });
});
