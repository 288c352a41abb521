/**
 * Message shortcuts through the real Bolt receiver against the emulator: a message_action opens a
 * modal (views.open with its 3-second trigger_id), the view_submission is answered in the
 * message's thread or, with "Only me" ticked, privately; every step goes through the access lists.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SHORTCUT_CALLBACK_IDS } from '../../../src/platforms/slack/shortcut-modal.js';
import { messageAction, viewSubmission } from '../../emulators/slack/payloads.js';
import { type SlackBot, startSlackBot } from './bot.js';

let bot: SlackBot;

const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000a49444154789c6300010000050001',
  'hex',
);

beforeAll(async () => {
  bot = await startSlackBot({ env: { BLOCK_USERS: 'UBAD' } });
  bot.slack.addUser({ id: 'UASK', name: 'asker' });
  bot.slack.addUser({ id: 'UAUTHOR', name: 'author' });
});
afterAll(async () => {
  await bot?.close();
});
beforeEach(() => {
  bot.upstream.reset();
});

/** The last user message the model was sent, as text. */
function lastPrompt(): string {
  const last = bot.upstream.requests.at(-1)!.body.messages.at(-1);
  return typeof last.content === 'string'
    ? last.content
    : last.content
        .filter((part: { type: string }) => part.type === 'text')
        .map((part: { text: string }) => part.text)
        .join('');
}

/** Runs a shortcut on a message and returns the modal it opened. */
async function shortcut(
  callbackId: string,
  channel: string,
  message: { ts: string; text: string; threadTs?: string; files?: Record<string, unknown>[] },
  user = 'UASK',
) {
  const opened = bot.slack.state.views.length;
  const sent = await bot.send.interaction(
    messageAction({
      callbackId,
      triggerId: bot.slack.trigger(),
      user,
      channel,
      message: { user: 'UAUTHOR', ...message },
    }),
  );
  expect(sent.status).toBe(200);
  return bot.slack.waitFor(() => bot.slack.state.views[opened]);
}

/** Submits a modal the bot opened (an emulator view record) with `values` as Slack's state.values. */
async function submit(
  opened: { id: string; view: Record<string, unknown> },
  values: Record<string, Record<string, Record<string, unknown>>>,
  user = 'UASK',
) {
  const sent = await bot.send.interaction(
    viewSubmission({ user, view: { ...opened.view, id: opened.id }, values }),
  );
  expect(sent.status).toBe(200);
}

const onlyMe = { visibility: { value: { type: 'checkboxes', selected_options: [{ value: 'private' }] } } };

