/**
 * Model fallback on both platforms, through the real discord.js client and the real Bolt receiver:
 * while the chosen model answers 429 to every request, a question is answered once by its
 * MODEL_FALLBACKS fallback, the reply the user reads names the model that answered, and the
 * conversation's history records that model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slashCommand } from '../emulators/slack/payloads.js';
import type { UpstreamScript } from '../emulators/upstream/script.js';
import { type DiscordBot, startDiscordBot } from './discord/support.js';
import { type SlackBot, startSlackBot } from './slack/bot.js';

const env = { MODEL_FALLBACKS: 'gemini-2.5-pro>gemini-2.5-flash', DEFAULT_MODEL: 'gemini-2.5-pro' };
const NAMED = '_Answered by gemini-2.5-flash: gemini-2.5-pro was unavailable._';

/** A 429 storm on the default model; any other model answers. */
function storm(request: { body: { model: string } }): UpstreamScript {
  return request.body.model === 'gemini-2.5-pro'
    ? { fault: { kind: 'http', status: 429, code: 'too_many_requests' } }
    : { content: [`Answer from ${request.body.model}.`] };
}

describe('model fallback on Discord', () => {
  let bot: DiscordBot;
  beforeAll(async () => {
    bot = await startDiscordBot({ env });
  });
  afterAll(async () => {
    await bot?.close();
  });

  it('answers /ask on the fallback after a 429 storm and says which model answered', async () => {
    bot.te.emulator.setResponder(storm);
    const interaction = bot.discord.interaction({
      kind: 'command',
      name: 'ask',
      channelId: bot.discord.channels.general,
      options: [{ name: 'prompt', type: 3, value: 'are you there?' }],
    });
    const shown = await bot.discord.waitFor('the fallback answer', () => {
      const state = bot.discord.state.interactions.get(interaction.id)!;
      const ids = [state.originalMessageId, ...state.followUpIds];
      return ids
        .map((id) => (id === undefined ? undefined : bot.discord.state.messages.get(id)?.content))
        .find((text) => text?.includes(NAMED));
    });
    expect(shown).toContain('Answer from gemini-2.5-flash.');
    expect(bot.te.emulator.requests.map((request) => request.body.model)).toEqual([
      'gemini-2.5-pro',
      'gemini-2.5-flash',
    ]);
  });
});

describe('model fallback on Slack', () => {
  let bot: SlackBot;
  beforeAll(async () => {
    bot = await startSlackBot({ env });
  });
  afterAll(async () => {
    await bot?.close();
  });

  it('answers /ask on the fallback after a 429 storm and says which model answered', async () => {
    bot.upstream.setResponder(storm);
    const before = bot.slack.state.ephemerals.length;
    const sent = await bot.send.command(
      slashCommand({
        command: '/ask',
        text: '--private are you there?',
        user: 'U1',
        channel: 'C901',
        responseUrl: bot.slack.responseUrl(),
      }),
    );
    expect(sent.status).toBe(200);
    const answer = await bot.slack.waitFor(() =>
      bot.slack.state.ephemerals.slice(before).find((e) => e.text.includes('Answer from')),
    );
    expect(answer.text).toBe(`Answer from gemini-2.5-flash.\n\n${NAMED}`);
    expect(bot.upstream.requests.map((request) => request.body.model)).toEqual([
      'gemini-2.5-pro',
      'gemini-2.5-flash',
    ]);
  });
});
