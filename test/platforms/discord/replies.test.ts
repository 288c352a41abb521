/**
 * Replies on Discord: long answers split with fences intact, Stop and Regenerate, upstream failures
 * shown as one sentence, and several replies sharing one channel's rate limit, paced by discord.js.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EmuMessage } from '../../emulators/discord/server.js';
import { type DiscordBot, hasButton, replyFinished, startDiscordBot } from './support.js';

let bot: DiscordBot;

beforeAll(async () => {
  bot = await startDiscordBot({ idleTimeoutMs: 800, firstByteTimeoutMs: 1500 });
});
afterAll(async () => {
  await bot?.close();
});
beforeEach(() => bot.te.emulator.reset());

const mention = () => `<@${bot.discord.botUser.id}>`;

/** Starts a conversation in a new thread and returns the thread id. */
async function askInThread(prompt: string): Promise<string> {
  const message = bot.discord.sendMessage({
    channelId: bot.discord.channels.general,
    content: `${mention()} ${prompt}`,
  });
  return (await bot.discord.waitFor('thread', () => bot.discord.threadOf(message.id))).id;
}

function buttonIdOf(message: EmuMessage, label: string): string {
  for (const row of message.components as Array<{
    components: Array<{ label: string; custom_id: string }>;
  }>) {
    const button = row.components.find((c) => c.label === label);
    if (button) return button.custom_id;
  }
  throw new Error(`no ${label} button`);
}