describe('message shortcuts', () => {
  it('Explain answers in the message’s thread, with its image sent to the model', async () => {
    const image = bot.slack.addFile({ id: 'FSHORT1', name: 'chart.png', mimetype: 'image/png', bytes: PNG });
    const ts = bot.slack.postAsUser({
      channel: 'C960',
      user: 'UAUTHOR',
      text: 'Q3 revenue chart',
      fileIds: ['FSHORT1'],
    });
    const opened = await shortcut('explain_message', 'C960', {
      ts,
      text: 'Q3 revenue chart',
      files: [image],
    });
    expect(opened.view.callback_id).toBeTruthy();
    await submit(opened, {});
    const [reply] = await bot.finishedReply('C960', ts);
    expect(reply!.text).toContain('Q3 revenue chart');
    expect(reply!.text).toContain('[+1 media]');
    expect(lastPrompt()).toMatch(/explain/i);
  });

  it('Ask Gemini about this asks the question from the modal with the message as context', async () => {
    const ts = bot.slack.postAsUser({ channel: 'C961', user: 'UAUTHOR', text: 'Der Hund schläft.' });
    const opened = await shortcut('ask_about_message', 'C961', { ts, text: 'Der Hund schläft.' });
    expect(JSON.stringify(opened.view.blocks)).toContain('plain_text_input');
    await submit(opened, {
      question: { value: { type: 'plain_text_input', value: 'Which language is this?' } },
    });
    await bot.finishedReply('C961', ts);
    expect(lastPrompt()).toContain('Which language is this?');
    expect(lastPrompt()).toContain('Der Hund schläft.');
  });

  it('answers only the person who asked when "Only me" is ticked', async () => {
    const ts = bot.slack.postAsUser({ channel: 'C962', user: 'UAUTHOR', text: 'secret plan' });
    const opened = await shortcut('ask_about_message', 'C962', { ts, text: 'secret plan' });
    await submit(opened, {
      question: { value: { type: 'plain_text_input', value: 'Is it good?' } },
      ...onlyMe,
    });
    const privately = await bot.slack.waitFor(() =>
      bot.slack.state.ephemerals.find((e) => e.user === 'UASK' && e.text.includes('Is it good?')),
    );
    expect(privately.channel).toBe('C962');
    await bot.handle.idle();
    expect(bot.slack.thread('C962', ts)).toHaveLength(0);
    const post = bot.slack.callsOf('chat.postEphemeral').find((c) => c.args.text?.includes('Is it good?'))!;
    expect(post.args.thread_ts).toBe(ts);
  });

  it('Summarize thread reads the thread with conversations.replies and answers in it', async () => {
    const root = bot.slack.postAsUser({ channel: 'C963', user: 'UAUTHOR', text: 'Shall we ship on Friday?' });
    bot.slack.postAsUser({
      channel: 'C963',
      user: 'UASK',
      text: 'Only after the load test.',
      threadTs: root,
    });
    const last = bot.slack.postAsUser({
      channel: 'C963',
      user: 'UAUTHOR',
      text: 'Agreed, Monday then.',
      threadTs: root,
    });
    const opened = await shortcut('summarize_thread', 'C963', {
      ts: last,
      text: 'Agreed, Monday then.',
      threadTs: root,
    });
    // "Only me" is ticked by default for a summary: unticked, it goes into the thread.
    await submit(opened, { visibility: { value: { type: 'checkboxes', selected_options: [] } } });
    await bot.finishedReply('C963', root);
    expect(bot.slack.callsOf('conversations.replies').at(-1)!.args).toMatchObject({
      channel: 'C963',
      ts: root,
    });
    for (const text of ['Shall we ship on Friday?', 'Only after the load test.', 'Agreed, Monday then.']) {
      expect(lastPrompt()).toContain(text);
    }
    expect(lastPrompt()).toMatch(/summar/i);
  });

  it('refuses a blocked user at the shortcut (no modal) and at a submission', async () => {
    const ts = bot.slack.postAsUser({ channel: 'C964', user: 'UAUTHOR', text: 'hello' });
    const modals = bot.slack.callsOf('views.open').length;
    await bot.send.interaction(
      messageAction({
        callbackId: 'explain_message',
        triggerId: bot.slack.trigger(),
        user: 'UBAD',
        channel: 'C964',
        message: { ts, user: 'UAUTHOR', text: 'hello' },
      }),
    );
    await bot.slack.waitFor(() => bot.slack.state.ephemerals.find((e) => e.user === 'UBAD'));
    await bot.handle.idle();
    expect(bot.slack.callsOf('views.open')).toHaveLength(modals);

    // A submission of a modal opened for someone else, sent by the blocked user, is refused too.
    const opened = await shortcut('explain_message', 'C964', { ts, text: 'hello' });
    const before = bot.slack.state.ephemerals.filter((e) => e.user === 'UBAD').length;
    await submit(opened, {}, 'UBAD');
    await bot.slack.waitFor(
      () => bot.slack.state.ephemerals.filter((e) => e.user === 'UBAD').length > before,
    );
    await bot.handle.idle();
    expect(bot.upstream.requests).toHaveLength(0);
  });

  it('tells the person to try again when Slack’s trigger expired before the modal opened', async () => {
    const ts = bot.slack.postAsUser({ channel: 'C965', user: 'UAUTHOR', text: 'slow' });
    await bot.send.interaction(
      messageAction({
        callbackId: 'ask_about_message',
        triggerId: bot.slack.trigger(4_000),
        user: 'UASK',
        channel: 'C965',
        message: { ts, user: 'UAUTHOR', text: 'slow' },
      }),
    );
    const told = await bot.slack.waitFor(() => bot.slack.state.ephemerals.find((e) => e.channel === 'C965'));
    expect(told.text).toMatch(/try .*again/i);
    expect(bot.slack.callsOf('views.open').at(-1)!.error).toBe('expired_trigger_id');
  });

  it('handles exactly the three shortcuts of the issue', () => {
    expect([...SHORTCUT_CALLBACK_IDS].sort()).toEqual([
      'ask_about_message',
      'explain_message',
      'summarize_thread',
    ]);
  });
});

describe('the emulator’s views.open', () => {
  it('needs a trigger_id and opens one view per trigger', async () => {
    const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'T' }, blocks: [] };
    const client = bot.handle.app.client;
    const error = (promise: Promise<unknown>) =>
      promise.then(
        () => 'ok',
        (e: { data?: { error?: string } }) => e.data?.error,
      );
    expect(await error(client.views.open({ trigger_id: '', view }))).toBe('invalid_arguments');
    const trigger = bot.slack.trigger();
    expect(await error(client.views.open({ trigger_id: trigger, view }))).toBe('ok');
    expect(await error(client.views.open({ trigger_id: trigger, view }))).toBe('exchanged_trigger_id');
  });
});
