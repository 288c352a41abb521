/**
 * 👍/👎 and Regenerate on another model on Slack, through the real Bolt receiver against the
 * emulator (which checks the blocks as Slack does): a finished answer carries feedback_buttons in a
 * context_actions block and a static_select of the allowed models; a click is kept once per user
 * and answer (a second click changes it), told privately, and refused to a blocked user; choosing a
 * model answers again with it, and history then holds only the new answer.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConversationKey } from '../../../src/store/types.js';
import { appMention, blockAction, userTs } from '../../emulators/slack/payloads.js';
import type { EmulatedMessage } from '../../emulators/slack/state.js';
import { type SlackBot, startSlackBot } from './bot.js';

let bot: SlackBot;
const mention = (text: string) => `<@${bot?.slack.botUserId}> ${text}`;

beforeAll(async () => {
  bot = await startSlackBot({ env: { BLOCK_USERS: 'UBAD' } });
  for (const id of ['UASK', 'UOTHER', 'UBAD']) bot.slack.addUser({ id, name: id.toLowerCase() });
});
afterAll(async () => {
  await bot?.close();
});
beforeEach(() => bot.upstream.reset());

interface Element {
  type: string;
  action_id: string;
  value?: string;
  options?: Array<{ text: { text: string }; value: string }>;
}
type Block = { type: string; elements?: Element[] };

async function conversation(channel: string, prompt = 'what is 2+2?') {
  const ts = userTs();
  await bot.send.event(appMention({ channel, user: 'UASK', text: mention(prompt), ts }));
  const [reply] = await bot.finishedReply(channel, ts);
  const key: ConversationKey = { platform: 'slack', workspace: bot.slack.teamId, channel, thread: ts };
  return { ts, key, reply: reply! };
}

function element(reply: EmulatedMessage, type: string): Element | undefined {
  return (reply.blocks as Block[]).flatMap((b) => b.elements ?? []).find((e) => e.type === type);
}

async function click(user: string, channel: string, ts: string, reply: EmulatedMessage, value: string) {
  const feedback = element(reply, 'feedback_buttons')!;
  await bot.send.interaction(
    blockAction({
      actionId: feedback.action_id,
      element: 'feedback_buttons',
      blockId: 'reply_feedback',
      value,
      user,
      channel,
      messageTs: reply.ts,
      threadTs: ts,
    }),
  );
}

/** The next ephemeral line to `user` after `before` of them were already shown. */
function nextEphemeral(user: string, before: number) {
  return bot.slack.waitFor(() => bot.slack.state.ephemerals.slice(before).find((e) => e.user === user));
}

async function ratingsOf(messageId: string) {
  return (await bot.engine.store.feedback.list()).filter((r) => r.messageId === messageId);
}

describe('👍 / 👎 on Slack', () => {
  it('a finished answer carries feedback_buttons in a context_actions block and a menu of the models', async () => {
    const { reply } = await conversation('C900');
    const blocks = reply.blocks as Block[];
    const contextActions = blocks.find((b) => b.type === 'context_actions');
    expect(contextActions?.elements?.map((e) => e.type)).toEqual(['feedback_buttons']);
    // Regenerate stays the first element of the last block, New conversation next; the model menu follows.
    const lastElements = blocks.at(-1)!.elements!;
    expect(lastElements.map((e) => e.type)).toEqual(['button', 'button', 'static_select']);
    expect(lastElements.map((e) => e.action_id).slice(0, 2)).toEqual([
      'gemini_regenerate',
      'gemini_new_conversation',
    ]);
    const menu = element(reply, 'static_select')!;
    expect(menu.options!.map((o) => o.text.text)).toEqual(bot.engine.config.models.allowed);
  });

  it('keeps one rating per user and answer, a second click changes it, each told privately', async () => {
    const { ts, reply } = await conversation('C901');
    let before = bot.slack.state.ephemerals.length;
    await click('UASK', 'C901', ts, reply, 'positive');
    expect((await nextEphemeral('UASK', before)).text).toContain('Thanks');
    expect((await ratingsOf(reply.ts)).map((r) => r.rating)).toEqual(['positive']);

    before = bot.slack.state.ephemerals.length;
    await click('UASK', 'C901', ts, reply, 'negative');
    expect((await nextEphemeral('UASK', before)).text).toContain('Changed');
    before = bot.slack.state.ephemerals.length;
    await click('UOTHER', 'C901', ts, reply, 'positive');
    await nextEphemeral('UOTHER', before);

    const kept = await ratingsOf(reply.ts);
    expect(kept.map((r) => `${r.userId}:${r.rating}`).sort()).toEqual(['UASK:negative', 'UOTHER:positive']);
    expect(kept.find((r) => r.userId === 'UASK')).toMatchObject({
      platform: 'slack',
      conversationId: `slack:${bot.slack.teamId}:C901:${ts}`,
      prompt: 'what is 2+2?',
      model: bot.engine.config.models.default,
      traceId: bot.upstream.requests[0]!.traceId,
    });
  });

  it('refuses a blocked user privately and stores nothing', async () => {
    const { ts, reply } = await conversation('C902');
    const before = bot.slack.state.ephemerals.length;
    await click('UBAD', 'C902', ts, reply, 'negative');
    expect((await nextEphemeral('UBAD', before)).text).toContain('not allowed');
    expect(await ratingsOf(reply.ts)).toEqual([]);
  });
});

