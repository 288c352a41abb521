/**
 * Slack's native streaming (chat.startStream / appendStream / stopStream) and its fallbacks: a
 * workspace without it gets post-then-update (and is not asked again), and a stream Slack closes
 * after its age limit continues in a new message of the thread. While the model thinks, the stream
 * shows a "Thinking…" task (task_update chunk), completed when the answer starts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { agentSessionStopped, appMention, message, userTs } from '../../emulators/slack/payloads.js';
import type { RecordedCall } from '../../emulators/slack/server.js';
import { type SlackBot, startSlackBot } from './bot.js';

/** The markdown a streaming call carried, as markdown_text or as markdown_text chunks. */
function markdownOf(call: RecordedCall): string {
  const chunks = call.args.chunks ? (JSON.parse(call.args.chunks) as { type: string; text?: string }[]) : [];
  return (
    (call.args.markdown_text ?? '') + chunks.map((c) => (c.type === 'markdown_text' ? c.text : '')).join('')
  );
}

/** The task_update chunks a streaming call carried. */
function tasksOf(call: RecordedCall): { id: string; title: string; status: string; details?: string }[] {
  const chunks = call.args.chunks ? (JSON.parse(call.args.chunks) as { type: string }[]) : [];
  return chunks.filter((c) => c.type === 'task_update') as never;
}

let bot: SlackBot;
const mention = (text: string) => `<@${bot?.slack.botUserId}> ${text}`;

beforeAll(async () => {
  bot = await startSlackBot({ env: { SLACK_NATIVE_STREAMING: 'true' } });
});
afterAll(async () => {
  await bot?.close();
});
beforeEach(() => {
  bot.upstream.reset();
  bot.slack.reset();
});