describe('long answers', () => {
  it('turns a 6,000-character answer into messages of at most 2,000 characters with balanced code fences', async () => {
    const code = Array.from({ length: 160 }, (_, i) => `const value${i} = compute(${i}); // step ${i}`).join(
      '\n',
    );
    const answer = `Here is the code:\n\n\`\`\`ts\n${code}\n\`\`\`\n\nDone.`;
    expect(answer.length).toBeGreaterThan(6_000);
    bot.te.emulator.enqueue({ content: [answer.slice(0, 3000), answer.slice(3000)] });
    const thread = await askInThread('write a lot of code');
    const messages = await bot.discord.waitFor('the whole answer', () => {
      const shown = bot.discord.botMessagesIn(thread);
      const last = shown.at(-1);
      return last && hasButton(last, 'Regenerate') && last.content.trimEnd().endsWith('Done.')
        ? shown
        : undefined;
    });
    expect(messages.length).toBeGreaterThanOrEqual(4);
    for (const message of messages) {
      expect([...message.content].length).toBeLessThanOrEqual(2_000);
      expect(message.content.match(/```/g)?.length ?? 0).toSatisfy((n: number) => n % 2 === 0);
      expect(message.allowed_mentions).toMatchObject({ parse: [] });
    }
    expect(messages.at(-1)!.content.trimEnd().endsWith('Done.')).toBe(true);
    // Every line of code reached Discord exactly once.
    const shown = messages.map((m) => m.content).join('\n');
    for (const i of [0, 80, 159]) expect(shown.split(`const value${i} =`).length - 1).toBe(1);
    // Buttons end up on the last message only (earlier parts lose theirs just after the next is posted).
    await bot.discord.waitFor('buttons on the last message only', () =>
      messages.slice(0, -1).every((m) => m.components.length === 0),
    );
  });
});

describe('Stop and Regenerate', () => {
  it('Stop cancels the upstream request and marks the reply stopped', async () => {
    const { discord, te } = bot;
    te.emulator.enqueue({ content: Array.from({ length: 60 }, (_, i) => `word${i} `), chunkDelayMs: 100 });
    const thread = await askInThread('talk slowly');
    const streaming = await discord.waitFor('streamed text', () =>
      discord.botMessagesIn(thread).find((m) => m.content.includes('word1') && hasButton(m, 'Stop')),
    );
    const press = discord.interaction({
      kind: 'button',
      customId: buttonIdOf(streaming, 'Stop'),
      messageId: streaming.id,
      channelId: thread,
    });
    const [stopped] = await replyFinished(discord, thread);
    expect(stopped!.content).toContain('_Stopped._');
    expect(stopped!.content).not.toContain('word59');
    expect(press.callbacks[0]?.type).toBe(6);
    await discord.waitFor('upstream closed', () => te.emulator.activeStreams === 0);
  });

  it('Regenerate answers the last prompt again and replaces the answer in history', async () => {
    const { discord, te } = bot;
    te.emulator.enqueue({ content: ['first answer'] }, { content: ['second answer'] });
    const thread = await askInThread('pick a number');
    const [first] = await replyFinished(discord, thread, 1);
    const press = discord.interaction({
      kind: 'button',
      customId: buttonIdOf(first!, 'Regenerate'),
      messageId: first!.id,
      channelId: thread,
    });
    await replyFinished(discord, thread, 1);
    await discord.waitFor('second answer', () =>
      discord.botMessagesIn(thread).find((m) => m.content === 'second answer' && hasButton(m, 'Regenerate')),
    );
    expect(press.callbacks[0]?.type).toBe(7);
    expect(discord.state.messages.get(first!.id)!.components).toEqual([]);
    expect(te.emulator.requests[1]!.body.messages.at(-1).content).toBe('pick a number');
    discord.sendMessage({ channelId: thread, content: 'and now?' });
    await discord.waitFor('third request', () => te.emulator.requests.length === 3);
    const roles = te.emulator.requests[2]!.body.messages.map(
      (m: { role: string; content: string }) => `${m.role}:${m.role === 'system' ? '' : m.content}`,
    );
    expect(roles).toEqual(['system:', 'user:pick a number', 'assistant:second answer', 'user:and now?']);
  });
});

describe('upstream failures', () => {
  const cases = [
    {
      name: '401',
      script: { fault: { kind: 'http', status: 401, code: 'invalid_token' } },
      says: "refused this bot's API token",
    },
    {
      name: '429',
      script: { fault: { kind: 'http', status: 429, code: 'too_many_requests' } },
      says: 'rate limiting',
    },
    {
      name: '500',
      script: { fault: { kind: 'http', status: 500, code: 'api_error', traceId: 'trace-123' } },
      says: 'trace-123',
    },
    {
      name: 'cut',
      script: { content: ['partial ', 'text ', 'more'], fault: { kind: 'cut', afterChunks: 3 } },
      says: 'cut off',
    },
    {
      name: 'hang',
      script: { content: ['partial ', 'then ', 'silence'], fault: { kind: 'hang', afterChunks: 2 } },
      says: 'too long',
    },
  ] as const;

  for (const [index, { name, script, says }] of cases.entries()) {
    it(`shows an upstream ${name} as one short sentence in the reply`, async () => {
      const { discord, te } = bot;
      te.emulator.enqueue(script as never);
      const user = { id: `20000000000000000${index}`, username: `user-${name}` };
      const dm = discord.dmChannel(user);
      discord.sendMessage({ channelId: dm, content: `trigger ${name}`, author: user });
      const [reply] = await replyFinished(discord, dm);
      expect(reply!.content).toContain('Interrupted');
      expect(reply!.content).toContain(says);
      expect(reply!.content).not.toMatch(/at .+\.(ts|js):\d+/); // no stack trace
      if (name === 'cut') expect(reply!.content).toContain('partial');
    });
  }
});

describe('three replies streaming in one channel under the real rate limit', () => {
  let real: DiscordBot;
  beforeAll(async () => {
    real = await startDiscordBot({ realisticRateLimits: true });
  });
  afterAll(async () => {
    await real?.close();
  });

  it("takes turns in discord.js's bucket queue: every reply grows by edits and ends exact", async () => {
    const { discord, te } = real;
    te.emulator.setResponder((req) => {
      const last = req.body.messages.at(-1).content as string;
      return { content: Array.from({ length: 16 }, (_, i) => `${last}-${i} `), chunkDelayMs: 300 };
    });
    // Three replies want about 3 writes a second; the channel takes 1. discord.js holds the rest
    // in its bucket queue (each held request is one 'rateLimited' event), and nothing fails.
    let heldByDiscordJs = 0;
    real.client.rest.on('rateLimited', () => {
      heldByDiscordJs += 1;
    });
    const channel = discord.channels.general;
    const users = [1, 2, 3].map((n) => ({ id: `30000000000000000${n}`, username: `user${n}` }));
    for (const [index, user] of users.entries()) {
      const seeded = discord.seedBotMessage(channel, `Hello ${user.username}`);
      discord.sendMessage({
        channelId: channel,
        content: `q${index}`,
        author: user,
        messageReference: seeded.id,
      });
    }
    const finished = await discord.waitFor(
      'three finished replies',
      () => {
        const done = discord.botMessagesIn(channel).filter((m) => hasButton(m, 'Regenerate'));
        return done.length === 3 ? done : undefined;
      },
      30_000,
    );
    expect(heldByDiscordJs).toBeGreaterThan(0);
    // Each reply shows exactly its answer: no write was lost to the queue or to a 429 (discord.js
    // retries one after Retry-After), and no error reached the reply.
    const answers = finished.map((reply) => reply.content.trim()).sort();
    expect(answers).toEqual(
      ['q0', 'q1', 'q2'].map((q) => Array.from({ length: 16 }, (_, i) => `${q}-${i}`).join(' ')),
    );
    for (const reply of finished) expect(reply.history.length).toBeGreaterThan(2); // it grew by edits
  });
});
