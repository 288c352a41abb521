/**
 * What a reply looks like in Slack: private files reaching the model, long answers split into
 * thread messages, update pacing under a shared budget, upstream failures, Stop and Regenerate,
 * and refused requests. All through the real Bolt receiver and the real engine.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appMention, blockAction, message, userTs } from '../../emulators/slack/payloads.js';
import { type SlackBot, startSlackBot } from './bot.js';

let bot: SlackBot;
const mention = (text: string) => `<@${bot?.slack.botUserId}> ${text}`;

beforeAll(async () => {
  // A roomy update budget: pacing under the production budget has its own file (pacing.test.ts).
  bot = await startSlackBot({
    idleTimeoutMs: 600,
    firstByteTimeoutMs: 1_500,
    maxRetries: 0,
    start: { budgets: { update: { perMinute: 6_000, burst: 100 } } },
  });
  bot.slack.rateLimits.set('chat.update', undefined);
});
afterAll(async () => {
  await bot?.close();
});
beforeEach(() => {
  bot.upstream.reset();
  bot.slack.rateLimits.reset();
});

const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000a49444154789c6300010000050001',
  'hex',
);
const MP4 = Buffer.concat([
  Buffer.from('000000186674797069736f6d0000020069736f6d69736f32', 'hex'),
  Buffer.alloc(64, 1),
]);

function mediaUrls(requestIndex: number): string[] {
  const last = bot.upstream.requests[requestIndex]!.body.messages.at(-1);
  return Array.isArray(last.content)
    ? last.content
        .filter((p: { type: string }) => p.type === 'image_url')
        .map((p: { image_url: { url: string } }) => p.image_url.url)
    : [];
}

describe('files', () => {
  it('sends a private image and a video to the model as data: URLs, downloaded with the bot token', async () => {
    const image = bot.slack.addFile({ id: 'FIMG1', name: 'cat.png', mimetype: 'image/png', bytes: PNG });
    const video = bot.slack.addFile({ id: 'FVID1', name: 'clip.mp4', mimetype: 'video/mp4', bytes: MP4 });
    const ts = userTs();
    await bot.send.event(
      message({
        channel: 'C400',
        user: 'U1',
        text: mention('what is this?'),
        ts,
        subtype: 'file_share',
        files: [image, video],
      }),
    );
    const [reply] = await bot.finishedReply('C400', ts);
    expect(reply!.text).toBe('Echo: what is this? [+2 media]');
    expect(mediaUrls(0)).toEqual([
      `data:image/png;base64,${PNG.toString('base64')}`,
      `data:video/mp4;base64,${MP4.toString('base64')}`,
    ]);
  });

  it('treats an HTML login page in place of a file as a skipped attachment, not an image', async () => {
    const ts = userTs();
    const forged = {
      id: 'FGONE',
      name: 'gone.png',
      mimetype: 'image/png',
      size: 10,
      url_private: `${bot.slack.url}/files-pri/T0EMULATED-FGONE/gone.png`,
    };
    await bot.send.event(
      message({
        channel: 'C401',
        user: 'U1',
        text: mention('look'),
        ts,
        subtype: 'file_share',
        files: [forged],
      }),
    );
    const [reply] = await bot.finishedReply('C401', ts);
    expect(reply!.text).toBe('Echo: look');
    const notice = await bot.slack.waitFor(() =>
      bot.slack.state.ephemerals.find((e) => e.channel === 'C401'),
    );
    expect(notice.text).toContain('gone.png');
  });
});

describe('long answers', () => {
  it('splits a 25,000-character answer into thread messages under Slack’s limits with code fences balanced', async () => {
    const paragraph = (n: number) => `Paragraph ${n}: ${'lorem ipsum dolor sit amet '.repeat(12).trim()}.`;
    const parts: string[] = [];
    for (let n = 0; parts.join('\n\n').length < 4_500; n++) parts.push(paragraph(n));
    parts.push(
      `\`\`\`ts\n${Array.from({ length: 80 }, (_, i) => `const value${i} = ${i} * 2;`).join('\n')}\n\`\`\``,
    );
    for (let n = 100; parts.join('\n\n').length < 25_000; n++) parts.push(paragraph(n));
    const answer = parts.join('\n\n').slice(0, 25_000);
    bot.upstream.enqueue({ content: answer.match(/[\s\S]{1,500}/g)! });
    const ts = userTs();
    await bot.send.event(appMention({ channel: 'C410', user: 'U1', text: mention('write a lot'), ts }));
    const replies = await bot.finishedReply('C410', ts, 3);
    expect(replies.length).toBeGreaterThanOrEqual(3);
    for (const reply of replies) {
      const markdown = reply.blocks!.find((block: { type: string }) => block.type === 'markdown').text;
      expect(markdown.length).toBeLessThanOrEqual(12_000);
      expect(reply.text.length).toBeLessThanOrEqual(3_990);
      expect((markdown.match(/```/g) ?? []).length % 2).toBe(0);
    }
    const shown = replies
      .map((r) => r.blocks!.find((block: { type: string }) => block.type === 'markdown').text)
      .join('\n');
    for (const needle of [
      'Paragraph 0:',
      'const value0 = 0 * 2;',
      'const value79 = 79 * 2;',
      'Paragraph 100:',
    ]) {
      expect(shown).toContain(needle);
    }
    expect(
      bot.slack.calls.filter((c) => c.error === 'msg_too_long' || c.error === 'invalid_blocks'),
    ).toHaveLength(0);
  });
});

describe('failures from the model service', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      '401',
      { fault: { kind: 'http', status: 401, code: 'invalid_token', traceId: 'trace-401' } },
      /refused this bot's API token.*trace-401/,
    ],
    [
      '429',
      { fault: { kind: 'http', status: 429, code: 'too_many_requests', retryAfterSeconds: 1 } },
      /rate limiting the bot/,
    ],
    [
      '500',
      { fault: { kind: 'http', status: 500, code: 'api_error', traceId: 'trace-500' } },
      /failed to answer.*\(trace id trace-500\)/,
    ],
    [
      'cut',
      { content: ['Partial ', 'answer'], fault: { kind: 'cut', afterChunks: 3 } },
      /cut off mid-answer/,
    ],
    ['hang', { content: ['Started ', 'then'], fault: { kind: 'hang', afterChunks: 2 } }, /took too long/],
  ];
  for (const [name, script, sentence] of cases) {
    it(`shows an upstream ${name} in the thread in one short sentence`, async () => {
      bot.upstream.enqueue(script);
      const ts = userTs();
      await bot.send.event(
        appMention({ channel: `C43${name}`, user: 'U1', text: mention(`fail ${name}`), ts }),
      );
      const [reply] = await bot.finishedReply(`C43${name}`, ts);
      expect(reply!.text).toMatch(/Interrupted: /);
      expect(reply!.text).toMatch(sentence);
    });
  }

  it('keeps the partial answer above the interruption', async () => {
    bot.upstream.enqueue({ content: ['Kept ', 'text ', 'more'], fault: { kind: 'cut', afterChunks: 3 } });
    const ts = userTs();
    await bot.send.event(appMention({ channel: 'C439', user: 'U1', text: mention('cut'), ts }));
    const [reply] = await bot.finishedReply('C439', ts);
    expect(reply!.text).toMatch(/^Kept/);
  });
});

describe('Stop and Regenerate', () => {
  it('Stop ends a streaming reply, and Regenerate answers the last question again', async () => {
    bot.upstream.enqueue({ content: ['First ', 'answer.'] });
    const ts = userTs();
    await bot.send.event(appMention({ channel: 'C440', user: 'U1', text: mention('question'), ts }));
    const [first] = await bot.finishedReply('C440', ts);
    expect(first!.text).toBe('First answer.');

    // Regenerate: a new answer to the same question, the old one replaced in history.
    bot.upstream.enqueue({ content: Array.from({ length: 60 }, (_, i) => `slow${i} `), chunkDelayMs: 100 });
    const regenerate = first!.blocks!.at(-1).elements[0];
    await bot.send.interaction(
      blockAction({
        actionId: regenerate.action_id,
        value: regenerate.value,
        user: 'U1',
        channel: 'C440',
        messageTs: first!.ts,
        threadTs: ts,
      }),
    );
    const streaming = await bot.slack.waitFor(() => {
      const second = bot.slack.thread('C440', ts)[1];
      return second?.text.includes('slow1') ? second : undefined;
    });
    const request = bot.upstream.requests
      .at(-1)!
      .body.messages.filter((m: { role: string }) => m.role !== 'system');
    expect(request).toEqual([{ role: 'user', content: 'question' }]);

    // While it streams the reply carries Stop; pressing it ends the reply where it is.
    const stop = streaming.blocks!.at(-1).elements[0];
    expect(stop.action_id).toBe('gemini_stop');
    await bot.send.interaction(
      blockAction({
        actionId: stop.action_id,
        value: stop.value,
        user: 'U1',
        channel: 'C440',
        messageTs: streaming.ts,
        threadTs: ts,
      }),
    );
    const [, stopped] = await bot.finishedReply('C440', ts, 2);
    expect(stopped!.text).toMatch(/^slow0 slow1[\s\S]*_Stopped\._$/);
    expect(stopped!.text).not.toContain('slow59');
  });
});

describe('request hygiene and access', () => {
  it('refuses a forged signature and a replayed (stale) timestamp with 401', async () => {
    const event = appMention({ channel: 'C450', user: 'U1', text: mention('hi') });
    const forged = await bot.send.event(event, { signature: `v0=${'0'.repeat(64)}` });
    const stale = await bot.send.event(event, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect([forged.status, stale.status]).toEqual([401, 401]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(bot.upstream.requests).toHaveLength(0);
  });
});
