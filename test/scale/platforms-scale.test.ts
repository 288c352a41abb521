/**
 * Three real bot processes (src/main.ts) on one Redis, against the loopback Slack, Discord and
 * upstream emulators: 300 mentions and follow-ups across 50 threads (25 on Slack, 25 on Discord,
 * six turns each), every thread running at once.
 * - Slack events are spread over the three processes like a load balancer would, and a third of
 *   them are delivered twice, to two different processes (Slack's retries).
 * - Discord: the three processes are unsharded replicas, so the gateway sends every event to all
 *   three, as Discord does; the shared de-duplication lets exactly one of them answer.
 * Asserts exactly one answer per turn, thread order with full history, the upstream cap, and that
 * the work really was spread over the processes.
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
// Slack allows about one post per second per channel, so each Slack thread has its own channel.
// Its chat.update tier is raised on both sides (SLACK_UPDATES_PER_MINUTE), as for a large workspace.
const SLACK_THREADS = 25;
const DISCORD_THREADS = 25;
const TURNS = 6;
const CAP = 5;

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
  slack.rateLimits.set('chat.update', { perMinute: 6_000, burst: 200 });
  discord = await startDiscordEmulator({ messageBucket: { limit: 1000, windowMs: 1000 } });
  const env = {
    ACEDATA_API_TOKEN: upstream.token,
    ACEDATA_BASE_URL: upstream.url,
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: slack.signingSecret,
    SLACK_API_URL: `${slack.url}/api`,
    SLACK_NATIVE_STREAMING: 'false',
    SLACK_UPDATES_PER_MINUTE: '6000',
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
  for (let turn = 1; turn <= TURNS; turn++) {
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

/** One Discord thread: a mention opens it, then five follow-ups inside it without a mention. */
async function discordThread(index: number): Promise<string> {
  const first = `d${index}-t1`;
  const opener = discord.sendMessage({
    channelId: discord.channels.general,
    content: `<@${discord.botUser.id}> ${first}`,
  });
  await waitFor(`${first} to reach the upstream`, () => received.has(first), 60_000);
  await waitFor(`the thread of ${first}`, () => discord.threadOf(opener.id) !== undefined, 60_000);
  const thread = discord.threadOf(opener.id)!.id;
  for (let turn = 2; turn <= TURNS; turn++) {
    const text = `d${index}-t${turn}`;
    discord.sendMessage({ channelId: thread, content: text });
    await waitFor(`${text} to reach the upstream`, () => received.has(text), 60_000);
  }
  return thread;
}

/** The user-side conversation of the last request of a thread, as the upstream received it. */
function lastConversation(prefixOfThread: string): string[] {
  const last = upstream.requests.find((r) => lastUserText(r) === `${prefixOfThread}-t${TURNS}`)!;
  return (last.body.messages as Array<{ role: string; content: unknown }>)
    .filter((m) => m.role !== 'system')
    .map((m) => textOfContent(m.content));
}

function fullHistory(prefixOfThread: string): string[] {
  return Array.from({ length: TURNS }, (_, turn) => [
    `${prefixOfThread}-t${turn + 1}`,
    answerTo(`${prefixOfThread}-t${turn + 1}`),
  ])
    .flat()
    .slice(0, -1);
}

const answersIn = (prefixOfThread: string) =>
  Array.from({ length: TURNS }, (_, turn) => answerTo(`${prefixOfThread}-t${turn + 1}`));

describe('three real bot processes on Slack and Discord', () => {
  it('answer 300 mentions across 50 threads exactly once, in order with full history, within the upstream cap', async () => {
    const [slackRoots, discordThreads] = await Promise.all([
      Promise.all(Array.from({ length: SLACK_THREADS }, (_, thread) => slackThread(thread))),
      Promise.all(Array.from({ length: DISCORD_THREADS }, (_, thread) => discordThread(thread))),
    ]);

    const total = (SLACK_THREADS + DISCORD_THREADS) * TURNS;
    expect(total).toBe(300);
    await waitFor('every prompt to reach the upstream', () => received.size === total, 60_000);
    await waitFor(
      'every Slack thread to hold its last answer',
      () =>
        slackRoots.every((root, thread) =>
          slack
            .thread(`CS${thread}`, root)
            .map((m) => m.text)
            .includes(answerTo(`s${thread}-t${TURNS}`)),
        ),
      90_000,
    );
    await waitFor(
      'every Discord thread to hold its last answer',
      () =>
        discordThreads.every((thread, index) =>
          discord.botMessagesIn(thread).some((m) => m.content === answerTo(`d${index}-t${TURNS}`)),
        ),
      90_000,
    );

    // One upstream request per turn: duplicate deliveries and events seen by three processes never reached the model.
    expect(upstream.requests).toHaveLength(total);
    slackRoots.forEach((root, thread) => {
      expect(slack.thread(`CS${thread}`, root).map((m) => m.text)).toEqual(answersIn(`s${thread}`));
      expect(lastConversation(`s${thread}`)).toEqual(fullHistory(`s${thread}`));
    });
    discordThreads.forEach((thread, index) => {
      expect(discord.botMessagesIn(thread).map((m) => m.content)).toEqual(answersIn(`d${index}`));
      expect(lastConversation(`d${index}`)).toEqual(fullHistory(`d${index}`));
    });

    // The work was spread over the processes on both platforms (each logs a turn once it is saved,
    // a moment after its last edit), and the shared cap held under load.
    const answeredBy = (platform: string) =>
      bots.map((bot) => bot.logs.filter((l) => l.msg === 'turn answered' && l.platform === platform).length);
    const sum = (counts: number[]) => counts.reduce((a, b) => a + b, 0);
    await waitFor(
      'every turn to be logged',
      () => sum([...answeredBy('slack'), ...answeredBy('discord')]) >= total,
    );
    for (const platform of ['slack', 'discord']) {
      expect(sum(answeredBy(platform)), platform).toBe(total / 2);
      expect(answeredBy(platform).filter((count) => count > 0).length, platform).toBeGreaterThanOrEqual(2);
    }
    expect(upstream.maxConcurrentStreams).toBeLessThanOrEqual(CAP);
    expect(upstream.maxConcurrentStreams).toBeGreaterThanOrEqual(2);
  }, 240_000);
});
