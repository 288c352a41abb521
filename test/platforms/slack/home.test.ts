/**
 * The App Home's Home tab end to end through Bolt: published with views.publish on app_home_opened
 * (tab home), it shows how to use the bot, the model and system prompt of the channel the viewer is
 * looking at (only where the access lists let them use the bot), and the viewer's usage.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appContextChanged, appHomeOpened, appMention, userTs } from '../../emulators/slack/payloads.js';
import { type SlackBot, startSlackBot } from './bot.js';

let bot: SlackBot;

beforeAll(async () => {
  bot = await startSlackBot({
    env: { BLOCK_USERS: 'UBLOCKED', BLOCK_CHANNELS: 'CSECRET', SYSTEM_PROMPT: 'You are the default helper.' },
  });
});
afterAll(async () => {
  await bot?.close();
});
beforeEach(() => {
  bot.upstream.reset();
  bot.slack.reset();
});

/** Everything a person reads on the published Home tab, block texts joined. */
function textOf(view: { blocks: unknown[] }): string {
  return JSON.stringify(view.blocks);
}

async function openHome(user: string, viewingChannel?: string) {
  await bot.send.event(
    appHomeOpened({ user, channel: `D${user}`, tab: 'home', ...(viewingChannel ? { viewingChannel } : {}) }),
  );
  const view = await bot.slack.waitFor(() => bot.slack.state.homeViews.get(user));
  expect(bot.slack.callsOf('views.publish').every((call) => call.error === undefined)).toBe(true);
  return view as { type: string; blocks: unknown[] };
}

describe('the Home tab', () => {
  it('shows how to use the bot and the viewer’s usage', async () => {
    const ts = userTs();
    await bot.send.event(
      appMention({ channel: 'C300', user: 'U30', text: `<@${bot.slack.botUserId}> hi`, ts }),
    );
    await bot.finishedReply('C300', ts);
    await bot.handle.idle();
    const view = await openHome('U30');
    expect(view.type).toBe('home');
    const text = textOf(view);
    expect(text).toContain('/ask');
    expect(text).toContain('/gemini-help');
    expect(text).toMatch(/1 requests?/);
    // No channel known: no channel settings, a hint instead.
    expect(text).not.toContain('You are the default helper.');
  });

  it('shows the model and system prompt of the channel the viewer is looking at', async () => {
    await bot.engine.engine.setSystemPrompt(
      { platform: 'slack', workspace: bot.slack.teamId, channel: 'C301' },
      'Answer like a <!channel> pirate.',
    );
    await bot.send.event(appContextChanged({ user: 'U31', channel: 'DU31', viewingChannel: 'C301' }));
    await bot.handle.idle();
    const view = await openHome('U31');
    const text = textOf(view);
    expect(text).toContain('<#C301>');
    expect(text).toContain(bot.engine.config.models.default);
    // The prompt is shown as plain text: it can neither format nor ping.
    const block = (view.blocks as { text?: { type: string; text: string } }[]).find((b) =>
      b.text?.text.includes('pirate'),
    );
    expect(block!.text!.type).toBe('plain_text');
  });

  it('hides the settings of a channel the access lists close to the viewer', async () => {
    await bot.engine.engine.setSystemPrompt(
      { platform: 'slack', workspace: bot.slack.teamId, channel: 'CSECRET' },
      'The secret instructions.',
    );
    const view = await openHome('U32', 'CSECRET');
    expect(textOf(view)).not.toContain('The secret instructions.');
  });

  it('shows a refused user only that they may not use the bot', async () => {
    const view = await openHome('UBLOCKED');
    const text = textOf(view);
    expect(text).toContain('not allowed');
    expect(text).not.toContain('/ask');
  });
});
