/**
 * Catch-up summaries on Slack through the real Bolt receiver against the emulator: the "Summarize
 * thread" shortcut and /gemini-summarize (in a channel, and in the DM for the channel the user is
 * looking at), with citations linked to the emulator's real permalinks and invented ids dropped.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PLACEHOLDER_TEXT } from '../../../src/engine/renderer.js';
import { NOTHING_TO_SUMMARIZE } from '../../../src/engine/summarize.js';
import { BotMetrics } from '../../../src/ops/metrics.js';
import {
  appContextChanged,
  messageAction,
  slashCommand,
  viewSubmission,
} from '../../emulators/slack/payloads.js';
import { type SlackBot, startSlackBot } from './bot.js';

let bot: SlackBot;
const metrics = new BotMetrics({ processMetrics: false });

beforeAll(async () => {
  bot = await startSlackBot({
    env: { BLOCK_USERS: 'UBAD' },
    observer: metrics.observer,
  });
  bot.slack.addUser({ id: 'UASK', name: 'asker', displayName: 'Ada Asker' });
  bot.slack.addUser({ id: 'UAUTHOR', name: 'author', displayName: 'Ann Author' });
});
afterAll(async () => {
  await bot?.close();
});
beforeEach(() => {
  bot.upstream.reset();
});

/** The last user message the model was sent. */
function lastPrompt(): string {
  return bot.upstream.requests.at(-1)!.body.messages.at(-1).content as string;
}

/** The permalink the emulator (Slack) gives for a message, as message text carries it (`&` escaped). */
async function permalinkOf(channel: string, ts: string): Promise<string> {
  const found = await bot.handle.app.client.chat.getPermalink({ channel, message_ts: ts });
  return found.permalink!.replaceAll('&', '&amp;');
}

/** Runs "Summarize thread" on `message` and submits its modal with `values`. */
async function summarizeThread(
  channel: string,
  message: { ts: string; text: string; threadTs?: string },
  values: Record<string, Record<string, Record<string, unknown>>> = {},
) {
  const opened = bot.slack.state.views.length;
  await bot.send.interaction(
    messageAction({
      callbackId: 'summarize_thread',
      triggerId: bot.slack.trigger(),
      user: 'UASK',
      channel,
      message: { user: 'UAUTHOR', ...message },
    }),
  );
  const view = await bot.slack.waitFor(() => bot.slack.state.views[opened]);
  await bot.send.interaction(viewSubmission({ user: 'UASK', view: { ...view.view, id: view.id }, values }));
  return view;
}

/** Runs a slash command and waits until the caller was answered with a line matching `until`. */
async function command(text: string, channel: string, until: RegExp, user = 'UASK') {
  const before = bot.slack.state.ephemerals.length;
  const sent = await bot.send.command(
    slashCommand({ command: '/gemini-summarize', text, user, channel, responseUrl: bot.slack.responseUrl() }),
  );
  expect(sent.status).toBe(200);
  const answer = await bot.slack.waitFor(() =>
    bot.slack.state.ephemerals.slice(before).find((e) => until.test(e.text)),
  );
  await bot.handle.idle();
  return answer;
}

function seedThread(channel: string, withStatus = true) {
  const root = bot.slack.postAsUser({ channel, user: 'UAUTHOR', text: 'Shall we ship on Friday?' });
  const reply = bot.slack.postAsUser({
    channel,
    user: 'UASK',
    text: 'Only after the load test.',
    threadTs: root,
  });
  if (withStatus)
    bot.slack.state.addMessage({
      channel,
      threadTs: root,
      text: PLACEHOLDER_TEXT,
      blocks: undefined,
      via: 'postMessage',
      recipientUserId: undefined,
    });
  const last = bot.slack.postAsUser({
    channel,
    user: 'UAUTHOR',
    text: 'Agreed, Monday then.',
    threadTs: root,
  });
  return { root, reply, last };
}

