/**
 * Reset without a link, through the real Bolt receiver: /gemini-reset in a DM forgets the DM's
 * conversation; in a channel without an argument it forgets the caller's most recent conversation
 * with the bot there and says which (chat.getPermalink); and the "New conversation" button on the
 * bot's last reply of a thread forgets that thread, for the asker or an admin only.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NEW_CONVERSATION_ACTION_ID } from '../../../src/platforms/slack/reply-blocks.js';
import { appMention, blockAction, message, slashCommand, userTs } from '../../emulators/slack/payloads.js';
import { type SlackBot, startSlackBot } from './bot.js';

let bot: SlackBot;
const mention = (text: string) => `<@${bot?.slack.botUserId}> ${text}`;
const key = (channel: string, thread: string) => ({
  platform: 'slack' as const,
  workspace: bot.slack.teamId,
  channel,
  thread,
});

beforeAll(async () => {
  bot = await startSlackBot();
  bot.slack.addUser({ id: 'UADMIN', name: 'ada', isAdmin: true });
  bot.slack.addUser({ id: 'UASKER', name: 'bob' });
  bot.slack.addUser({ id: 'UOTHER', name: 'eve' });
});
afterAll(async () => {
  await bot?.close();
});
beforeEach(() => {
  bot.upstream.reset();
});

async function run(text: string, user: string, channel: string) {
  const before = bot.slack.state.ephemerals.length;
  await bot.send.command(
    slashCommand({ command: '/gemini-reset', text, user, channel, responseUrl: bot.slack.responseUrl() }),
  );
  return bot.slack.waitFor(() =>
    bot.slack.state.ephemerals.slice(before).find((e) => e.via === 'response_url'),
  );
}

async function ask(channel: string, user: string, text: string): Promise<string> {
  const ts = userTs();
  await bot.send.event(appMention({ channel, user, text: mention(text), ts }));
  await bot.finishedReply(channel, ts);
  await bot.handle.idle();
  return ts;
}

const history = (channel: string, thread: string) => bot.engine.store.history.load(key(channel, thread));

describe('/gemini-reset without a link', () => {
  it('in a DM forgets the DM conversation', async () => {
    await bot.send.event(message({ channel: 'D950', user: 'UASKER', text: 'hello there' }));
    await bot.slack.waitFor(() => bot.slack.state.messages.find((m) => m.channel === 'D950'));
    await bot.handle.idle();
    expect(await history('D950', 'D950')).toHaveLength(2);
    const answer = await run('', 'UASKER', 'D950');
    expect(answer.text).toContain('reset');
    expect(await history('D950', 'D950')).toEqual([]);
  });

  it('in a channel forgets the caller’s most recent conversation there and links to it', async () => {
    const older = await ask('C951', 'UASKER', 'first topic');
    const newer = await ask('C951', 'UASKER', 'second topic');
    const someoneElse = await ask('C951', 'UOTHER', 'not yours');
    const elsewhere = await ask('C952', 'UASKER', 'another channel');

    const answer = await run('', 'UASKER', 'C951');
    expect(answer.responseType).toBe('ephemeral');
    const permalink = bot.slack.callsOf('chat.getPermalink').at(-1)!;
    expect(permalink.args).toMatchObject({ channel: 'C951', message_ts: newer });
    expect(answer.text).toContain(`/archives/C951/p${newer.replace('.', '')}`);

    expect(await history('C951', newer)).toEqual([]);
    expect(await history('C951', older)).toHaveLength(2);
    expect(await history('C951', someoneElse)).toHaveLength(2);
    expect(await history('C952', elsewhere)).toHaveLength(2);
  });

  it('in a channel where the caller has no conversation says how to choose one, and forgets nothing', async () => {
    const theirs = await ask('C953', 'UOTHER', 'mine only');
    const answer = await run('', 'UASKER', 'C953');
    expect(answer.text).toContain('no recent conversation');
    expect(await history('C953', theirs)).toHaveLength(2);
  });

  it('still resets a thread given by its link, and still refuses a link into another channel', async () => {
    const root = await ask('C954', 'UASKER', 'linked');
    const link = `https://emulated.slack.com/archives/C954/p${root.replace('.', '')}`;
    const refused = await run(link, 'UASKER', 'C955');
    expect(refused.text).toContain('only in the channel');
    expect(await history('C954', root)).toHaveLength(2);
    await run(link, 'UASKER', 'C954');
    expect(await history('C954', root)).toEqual([]);
  });
});

describe('the New conversation button', () => {
  async function press(user: string, channel: string, thread: string) {
    const [reply] = bot.slack.thread(channel, thread);
    const actions = reply!.blocks!.find((block: { type: string }) => block.type === 'actions');
    const button = actions.elements.find(
      (element: { action_id: string }) => element.action_id === NEW_CONVERSATION_ACTION_ID,
    );
    expect(button).toBeDefined();
    const before = bot.slack.state.ephemerals.length;
    await bot.send.interaction(
      blockAction({
        actionId: NEW_CONVERSATION_ACTION_ID,
        value: button.value,
        user,
        channel,
        messageTs: reply!.ts,
        threadTs: thread,
      }),
    );
    return bot.slack.waitFor(() => bot.slack.state.ephemerals.slice(before).find((e) => e.user === user));
  }

  it('is on the last reply; someone else is refused and the history kept', async () => {
    const root = await ask('C956', 'UASKER', 'keep me');
    const refused = await press('UOTHER', 'C956', root);
    expect(refused.text).toContain('Only the person who asked');
    expect(await history('C956', root)).toHaveLength(2);
  });

  it('lets the asker start the thread afresh', async () => {
    const root = await ask('C957', 'UASKER', 'forget me');
    const done = await press('UASKER', 'C957', root);
    expect(done.text).toContain('fresh');
    expect(await history('C957', root)).toEqual([]);
  });

  it('lets an admin start someone’s thread afresh', async () => {
    const root = await ask('C958', 'UASKER', 'admin may');
    await press('UADMIN', 'C958', root);
    expect(await history('C958', root)).toEqual([]);
  });
});
