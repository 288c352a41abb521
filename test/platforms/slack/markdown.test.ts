/**
 * Model output is sent as Slack's own `markdown` block, so Slack renders standard Markdown itself:
 * through the real Bolt receiver and the real engine against the emulator, which refuses a message
 * whose markdown blocks hold more than 12,000 characters (invalid_blocks), as Slack does.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_MARKDOWN_BLOCKS_TEXT } from '../../emulators/slack/methods.js';
import { appMention, userTs } from '../../emulators/slack/payloads.js';
import type { EmulatedMessage } from '../../emulators/slack/state.js';
import { type SlackBot, startSlackBot } from './bot.js';

let bot: SlackBot;
const mention = (text: string) => `<@${bot?.slack.botUserId}> ${text}`;

beforeAll(async () => {
  bot = await startSlackBot({ start: { budgets: { update: { perMinute: 6_000, burst: 100 } } } });
  bot.slack.rateLimits.set('chat.update', undefined);
});
afterAll(async () => {
  await bot?.close();
});
beforeEach(() => {
  bot.upstream.reset();
});

/** The markdown a message shows: the text of its markdown blocks, in order. */
function markdownOf(reply: EmulatedMessage): string {
  return (reply.blocks ?? [])
    .filter((block: { type: string }) => block.type === 'markdown')
    .map((block: { text: string }) => block.text)
    .join('');
}

async function answer(content: string[], channel: string): Promise<EmulatedMessage[]> {
  bot.upstream.enqueue({ content });
  const ts = userTs();
  await bot.send.event(appMention({ channel, user: 'U1', text: mention('format this'), ts }));
  return bot.finishedReply(channel, ts);
}

describe('Slack markdown blocks', () => {
  it('sends the answer as standard Markdown: 2**10 and a link with parentheses arrive untouched', async () => {
    const markdown = '2**10 = 1024, **bold**, and [Foo](https://en.wikipedia.org/wiki/Foo_(bar)).';
    const [reply] = await answer([markdown], 'C900');
    expect(markdownOf(reply!)).toBe(markdown);
    expect(reply!.blocks!.some((block: { type: string }) => block.type === 'section')).toBe(false);
    // The notification text is plain and whole.
    expect(reply!.text).toBe(markdown);
  });

  it('never lets model output ping, in the markdown block or in the notification text', async () => {
    const [reply] = await answer(['Hey <!channel>, <!here> and <@U123> see <#C42>.'], 'C901');
    expect(markdownOf(reply!)).not.toMatch(/<[!@#]/);
    expect(markdownOf(reply!).replaceAll('\u200B', '')).toBe(
      'Hey <!channel>, <!here> and <@U123> see <#C42>.',
    );
    expect(reply!.text).not.toMatch(/<[!@#]/);
  });

  it('shows a Markdown table as a code block, which Slack renders aligned', async () => {
    const [reply] = await answer(['Results:\n\n| a | b |\n|---|:-:|\n| 1 | 2 |\n\nafter'], 'C902');
    expect(markdownOf(reply!)).toBe('Results:\n\n```\n| a | b |\n| 1 | 2 |\n```\n\nafter');
  });

  it('splits a 25,000-character answer so every message’s markdown stays within 12,000', async () => {
    const paragraph = (n: number) => `Paragraph ${n}: ${'lorem ipsum dolor sit amet '.repeat(12).trim()}.`;
    const parts: string[] = [];
    for (let n = 0; parts.join('\n\n').length < 25_000; n++) parts.push(paragraph(n));
    const text = parts.join('\n\n');
    bot.upstream.enqueue({ content: text.match(/[\s\S]{1,2000}/g)! });
    const ts = userTs();
    await bot.send.event(appMention({ channel: 'C903', user: 'U1', text: mention('a lot'), ts }));
    const replies = await bot.finishedReply('C903', ts, 3);
    expect(replies.length).toBeGreaterThanOrEqual(3);
    for (const reply of replies) {
      expect(markdownOf(reply).length).toBeLessThanOrEqual(MAX_MARKDOWN_BLOCKS_TEXT);
      expect(reply.text.length).toBeLessThanOrEqual(3_990);
    }
    const words = (value: string) => value.split(/\s+/).filter(Boolean);
    expect(words(replies.map(markdownOf).join(' '))).toEqual(words(text));
    const refused = bot.slack.calls.filter((call) => call.error === 'invalid_blocks');
    expect(refused).toHaveLength(0);
  });
});

describe('the emulator’s markdown block limit', () => {
  it('refuses more than 12,000 characters of markdown blocks in one message with invalid_blocks', async () => {
    const half = 'x'.repeat(6_001);
    const blocks = [
      { type: 'markdown', text: half },
      { type: 'markdown', text: half },
    ];
    const refused = await bot.handle.app.client.chat
      .postMessage({ channel: 'C904', text: 'fallback', blocks })
      .catch((error: { data?: { error?: string } }) => error.data?.error);
    expect(refused).toBe('invalid_blocks');
    const fine = await bot.handle.app.client.chat.postMessage({
      channel: 'C904',
      text: 'fallback',
      blocks: [{ type: 'markdown', text: half }],
    });
    expect(fine.ok).toBe(true);
  });
});