describe('Summarize thread', () => {
  it('answers privately by default, citing the thread’s real permalinks and dropping invented ids', async () => {
    const { root, reply, last } = seedThread('C970');
    bot.upstream.enqueue({ content: ['- Ship after the load test [m2]', ', on Monday [m3][m9]'] });
    const view = await summarizeThread('C970', { ts: last, text: 'Agreed, Monday then.', threadTs: root });
    expect(JSON.stringify(view.view.blocks)).toContain('initial_options');

    const answer = await bot.slack.waitFor(() =>
      bot.slack.state.ephemerals.find((e) => e.user === 'UASK' && e.text.includes('on Monday')),
    );
    await bot.handle.idle();
    expect(answer.text).toContain(`[2](${await permalinkOf('C970', reply)})`);
    expect(answer.text).toContain(`[3](${await permalinkOf('C970', last)})`);
    expect(answer.text).toContain('?thread_ts=');
    expect(answer.text).not.toMatch(/\[9\]|m9/);
    expect(bot.slack.thread('C970', root).filter((m) => m.text !== PLACEHOLDER_TEXT)).toHaveLength(0);

    const prompt = lastPrompt();
    expect(prompt).toContain('author="Ann Author"');
    expect(prompt).toContain('author="Ada Asker"');
    expect(prompt).not.toContain(PLACEHOLDER_TEXT);
    expect(prompt).toContain('<message id="m3"');
    expect(prompt).not.toContain('<message id="m4"');

    // History keeps a note of the summary, not the thread's messages.
    const history = await bot.engine.store.history.load({
      platform: 'slack',
      workspace: bot.slack.teamId,
      channel: 'C970',
      thread: 'private:UASK',
    });
    expect(JSON.stringify(history)).toContain('(summary of 3 messages of this thread)');
    expect(JSON.stringify(history)).not.toContain('Only after the load test.');
  });

  it('answers in the thread when "Only me" is unticked', async () => {
    const { root, last } = seedThread('C971', false);
    bot.upstream.enqueue({ content: ['- Monday it is [m3]'] });
    await summarizeThread(
      'C971',
      { ts: last, text: 'Agreed, Monday then.', threadTs: root },
      { visibility: { value: { type: 'checkboxes', selected_options: [] } } },
    );
    const [answer] = await bot.finishedReply('C971', root);
    expect(answer!.text).toContain(`[3](${await permalinkOf('C971', last)})`);
  });

  it('says there is nothing to summarize in a thread without text, without asking the model', async () => {
    const root = bot.slack.postAsUser({ channel: 'C972', user: 'UAUTHOR', text: '' });
    await summarizeThread('C972', { ts: root, text: '' });
    const told = await bot.slack.waitFor(() =>
      bot.slack.state.ephemerals.find((e) => e.channel === 'C972' && e.user === 'UASK'),
    );
    await bot.handle.idle();
    expect(told.text).toBe(NOTHING_TO_SUMMARIZE);
    expect(bot.upstream.requests).toHaveLength(0);
  });

  it('tells the person when Slack gives no permalink for the thread, without asking the model', async () => {
    const root = bot.slack.postAsUser({ channel: 'C973', user: 'UAUTHOR', text: 'Where are the keys?' });
    bot.slack.failNext('chat.getPermalink', 'internal_error', 1);
    await summarizeThread('C973', { ts: root, text: 'Where are the keys?' });
    const told = await bot.slack.waitFor(() =>
      bot.slack.state.ephemerals.find((e) => e.channel === 'C973' && e.user === 'UASK'),
    );
    await bot.handle.idle();
    expect(told.text.length).toBeGreaterThan(0);
    expect(told.text).not.toContain('Where are the keys?');
    expect(bot.upstream.requests).toHaveLength(0);
  });
});

