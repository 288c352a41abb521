/**
 * Talking to the bot in Slack, end to end through the real Bolt receiver: mentions answered in
 * threads, follow-ups without a mention, DMs, the AI app surface, and the events it must ignore.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  appMention,
  assistantThreadStarted,
  message,
  messageChanged,
  userTs,
} from '../../emulators/slack/payloads.js';
import { type SlackBot, startSlackBot } from './bot.js';

let bot: SlackBot;

beforeAll(async () => {
  bot = await startSlackBot({ start: { budgets: { update: { perMinute: 6_000, burst: 100 } } } });
});
afterAll(async () => {
  await bot?.close();
});
beforeEach(() => {
  bot.upstream.reset();
});

const lastUserPrompt = (index: number) => {
  const messages = bot.upstream.requests[index]!.body.messages as { role: string; content: unknown }[];
  return messages
    .filter((m) => m.role !== 'system')
    .map((m) => `${m.role}: ${typeof m.content === 'string' ? m.content : JSON.stringify(m.content)}`);
};

describe('a mention in a channel', () => {
  it('is answered in a thread under the message, streamed by post then update', async () => {
    bot.upstream.enqueue({
      reasoning: ['hmm'],
      content: ['The **answer** ', 'is ', '42.'],
      chunkDelayMs: 30,
    });
    const ts = userTs();
    const sent = await bot.send.event(
      appMention({ channel: 'C100', user: 'U1', text: `<@${bot.slack.botUserId}> what is it?`, ts }),
    );
    expect(sent.status).toBe(200);
    const [reply] = await bot.finishedReply('C100', ts);
    expect(reply!.text).toBe('The **answer** is 42.');
    // It was posted first (a placeholder), then updated in place as the answer streamed.
    expect(reply!.versions[0]).toContain('Thinking');
    expect(reply!.versions.length).toBeGreaterThan(1);
    expect(bot.upstream.requests[0]!.body.messages.at(-1)).toEqual({ role: 'user', content: 'what is it?' });
  });

  it('continues a three-turn thread without mentions, with history in order at the upstream', async () => {
    const root = userTs();
    await bot.send.event(
      appMention({ channel: 'C101', user: 'U1', text: `<@${bot.slack.botUserId}> one`, ts: root }),
    );
    await bot.finishedReply('C101', root, 1);
    await bot.send.event(message({ channel: 'C101', user: 'U2', text: 'two', threadTs: root }));
    await bot.finishedReply('C101', root, 2);
    await bot.send.event(message({ channel: 'C101', user: 'U1', text: 'three', threadTs: root }));
    const replies = await bot.finishedReply('C101', root, 3);
    expect(replies.map((r) => r.text)).toEqual(['Echo: one', 'Echo: two', 'Echo: three']);
    expect(lastUserPrompt(2)).toEqual([
      'user: one',
      'assistant: Echo: one',
      'user: two',
      'assistant: Echo: two',
      'user: three',
    ]);
  });

  it('follows a thread message sent while its first answer is still streaming', async () => {
    bot.upstream.enqueue({ content: ['first ', 'answer ', 'slowly'], chunkDelayMs: 150 });
    const root = userTs();
    await bot.send.event(
      appMention({ channel: 'C106', user: 'U1', text: `<@${bot.slack.botUserId}> start`, ts: root }),
    );
    const deadline = Date.now() + 5_000;
    while (bot.upstream.requests.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await bot.send.event(message({ channel: 'C106', user: 'U1', text: 'and meanwhile', threadTs: root }));
    const replies = await bot.finishedReply('C106', root, 2);
    expect(replies.map((r) => r.text)).toEqual(['first answer slowly', 'Echo: and meanwhile']);
    expect(lastUserPrompt(1)).toEqual([
      'user: start',
      'assistant: first answer slowly',
      'user: and meanwhile',
    ]);
  });

  it('ignores a thread message without a mention where the bot has not answered', async () => {
    const root = userTs();
    await bot.send.event(message({ channel: 'C102', user: 'U1', text: 'just chatting', threadTs: root }));
    await bot.send.event(message({ channel: 'C102', user: 'U1', text: 'top-level chatter' }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(bot.upstream.requests).toHaveLength(0);
  });

  it('answers once when the mention arrives as app_mention and as a message event', async () => {
    const ts = userTs();
    const text = `<@${bot.slack.botUserId}> only once`;
    await Promise.all([
      bot.send.event(appMention({ channel: 'C103', user: 'U1', text, ts })),
      bot.send.event(message({ channel: 'C103', user: 'U1', text, ts })),
    ]);
    await bot.finishedReply('C103', ts);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(bot.slack.thread('C103', ts)).toHaveLength(1);
    expect(bot.upstream.requests).toHaveLength(1);
  });

  it('answers a redelivered event (X-Slack-Retry-Num) once, even while the first answer is slow', async () => {
    bot.upstream.enqueue({ content: ['slow ', 'answer'], chunkDelayMs: 200 });
    const ts = userTs();
    const event = appMention({ channel: 'C104', user: 'U1', text: `<@${bot.slack.botUserId}> slow`, ts });
    const first = await bot.send.event(event);
    const retry = await bot.send.event(event, {
      eventId: first.eventId,
      retryNum: 1,
      retryReason: 'http_timeout',
    });
    expect(retry.status).toBe(200);
    await bot.finishedReply('C104', ts);
    expect(bot.slack.thread('C104', ts).map((m) => m.text)).toEqual(['slow answer']);
    expect(bot.upstream.requests).toHaveLength(1);
  });

  it("ignores the bot's own edit events, other bots and join messages", async () => {
    const ts = userTs();
    await bot.send.event(
      messageChanged({
        channel: 'C105',
        ts,
        text: `<@${bot.slack.botUserId}> edited`,
        botId: bot.slack.botId,
        botUserId: bot.slack.botUserId,
      }),
    );
    await bot.send.event(
      message({ channel: 'C105', user: 'U9', text: `<@${bot.slack.botUserId}> hi`, botId: 'BOTHER' }),
    );
    await bot.send.event(
      message({
        channel: 'C105',
        user: 'U1',
        text: `<@${bot.slack.botUserId}> joined`,
        subtype: 'channel_join',
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(bot.upstream.requests).toHaveLength(0);
    expect(bot.slack.callsOf('chat.postMessage').filter((c) => c.args.channel === 'C105')).toHaveLength(0);
  });
});

describe('direct messages and the AI app surface', () => {
  it('answers each DM message in the DM, continuing one conversation', async () => {
    await bot.send.event(message({ channel: 'D200', user: 'U1', text: 'hello there' }));
    await bot.slack.waitFor(() =>
      bot.slack.state.messages.find((m) => m.channel === 'D200' && m.text === 'Echo: hello there'),
    );
    await bot.send.event(message({ channel: 'D200', user: 'U1', text: 'and again' }));
    await bot.slack.waitFor(() =>
      bot.slack.state.messages.find((m) => m.channel === 'D200' && m.text === 'Echo: and again'),
    );
    expect(lastUserPrompt(1)).toEqual([
      'user: hello there',
      'assistant: Echo: hello there',
      'user: and again',
    ]);
  });

  it('sets suggested prompts and a title when an assistant thread starts, and a thinking status while reasoning', async () => {
    const threadTs = userTs();
    await bot.send.event(assistantThreadStarted({ channel: 'D201', user: 'U1', threadTs }));
    const prompts = await bot.slack.waitFor(
      () => bot.slack.callsOf('assistant.threads.setSuggestedPrompts')[0],
    );
    expect(JSON.parse(prompts.args.prompts!).length).toBeGreaterThan(0);
    await bot.slack.waitFor(() => bot.slack.callsOf('assistant.threads.setTitle')[0]);

    bot.upstream.enqueue({ reasoning: ['thinking hard'], content: ['Done thinking.'], chunkDelayMs: 50 });
    await bot.send.event(message({ channel: 'D201', user: 'U1', text: 'Plan my week', threadTs }));
    const [reply] = await bot.finishedReply('D201', threadTs);
    expect(reply!.text).toBe('Done thinking.');
    const statuses = bot.slack.callsOf('assistant.threads.setStatus').map((c) => c.args.status);
    expect(statuses[0]).toMatch(/thinking/);
    expect(statuses.at(-1)).toBe('');
    const titles = bot.slack.callsOf('assistant.threads.setTitle').map((c) => c.args.title);
    expect(titles).toContain('Plan my week');
  });
});
