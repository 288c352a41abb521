/**
 * Three real bot processes (src/main.ts) on one Redis, against the loopback Slack, Discord and
 * upstream emulators. Slack events are spread over the three like a load balancer would, and a
 * third of them are delivered twice, to two different processes (Slack's retries); Discord
 * mentions go through the gateway (the emulator dispatches to the most recent session, so one
 * process receives them: the others stay connected and idle, as unsharded replicas would).
 * Asserts exactly one answer per turn, thread order with full history, and the upstream cap.
 */
import { randomUUID } from 'node:crypto';
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DiscordEmulator, startDiscordEmulator } from '../emulators/discord/server.js';
import { appMention, userTs } from '../emulators/slack/payloads.js';
import { createSlackSender, type SlackSender } from '../emulators/slack/sender.js';
import { type SlackEmulator, startSlackEmulator } from '../emulators/slack/server.js';
import { lastUserText, splitIntoChunks } from '../emulators/upstream/default-responder.js';
import { textOfContent } from '../emulators/upstream/payloads.js';
import { startUpstreamEmulator, type UpstreamEmulator } from '../emulators/upstream/server.js';
import { type BotProcess, killAll, startBotProcess } from './bot-process.js';
import { waitFor } from './chat-recorder.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `test-platforms-${randomUUID().slice(0, 8)}`;
// Slack allows about one post per second per channel and ~50 updates a minute per workspace (the
// emulator enforces both), so each thread has its own channel and the count stays under the budget.
const SLACK_THREADS = Number(process.env.SCALE_SLACK_THREADS ?? 10);
const SLACK_TURNS = 3;
const DISCORD_MENTIONS = Number(process.env.SCALE_DISCORD_MENTIONS ?? 15);
const CAP = 4;

let upstream: UpstreamEmulator;
let slack: SlackEmulator;
let discord: DiscordEmulator;
const bots: BotProcess[] = [];
let senders: SlackSender[] = [];
const received = new Set<string>();
const redis = createClient({ url: REDIS_URL });

const answerTo = (prompt: string) => `A(${prompt})`;

beforeAll(async () => {
  await redis.connect();
  upstream = await startUpstreamEmulator();
  upstream.setResponder((request) => {
    const prompt = lastUserText(request);
    received.add(prompt);
    return { content: splitIntoChunks(answerTo(prompt), 3), chunkDelayMs: 30 };
  });
  slack = await startSlackEmulator();
  discord = await startDiscordEmulator({ messageBucket: { limit: 1000, windowMs: 1000 } });
  const env = {
    ACEDATA_API_TOKEN: upstream.token,
    ACEDATA_BASE_URL: upstream.url,
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: slack.signingSecret,
    SLACK_API_URL: `${slack.url}/api`,
    SLACK_NATIVE_STREAMING: 'false',
    DISCORD_TOKEN: discord.token,
    DISCORD_API_URL: discord.apiUrl,
    STORE_URL: REDIS_URL,
    STORE_PREFIX: prefix,
    RATE_LIMIT_PER_MINUTE: '0',
    UPSTREAM_MAX_CONCURRENCY: String(CAP),
    REASONING_DISPLAY: 'hidden',
  };
  const command = { args: ['--import', 'tsx', 'src/main.ts'], startedMessage: 'gemini-chat-bot started' };
  // One after another: each logs in to the Discord emulator's gateway in turn.
  for (const name of ['main-a', 'main-b', 'main-c']) bots.push(await startBotProcess(name, env, command));
  senders = bots.map((bot) =>
    createSlackSender({
      url: `${bot.url}/slack/events`,
      signingSecret: slack.signingSecret,
      teamId: slack.teamId,
      botUserId: slack.botUserId,
    }),
  );
}, 90_000);

afterAll(async () => {
  await killAll(bots);
  await slack?.close();
  await discord?.close();
  await upstream?.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(keys);
  await redis.close();
});

