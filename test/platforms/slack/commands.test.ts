/**
 * Slash commands through the real Bolt receiver: acked at once, answered through the response_url
 * (ephemeral or in the channel), settings that reach the upstream request.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appMention, slashCommand, userTs } from '../../emulators/slack/payloads.js';
import { type SlackBot, startSlackBot } from './bot.js';

let bot: SlackBot;

beforeAll(async () => {
  bot = await startSlackBot();
  bot.slack.addUser({ id: 'UADMIN', name: 'ada', isAdmin: true });
  bot.slack.addUser({ id: 'UPLAIN', name: 'bob' });
});
afterAll(async () => {
  await bot?.close();
});
beforeEach(() => {
  bot.upstream.reset();
});

/** Runs a command and returns the first response_url answer it caused. */
async function run(command: string, text: string, user = 'UPLAIN', channel = 'C300') {
  const before = bot.slack.state.ephemerals.length;
  const sent = await bot.send.command(
    slashCommand({ command, text, user, channel, responseUrl: bot.slack.responseUrl() }),
  );
  expect(sent.status).toBe(200);
  const answer = await bot.slack.waitFor(() =>
    bot.slack.state.ephemerals.slice(before).find((e) => e.via === 'response_url'),
  );
  return { ack: sent, answer };
}