describe('native streaming', () => {
  it('streams the answer with the asker as recipient, appending only new text, and ends with Regenerate', async () => {
    bot.upstream.enqueue({
      reasoning: ['mulling'],
      content: ['The **answer** ', 'is ', '42.'],
      chunkDelayMs: 250,
    });
    const ts = userTs();
    await bot.send.event(appMention({ channel: 'C500', user: 'U7', text: mention('what?'), ts }));
    const [reply] = await bot.finishedReply('C500', ts);
    expect(reply!.via).toBe('startStream');
    // Native streams render Markdown themselves: the text arrives as the model wrote it.
    expect(reply!.text).toBe('The **answer** is 42.');
    const start = bot.slack.callsOf('chat.startStream')[0]!;
    expect(start.args).toMatchObject({
      channel: 'C500',
      thread_ts: ts,
      recipient_user_id: 'U7',
      recipient_team_id: bot.slack.teamId,
    });
    const appended = bot.slack.callsOf('chat.appendStream').map(markdownOf).filter(Boolean);
    expect(appended.length).toBeGreaterThanOrEqual(2);
    expect(appended.join('')).toBe('The **answer** is 42.');
    expect(bot.slack.callsOf('chat.update')).toHaveLength(0);
    expect(JSON.stringify(reply!.blocks)).toContain('gemini_regenerate');
  });

  it('shows a "Thinking…" task from the start while a reasoning model thinks, completed when the answer starts', async () => {
    bot.upstream.enqueue({
      reasoning: ['weighing ', 'the ', 'options ', 'carefully'],
      content: ['Plain ', '**answer**.'],
      chunkDelayMs: 300,
    });
    const ts = userTs();
    await bot.send.event(appMention({ channel: 'C505', user: 'U7', text: mention('think first'), ts }));
    // The stream starts before any content, with the task in progress: the user sees the bot working.
    const started = await bot.slack.waitFor(() => bot.slack.callsOf('chat.startStream')[0]);
    expect(tasksOf(started)).toEqual([
      { type: 'task_update', id: 'thinking', title: 'Thinking…', status: 'in_progress' },
    ]);
    expect(markdownOf(started)).toBe('');
    const [reply] = await bot.finishedReply('C505', ts);
    expect(reply!.via).toBe('startStream');
    expect(reply!.text).toBe('Plain **answer**.');
    expect(reply!.tasks.get('thinking')!.statuses).toEqual(['in_progress', 'complete']);
    // Status mode: the reasoning itself is not shown.
    expect(reply!.tasks.get('thinking')!.details).toBeUndefined();
    // The task completes in the same call that carries the answer's first text.
    const completing = bot.slack.callsOf('chat.appendStream').find((c) => tasksOf(c).length > 0)!;
    expect(tasksOf(completing)[0]!.status).toBe('complete');
    expect(markdownOf(completing)).toBe(bot.slack.callsOf('chat.appendStream').map(markdownOf).find(Boolean));
  });

  it('never lets model output ping: <!channel>, <!here> and user mentions arrive inert', async () => {
    bot.upstream.enqueue({
      content: ['Hey <', '!channel> and <!here>, ', 'ask <@U123>.'],
      chunkDelayMs: 150,
    });
    const ts = userTs();
    await bot.send.event(appMention({ channel: 'C501', user: 'U7', text: mention('ping all'), ts }));
    const [reply] = await bot.finishedReply('C501', ts);
    expect(reply!.via).toBe('startStream');
    const streamed = [
      ...bot.slack.callsOf('chat.startStream').map(markdownOf),
      ...bot.slack.callsOf('chat.appendStream').map(markdownOf),
    ].join('');
    expect(streamed).not.toMatch(/<[!@#]/);
    expect(streamed.replaceAll('\u200B', '')).toBe('Hey <!channel> and <!here>, ask <@U123>.');
  });

  it('continues in a new message when Slack closes a stream that got too old', async () => {
    bot.slack.streamMaxAgeMs = 600;
    try {
      const words = Array.from({ length: 12 }, (_, i) => `w${i} `);
      bot.upstream.enqueue({ content: words, chunkDelayMs: 150 });
      const ts = userTs();
      await bot.send.event(appMention({ channel: 'C502', user: 'U7', text: mention('long one'), ts }));
      const replies = await bot.finishedReply('C502', ts, 2);
      expect(replies.length).toBeGreaterThanOrEqual(2);
      expect(replies.every((r) => r.via === 'startStream')).toBe(true);
      expect(replies.map((r) => r.text).join('')).toBe(words.join(''));
    } finally {
      bot.slack.streamMaxAgeMs = 5 * 60_000;
    }
  });

  it('answers a top-level DM (no thread to stream into) by post then update', async () => {
    await bot.send.event(message({ channel: 'D503', user: 'U7', text: 'hi there' }));
    const reply = await bot.slack.waitFor(() =>
      bot.slack.state.messages.find((m) => m.channel === 'D503' && m.text === 'Echo: hi there'),
    );
    expect(reply.via).toBe('postMessage');
    expect(bot.slack.callsOf('chat.startStream')).toHaveLength(0);
  });

  it('splits a long streamed answer into thread messages without refused calls', async () => {
    const paragraphs = Array.from(
      { length: 40 },
      (_, n) => `Paragraph ${n}: ${'stream me '.repeat(20).trim()}.`,
    );
    const answer = `${paragraphs.slice(0, 15).join('\n\n')}\n\n\`\`\`js\n${'let x = 1;\n'.repeat(150)}\`\`\`\n\n${paragraphs.slice(15).join('\n\n')}`;
    bot.upstream.enqueue({ content: answer.match(/[\s\S]{1,400}/g)!, chunkDelayMs: 20 });
    const ts = userTs();
    await bot.send.event(appMention({ channel: 'C504', user: 'U7', text: mention('long'), ts }));
    const replies = await bot.finishedReply('C504', ts, 3);
    const shown = replies.map((r) => r.text).join('\n');
    for (const n of [0, 14, 15, 39]) expect(shown).toContain(`Paragraph ${n}:`);
    for (const reply of replies) expect((reply.text.match(/```/g) ?? []).length % 2).toBe(0);
    expect(bot.slack.calls.filter((c) => c.error && c.error !== 'message_not_in_streaming_state')).toEqual(
      [],
    );
    expect(bot.slack.rateLimitedCount()).toBe(0);
  });

  it('completes the task as an error when the turn fails before any content', async () => {
    bot.upstream.enqueue({
      reasoning: ['hmm ', 'hmm'],
      chunkDelayMs: 200,
      fault: { kind: 'stream_error', afterChunks: 3, code: 'server_error', message: 'boom' },
    });
    const ts = userTs();
    await bot.send.event(appMention({ channel: 'C506', user: 'U7', text: mention('fail me'), ts }));
    const [reply] = await bot.finishedReply('C506', ts);
    expect(reply!.via).toBe('startStream');
    expect(reply!.tasks.get('thinking')!.statuses).toEqual(['in_progress', 'error']);
    expect(reply!.text).toMatch(/\S/);
  });

  it("Slack's stop button ends a native stream where it is: no new message, Stopped and Regenerate on it", async () => {
    bot.upstream.enqueue({ content: Array.from({ length: 60 }, (_, n) => `s${n} `), chunkDelayMs: 100 });
    const ts = userTs();
    await bot.send.event(appMention({ channel: 'C508', user: 'U7', text: mention('stream on'), ts }));
    const streaming = await bot.slack.waitFor(() =>
      bot.slack.thread('C508', ts).find((m) => m.streaming && m.text.includes('s3')),
    );
    // What Slack does on the click: it stops the session's streams, then sends the event.
    streaming.streaming = false;
    await bot.send.event(
      agentSessionStopped({ user: 'U7', channel: 'C508', threadTs: ts, streamingMessageTs: [streaming.ts] }),
    );
    const replies = await bot.finishedReply('C508', ts);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.text).toContain('Stopped');
    expect(replies[0]!.text).not.toContain('s59');
    await bot.handle.idle();
    expect(bot.slack.callsOf('chat.startStream')).toHaveLength(1);
  });

  // Last: once a workspace is known to lack native streaming, the bot stops trying there.
  it('falls back to post-then-update when the workspace lacks native streaming, and remembers it', async () => {
    bot.slack.disable('chat.startStream');
    const first = userTs();
    await bot.send.event(
      appMention({ channel: 'C501', user: 'U7', text: mention('one **bold**'), ts: first }),
    );
    const [reply] = await bot.finishedReply('C501', first);
    expect(reply!.via).toBe('postMessage');
    expect(reply!.text).toBe('Echo: one **bold**');

    const second = userTs();
    await bot.send.event(appMention({ channel: 'C501', user: 'U7', text: mention('two'), ts: second }));
    await bot.finishedReply('C501', second);
    expect(bot.slack.callsOf('chat.startStream')).toHaveLength(1);
  });
});

describe('native streaming with REASONING_DISPLAY=text', () => {
  let textBot: SlackBot;
  beforeAll(async () => {
    textBot = await startSlackBot({ env: { SLACK_NATIVE_STREAMING: 'true', REASONING_DISPLAY: 'text' } });
  });
  afterAll(async () => {
    await textBot?.close();
  });

  it("shows the reasoning's tail as the task's details, and the answer byte-exact after it", async () => {
    textBot.upstream.enqueue({
      reasoning: ['First I ', 'consider <!here> ', 'the question.'],
      content: ['The answer: ', '`x < 2`.'],
      chunkDelayMs: 250,
    });
    const ts = userTs();
    await textBot.send.event(
      appMention({ channel: 'C507', user: 'U7', text: `<@${textBot.slack.botUserId}> why?`, ts }),
    );
    const [reply] = await textBot.finishedReply('C507', ts);
    expect(reply!.via).toBe('startStream');
    expect(reply!.text).toBe('The answer: `x < 2`.');
    const task = reply!.tasks.get('thinking')!;
    expect(task.statuses[0]).toBe('in_progress');
    expect(task.statuses.at(-1)).toBe('complete');
    // The tail as the model wrote it, never pinging.
    expect(task.details!.replaceAll('\u200B', '')).toContain('First I consider <!here> the question.');
    expect(task.details).not.toMatch(/<[!@#]/);
  });
});

describe('native streaming under a burst of replies', () => {
  let burstBot: SlackBot;
  beforeAll(async () => {
    // chat.startStream / stopStream tightened to 3 at once, the bot's budget for them to 2 (a token
    // of headroom, as the production budget keeps half of Slack's burst): four replies at once make
    // eight calls, which must wait their turn instead of drawing 429s.
    burstBot = await startSlackBot({
      env: { SLACK_NATIVE_STREAMING: 'true' },
      start: { budgets: { stream: { perMinute: 120, burst: 2 } } },
    });
    for (const method of ['chat.startStream', 'chat.stopStream'])
      burstBot.slack.rateLimits.set(method, { perMinute: 120, burst: 3 });
  });
  afterAll(async () => {
    await burstBot?.close();
  });

  it('every reply streams and ends exact, and Slack answers no start or stop 429', async () => {
    const threads = ['C561', 'C562', 'C563', 'C564'].map((channel) => ({ channel, ts: userTs() }));
    for (const _ of threads) burstBot.upstream.enqueue({ content: ['all ', 'fine'], chunkDelayMs: 50 });
    await Promise.all(
      threads.map(({ channel, ts }) =>
        burstBot.send.event(
          appMention({ channel, user: 'U7', text: `<@${burstBot.slack.botUserId}> go`, ts }),
        ),
      ),
    );
    for (const { channel, ts } of threads) {
      const [reply] = await burstBot.finishedReply(channel, ts);
      expect(reply!.text).toBe('all fine');
    }
    expect(burstBot.slack.calls.filter((call) => call.status === 429).map((call) => call.method)).toEqual([]);
  });
});