/** One Slack thread: a mention, then follow-up mentions in its thread, spread over the processes. */
async function slackThread(thread: number): Promise<string> {
  const root = userTs();
  for (let turn = 1; turn <= SLACK_TURNS; turn++) {
    const text = `s${thread}-t${turn}`;
    const ts = turn === 1 ? root : userTs();
    const event = appMention({
      channel: `CS${thread}`,
      user: `U${thread}`,
      text: `<@${slack.botUserId}> ${text}`,
      ts,
      ...(turn === 1 ? {} : { threadTs: root }),
    });
    const first = await senders[(thread + turn) % 3]!.event(event);
    if ((thread + turn) % 3 === 0) {
      // Slack's retry of the same event id, arriving at another instance.
      await senders[(thread + turn + 1) % 3]!.event(event, {
        eventId: first.eventId,
        retryNum: 1,
        retryReason: 'http_timeout',
      });
    }
    await waitFor(`${text} to reach the upstream`, () => received.has(text), 60_000);
  }
  return root;
}

describe('three real bot processes on Slack and Discord', () => {
  it('answer every mention exactly once, in order with full history, within the upstream cap', async () => {
    const discordPrompts = Array.from({ length: DISCORD_MENTIONS }, (_, index) =>
      discord.sendMessage({
        channelId: discord.channels.general,
        content: `<@${discord.botUser.id}> d${index}`,
      }),
    );
    const roots = await Promise.all(
      Array.from({ length: SLACK_THREADS }, (_, thread) => slackThread(thread)),
    );

    const total = SLACK_THREADS * SLACK_TURNS + DISCORD_MENTIONS;
    await waitFor('every prompt to reach the upstream', () => received.size === total, 60_000);
    await waitFor(
      'every Slack reply to finish',
      () =>
        roots.every((root, thread) =>
          slack
            .thread(`CS${thread}`, root)
            .filter((m) => m.text.startsWith('A('))
            .map((m) => m.text)
            .includes(answerTo(`s${thread}-t${SLACK_TURNS}`)),
        ),
      60_000,
    );
    await waitFor(
      'every Discord reply to finish',
      () =>
        discordPrompts.every((prompt, index) => {
          const thread = discord.threadOf(prompt.id);
          return (
            thread !== undefined &&
            discord.botMessagesIn(thread.id).some((m) => m.content === answerTo(`d${index}`))
          );
        }),
      60_000,
    );

    // One upstream request per turn: duplicates and retries never reached the model.
    expect(upstream.requests).toHaveLength(total);
    // Slack: each thread holds exactly one answer per turn, in order.
    roots.forEach((root, thread) => {
      const answers = slack.thread(`CS${thread}`, root).map((m) => m.text);
      expect(answers).toEqual(
        Array.from({ length: SLACK_TURNS }, (_, turn) => answerTo(`s${thread}-t${turn + 1}`)),
      );
    });
    // Each Slack thread's last request carried the whole thread.
    for (let thread = 0; thread < SLACK_THREADS; thread++) {
      const last = upstream.requests.find((r) => lastUserText(r) === `s${thread}-t${SLACK_TURNS}`)!;
      const conversation = (last.body.messages as Array<{ role: string; content: unknown }>)
        .filter((m) => m.role !== 'system')
        .map((m) => textOfContent(m.content));
      expect(conversation).toEqual([
        `s${thread}-t1`,
        answerTo(`s${thread}-t1`),
        `s${thread}-t2`,
        answerTo(`s${thread}-t2`),
        `s${thread}-t3`,
      ]);
    }
    // Discord: one thread per mention with exactly one answer in it.
    discordPrompts.forEach((prompt, index) => {
      const thread = discord.threadOf(prompt.id)!;
      expect(discord.botMessagesIn(thread.id).map((m) => m.content)).toEqual([answerTo(`d${index}`)]);
    });
    // Slack work really was spread over the processes, and the shared cap held.
    const answeredBy = bots.map(
      (bot) => bot.logs.filter((l) => l.msg === 'turn answered' && l.platform === 'slack').length,
    );
    expect(answeredBy.filter((count) => count > 0).length).toBeGreaterThanOrEqual(2);
    expect(upstream.maxConcurrentStreams).toBeLessThanOrEqual(CAP);
  }, 150_000);
});