describe('slash commands', () => {
  it('/gemini-help answers only the caller', async () => {
    const { answer } = await run('/gemini-help', '');
    expect(answer.responseType).toBe('ephemeral');
    expect(answer.text).toContain('/ask');
  });

  it('/ask posts the question and answers it in its thread', async () => {
    const sent = await bot.send.command(
      slashCommand({
        command: '/ask',
        text: 'What is **2+2**?',
        user: 'UPLAIN',
        channel: 'C301',
        responseUrl: bot.slack.responseUrl(),
      }),
    );
    expect(sent.status).toBe(200);
    const question = await bot.slack.waitFor(() =>
      bot.slack.state.messages.find((m) => m.channel === 'C301' && m.threadTs === undefined),
    );
    expect(question.text).toBe('<@UPLAIN> asked: What is **2+2**?');
    const [reply] = await bot.finishedReply('C301', question.ts);
    expect(reply!.text).toBe('Echo: What is *2+2*?');
  });

  it('/ask --private answers ephemerally and posts nothing in the channel', async () => {
    const { answer } = await run('/ask', '--private secret question', 'UPLAIN', 'C302');
    expect(answer).toMatchObject({ responseType: 'ephemeral', text: 'Echo: secret question' });
    expect(bot.slack.state.messages.filter((m) => m.channel === 'C302')).toHaveLength(0);
  });

  it('/ask --private continues its owner’s private conversation, which /gemini-reset --private forgets', async () => {
    const userTexts = () =>
      (bot.upstream.requests.at(-1)!.body.messages as Array<{ role: string; content: string }>)
        .filter((m) => m.role === 'user')
        .map((m) => m.content);
    await run('/ask', '--private my number is 7', 'UPLAIN', 'C307');
    await run('/ask', '--private her number is 9', 'UADMIN', 'C307');
    await run('/ask', '--private what is my number?', 'UPLAIN', 'C307');
    expect(userTexts()).toEqual(['my number is 7', 'what is my number?']);

    const reset = await run('/gemini-reset', '--private', 'UPLAIN', 'C307');
    expect(reset.answer).toMatchObject({ responseType: 'ephemeral' });
    expect(reset.answer.text).toContain('private conversation');
    await run('/ask', '--private fresh start', 'UPLAIN', 'C307');
    expect(userTexts()).toEqual(['fresh start']);
    // Another person's private conversation in the channel is theirs alone, and still there.
    await run('/ask', '--private and mine?', 'UADMIN', 'C307');
    expect(userTexts()).toEqual(['her number is 9', 'and mine?']);
    expect(bot.slack.state.messages.filter((m) => m.channel === 'C307')).toHaveLength(0);
  });

  it('/ask --private delivers an answer longer than five response_url posts whole and in order', async () => {
    // Seven paragraphs of ~3,500 characters: one Slack message each, more than a response_url takes.
    const paragraphs = Array.from({ length: 7 }, (_, i) => `part${i} ${'word '.repeat(690).trim()}`);
    bot.upstream.enqueue({ content: paragraphs.map((p) => `${p}\n\n`) });
    const responseUrl = bot.slack.responseUrl();
    const sent = await bot.send.command(
      slashCommand({
        command: '/ask',
        text: '--private long one',
        user: 'UPLAIN',
        channel: 'C308',
        responseUrl,
      }),
    );
    expect(sent.status).toBe(200);
    const privateParts = () =>
      bot.slack.state.ephemerals.filter(
        (e) => e.responseUrl === responseUrl || (e.via === 'postEphemeral' && e.channel === 'C308'),
      );
    await bot.slack.waitFor(() => privateParts().some((e) => e.text.includes('part6')), 15_000);
    const parts = privateParts();
    expect(parts.every((e) => e.user === undefined || e.user === 'UPLAIN')).toBe(true);
    const whole = parts.map((e) => e.text).join('\n\n');
    expect(whole.replace(/\s+/g, ' ').trim()).toBe(paragraphs.join(' '));
    expect(bot.slack.responseCalls.filter((c) => c.status !== 200)).toEqual([]);
    // Four parts and the last one on the response_url, the two in between as chat.postEphemeral.
    expect(parts.map((e) => e.via)).toEqual([
      ...Array(4).fill('response_url'),
      'postEphemeral',
      'postEphemeral',
      'response_url',
    ]);
    expect(bot.slack.state.messages.filter((m) => m.channel === 'C308')).toHaveLength(0);
  });

  it('/ask --private says so when the bot may not post ephemerally and the answer outgrows the response_url', async () => {
    bot.slack.failNext('chat.postEphemeral', 'not_in_channel', Number.POSITIVE_INFINITY);
    const paragraphs = Array.from({ length: 7 }, (_, i) => `part${i} ${'word '.repeat(690).trim()}`);
    bot.upstream.enqueue({ content: paragraphs.map((p) => `${p}\n\n`) });
    const responseUrl = bot.slack.responseUrl();
    await bot.send.command(
      slashCommand({
        command: '/ask',
        text: '--private long one',
        user: 'UPLAIN',
        channel: 'C309',
        responseUrl,
      }),
    );
    const posts = () => bot.slack.state.ephemerals.filter((e) => e.responseUrl === responseUrl);
    await bot.slack.waitFor(() => posts().length === 5 && posts());
    expect(posts().map((e) => e.text.slice(0, 5))).toEqual(['part0', 'part1', 'part2', 'part3', 'part4']);
    expect(posts()[4]!.text).toMatch(/did not fit: invite me to this channel/);
    expect(bot.slack.responseCalls.filter((c) => c.status !== 200)).toEqual([]);
  });

  it('/ask without a question explains its usage', async () => {
    const { answer } = await run('/ask', '   ');
    expect(answer.responseType).toBe('ephemeral');
    expect(answer.text).toMatch(/^Usage: \/ask/);
  });

  it('/gemini-model shows, sets (admins, for everyone to see) and refuses unknown models', async () => {
    const shown = await run('/gemini-model', '', 'UPLAIN', 'C303');
    expect(shown.answer.text).toContain('gemini-2.5-pro');
    const set = await run('/gemini-model', 'gemini-2.5-flash', 'UADMIN', 'C303');
    expect(set.answer).toMatchObject({ responseType: 'in_channel' });
    expect(set.answer.text).toContain('gemini-2.5-flash');
    const bad = await run('/gemini-model', 'gpt-4', 'UADMIN', 'C303');
    expect(bad.answer.responseType).toBe('ephemeral');
    expect(bad.answer.text).toContain('not available');

    const ts = userTs();
    await bot.send.event(
      appMention({ channel: 'C303', user: 'UPLAIN', text: `<@${bot.slack.botUserId}> hi`, ts }),
    );
    await bot.finishedReply('C303', ts);
    expect(bot.upstream.requests[0]!.body.model).toBe('gemini-2.5-flash');
  });

  it('/gemini-system is refused for non-admins and applied for workspace admins', async () => {
    const refused = await run('/gemini-system', 'Talk like a pirate.', 'UPLAIN', 'C304');
    expect(refused.answer.responseType).toBe('ephemeral');
    expect(refused.answer.text).toContain('Only workspace admins');
    const applied = await run('/gemini-system', 'Talk like a pirate.', 'UADMIN', 'C304');
    expect(applied.answer.responseType).toBe('in_channel');

    const ts = userTs();
    await bot.send.event(
      appMention({ channel: 'C304', user: 'UPLAIN', text: `<@${bot.slack.botUserId}> ahoy`, ts }),
    );
    await bot.finishedReply('C304', ts);
    expect(bot.upstream.requests[0]!.body.messages[0]).toEqual({
      role: 'system',
      content: 'Talk like a pirate.',
    });
  });

  it('/gemini-reset forgets a thread given by its link, and explains itself without one', async () => {
    const root = userTs();
    await bot.send.event(
      appMention({
        channel: 'C305',
        user: 'UPLAIN',
        text: `<@${bot.slack.botUserId}> remember me`,
        ts: root,
      }),
    );
    await bot.finishedReply('C305', root);
    const missing = await run('/gemini-reset', '', 'UPLAIN', 'C305');
    expect(missing.answer.text).toContain('Which thread?');

    const link = `https://emulated.slack.com/archives/C305/p${root.replace('.', '')}`;
    const reset = await run('/gemini-reset', link, 'UPLAIN', 'C305');
    expect(reset.answer.text).toContain('reset');
    bot.upstream.reset();
    await bot.send.event(
      appMention({
        channel: 'C305',
        user: 'UPLAIN',
        text: `<@${bot.slack.botUserId}> fresh`,
        threadTs: root,
      }),
    );
    await bot.finishedReply('C305', root, 2);
    const sent = bot.upstream.requests[0]!.body.messages.filter((m: { role: string }) => m.role !== 'system');
    expect(sent).toEqual([{ role: 'user', content: 'fresh' }]);
  });

  it('/gemini-usage reports the caller’s tokens', async () => {
    const { answer } = await run('/gemini-usage', '', 'UPLAIN', 'C306');
    expect(answer.responseType).toBe('ephemeral');
    expect(answer.text).toMatch(/Your usage:\* \d+ requests, [\d,]+ tokens/);
  });
});

describe('renamed slash commands (SLACK_COMMAND_NAMES)', () => {
  it('answers under the configured name', async () => {
    const renamed = await startSlackBot({ env: { SLACK_COMMAND_NAMES: 'ask=/gemini, help=/gemini-guide' } });
    try {
      const sent = await renamed.send.command(
        slashCommand({
          command: '/gemini-guide',
          text: '',
          user: 'U1',
          channel: 'C310',
          responseUrl: renamed.slack.responseUrl(),
        }),
      );
      expect(sent.status).toBe(200);
      const answer = await renamed.slack.waitFor(() =>
        renamed.slack.state.ephemerals.find((e) => e.via === 'response_url'),
      );
      expect(answer.text).toContain('/gemini <question>');
    } finally {
      await renamed.close();
    }
  });
});