describe('Regenerate on another model', () => {
  it('answers again with the chosen model; history holds only the new answer', async () => {
    const other = bot.engine.config.models.allowed.find((m) => m !== bot.engine.config.models.default)!;
    bot.upstream.enqueue({ content: ['first answer'] }, { content: ['second answer'] });
    const { ts, key, reply } = await conversation('C903', 'pick a number');
    const option = element(reply, 'static_select')!.options!.find((o) => o.text.text === other)!;
    await bot.send.interaction(
      blockAction({
        actionId: element(reply, 'static_select')!.action_id,
        element: 'static_select',
        value: option.value,
        user: 'UASK',
        channel: 'C903',
        messageTs: reply.ts,
        threadTs: ts,
      }),
    );
    await bot.finishedReply('C903', ts, 2);
    expect(bot.upstream.requests[1]!.body.model).toBe(other);
    expect(bot.upstream.requests[1]!.body.messages.at(-1).content).toBe('pick a number');
    // The reply shows done a moment before the turn is saved.
    await vi.waitFor(async () => {
      const history = await bot.engine.store.history.load(key);
      expect(history.map((t) => [t.role, t.text, t.model ?? ''])).toEqual([
        ['user', 'pick a number', ''],
        ['assistant', 'second answer', other],
      ]);
    });
  });

  it('refuses the menu to someone other than the asker, without asking the upstream', async () => {
    const { ts, reply } = await conversation('C904');
    bot.upstream.reset();
    const menu = element(reply, 'static_select')!;
    const before = bot.slack.state.ephemerals.length;
    await bot.send.interaction(
      blockAction({
        actionId: menu.action_id,
        element: 'static_select',
        value: menu.options![1]!.value,
        user: 'UOTHER',
        channel: 'C904',
        messageTs: reply.ts,
        threadTs: ts,
      }),
    );
    expect((await nextEphemeral('UOTHER', before)).text).toContain('Only the person who asked');
    expect(bot.upstream.requests).toHaveLength(0);
  });
});

describe("the emulator's block checks", () => {
  it('refuses what Slack refuses in context_actions and static_select, and passes what the bot sends', async () => {
    const { blockErrors } = await import('../../emulators/slack/blocks.js');
    const { replyBlocks } = await import('../../../src/platforms/slack/reply-blocks.js');
    const key: ConversationKey = { platform: 'slack', workspace: 'T1', channel: 'C1', thread: '1.2' };
    const models = bot.engine.config.models.allowed;
    expect(blockErrors(replyBlocks('answer', 'done', key, true, models))).toBeUndefined();
    const button = { type: 'button', action_id: 'b', text: { type: 'plain_text', text: 'x' } };
    expect(blockErrors([{ type: 'context_actions', elements: [button] }])).toHaveLength(1);
    const options = Array.from({ length: 101 }, (_, i) => ({
      text: { type: 'plain_text', text: `m${i}` },
      value: `${i}`,
    }));
    expect(
      blockErrors([{ type: 'actions', elements: [{ type: 'static_select', action_id: 's', options }] }]),
    ).toHaveLength(1);
  });
});