describe('/gemini-summarize', () => {
  it('summarizes the channel’s top-level messages for the caller only, with permalinks', async () => {
    const first = bot.slack.postAsUser({ channel: 'C980', user: 'UAUTHOR', text: 'Lunch is at noon.' });
    bot.slack.postAsUser({ channel: 'C980', user: 'UASK', text: 'a reply in a thread', threadTs: first });
    const second = bot.slack.postAsUser({ channel: 'C980', user: 'UASK', text: 'Bring salad.' });
    bot.upstream.enqueue({ content: ['- Lunch at noon [m1], salad [m2] [m7]'] });
    const answer = await command('', 'C980', /salad/);
    expect(answer.responseType).toBe('ephemeral');
    expect(answer.text).toContain(`[1](${await permalinkOf('C980', first)})`);
    expect(answer.text).toContain(`[2](${await permalinkOf('C980', second)})`);
    expect(answer.text).not.toMatch(/\[7\]|m7/);
    expect(bot.slack.callsOf('conversations.history').at(-1)!.args).toMatchObject({ channel: 'C980' });
    expect(lastPrompt()).toContain('Lunch is at noon.');
    expect(lastPrompt()).not.toContain('a reply in a thread');
    expect(bot.slack.state.messages.filter((m) => m.channel === 'C980')).toHaveLength(0);
  });

  it('in the DM summarizes the channel the user is looking at when they are a member of it', async () => {
    bot.slack.setMembers('C981', [bot.slack.botUserId, 'UASK']);
    const ts = bot.slack.postAsUser({ channel: 'C981', user: 'UAUTHOR', text: 'Deploys are frozen.' });
    await bot.send.event(appContextChanged({ user: 'UASK', channel: 'D981', viewingChannel: 'C981' }));
    await bot.handle.idle();
    bot.upstream.enqueue({ content: ['- Deploys frozen [m1]'] });
    const answer = await command('10', 'D981', /frozen/);
    expect(answer.text).toContain(`[1](${await permalinkOf('C981', ts)})`);
    expect(bot.slack.callsOf('conversations.history').at(-1)!.args).toMatchObject({ channel: 'C981' });
  });

  it('in the DM refuses a viewed channel the user is not a member of, reading nothing', async () => {
    bot.slack.setMembers('C982', [bot.slack.botUserId, 'UOTHER']);
    bot.slack.postAsUser({ channel: 'C982', user: 'UOTHER', text: 'private plans' });
    await bot.send.event(appContextChanged({ user: 'UASK', channel: 'D982', viewingChannel: 'C982' }));
    await bot.handle.idle();
    const answer = await command('', 'D982', /member/);
    expect(answer.text).toMatch(/only summarize channels you are a member of/i);
    expect(bot.slack.callsOf('conversations.history').some((c) => c.args.channel === 'C982')).toBe(false);
    expect(bot.upstream.requests).toHaveLength(0);
  });

  it('says there is nothing to summarize in an empty channel, without asking the model', async () => {
    const answer = await command('', 'C983', /nothing to summarize/);
    expect(answer.text).toBe(NOTHING_TO_SUMMARIZE);
    expect(bot.upstream.requests).toHaveLength(0);
  });

  it('refuses a blocked user before reading anything', async () => {
    const reads = bot.slack.callsOf('conversations.history').length;
    const answer = await command('', 'C984', /.+/, 'UBAD');
    expect(answer.text).not.toBe(NOTHING_TO_SUMMARIZE);
    expect(bot.slack.callsOf('conversations.history')).toHaveLength(reads);
    expect(bot.upstream.requests).toHaveLength(0);
  });

  it('tells the caller to invite the bot to a channel it is not in (not_in_channel)', async () => {
    bot.slack.setMembers('C987', ['UASK']);
    bot.slack.postAsUser({ channel: 'C987', user: 'UASK', text: 'unseen' });
    const answer = await command('', 'C987', /Invite me/);
    expect(bot.slack.callsOf('conversations.history').at(-1)!.error).toBe('not_in_channel');
    expect(answer.text).not.toContain('unseen');
    expect(bot.upstream.requests).toHaveLength(0);
  });

  it('reads a busy channel in pages of conversations.history and keeps the newest N', async () => {
    const sent = Array.from({ length: 260 }, (_, i) =>
      bot.slack.postAsUser({ channel: 'C988', user: i % 2 ? 'UASK' : 'UAUTHOR', text: `note ${i}` }),
    );
    bot.upstream.enqueue({ content: ['- Many notes [m1]'] });
    const reads = bot.slack.callsOf('conversations.history').length;
    const answer = await command('200', 'C988', /Many notes/);
    const pages = bot.slack.callsOf('conversations.history').slice(reads);
    expect(pages.map((c) => Number(c.args.limit))).toEqual([100, 100]);
    expect(pages[0]!.args.cursor).toBeUndefined();
    expect(pages[1]!.args.cursor).toBeTruthy();
    expect(answer.text).toContain(`[1](${await permalinkOf('C988', sent[60]!)})`);
    expect(lastPrompt()).toContain('note 259');
    expect(lastPrompt()).not.toContain('note 59\n');
  });

  it('explains its argument when it is not a number of messages from 1 to 200', async () => {
    const answer = await command('500', 'C985', /Usage/);
    expect(answer.text).toContain('/gemini-summarize');
  });

  it('counts each summary in gcb_summaries_total{platform="slack"}', async () => {
    const count = async () =>
      Number(/gcb_summaries_total\{platform="slack"\} (\d+)/.exec((await metrics.render()).text)?.[1] ?? 0);
    const before = await count();
    await command('', 'C986', /nothing to summarize/);
    expect(await count()).toBe(before + 1);
  });
});
