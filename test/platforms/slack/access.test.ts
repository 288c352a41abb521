/**
 * Access control on Slack: block lists and disabled DMs refuse before any upstream call, the
 * per-user rate limit refuses in the engine; every refusal is shown only to the person refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appMention, message, slashCommand, userTs } from '../../emulators/slack/payloads.js';
import { type SlackBot, startSlackBot } from './bot.js';

let bot: SlackBot;
const mention = (text: string) => `<@${bot?.slack.botUserId}> ${text}`;

beforeAll(async () => {
  bot = await startSlackBot({
    env: { BLOCK_USERS: 'UBAD', BLOCK_CHANNELS: 'CSHUT', ALLOW_DMS: 'false', RATE_LIMIT_PER_MINUTE: '1' },
  });
});
afterAll(async () => {
  await bot?.close();
});

const ephemeralFor = (user: string, channel: string) =>
  bot.slack.waitFor(() => bot.slack.state.ephemerals.find((e) => e.user === user && e.channel === channel));

describe('access control', () => {
  it('refuses a blocked user and a blocked channel privately, without asking the model', async () => {
    await bot.send.event(appMention({ channel: 'C600', user: 'UBAD', text: mention('hi') }));
    expect((await ephemeralFor('UBAD', 'C600')).text).toContain('not allowed');
    await bot.send.event(appMention({ channel: 'CSHUT', user: 'UOK1', text: mention('hi') }));
    expect((await ephemeralFor('UOK1', 'CSHUT')).text).toContain('not allowed');
    expect(bot.upstream.requests).toHaveLength(0);
    expect(bot.slack.callsOf('chat.postMessage')).toHaveLength(0);
  });

  it('refuses DMs when ALLOW_DMS is false', async () => {
    await bot.send.event(message({ channel: 'D601', user: 'UOK2', text: 'hello' }));
    expect((await ephemeralFor('UOK2', 'D601')).text).toContain('does not answer direct messages');
    expect(bot.upstream.requests).toHaveLength(0);
  });

  it('answers within the per-user rate limit and refuses past it, privately', async () => {
    const first = userTs();
    await bot.send.event(appMention({ channel: 'C602', user: 'UOK3', text: mention('one'), ts: first }));
    await bot.finishedReply('C602', first);
    const second = userTs();
    await bot.send.event(appMention({ channel: 'C602', user: 'UOK3', text: mention('two'), ts: second }));
    expect((await ephemeralFor('UOK3', 'C602')).text).toMatch(/faster than 1 per minute/);
    expect(bot.slack.thread('C602', second)).toHaveLength(0);
    expect(bot.upstream.requests).toHaveLength(1);
  });

  it('refuses once per window: 4 more messages past the limit get an ⏳ reaction only', async () => {
    const more = Array.from({ length: 4 }, () => userTs());
    for (const ts of more) {
      await bot.send.event(appMention({ channel: 'C602', user: 'UOK3', text: mention('again'), ts }));
    }
    const reactions = await bot.slack.waitFor(() => {
      const calls = bot.slack.callsOf('reactions.add');
      return calls.length >= more.length ? calls : undefined;
    });
    expect(reactions.map((call) => call.args.timestamp).sort()).toEqual([...more].sort());
    expect(reactions.every((call) => call.args.name === 'hourglass_flowing_sand')).toBe(true);
    const refusals = bot.slack.state.ephemerals.filter((e) => e.user === 'UOK3');
    expect(refusals).toHaveLength(1);
    expect(bot.upstream.requests).toHaveLength(1);
  });

  it('refuses /ask for a blocked user with an ephemeral answer', async () => {
    const before = bot.slack.state.ephemerals.length;
    await bot.send.command(
      slashCommand({
        command: '/ask',
        text: 'hi',
        user: 'UBAD',
        channel: 'C603',
        responseUrl: bot.slack.responseUrl(),
      }),
    );
    const answer = await bot.slack.waitFor(() =>
      bot.slack.state.ephemerals.slice(before).find((e) => e.via === 'response_url'),
    );
    expect(answer).toMatchObject({ responseType: 'ephemeral' });
    expect(answer.text).toContain('not allowed');
  });
});
