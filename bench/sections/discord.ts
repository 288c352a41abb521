/**
 * The Discord adapter through the loopback Discord and upstream emulators, with the real discord.js
 * client, engine and Discord's real message bucket (5 sends+edits per 5 s per channel):
 * - first upstream content byte → first visible text on Discord (p50, p99), each turn in its own
 *   DM channel so one channel's budget does not queue the next turn; the time is taken when the
 *   emulator receives the edit, so it excludes the emulator's own REST latency (set below);
 * - edits per reply for a 30-second answer (about one a second is the aim);
 * - three replies streaming at once in one channel: edits per reply, each one's first visible
 *   text, the longest stall, exact final text; 429s received over the whole section (target 0)
 *   and the requests discord.js held in its bucket queue (the layer that paces Discord replies).
 * `npx tsx bench/sections/discord.ts` runs it alone.
 */
import type { EmuMessage } from '../../test/emulators/discord/server.js';
import { type DiscordBot, hasButton, startDiscordBot } from '../../test/platforms/discord/support.js';
import { type BenchRow, fmt, percentile, runWhenMain } from '../types.js';

const SECTION = 'discord';
const FIRST_CONTENT_TURNS = 30;
const LONG_ANSWER_SECONDS = 30;
const SHARED_CHANNEL_REPLIES = 3;
const SHARED_CHANNEL_SECONDS = 10;
/** Latency added to every emulator REST answer, to look like a real network round trip. */
const REST_LATENCY_MS = 20;

/** hrtime (ns) → epoch ms, so emulator timestamps (Date.now) and hrtime marks compare. */
const hrtimeOffsetMs = Date.now() - Number(process.hrtime.bigint() / 1_000_000n);
const hrToEpochMs = (at: bigint) => Number(at / 1_000_000n) + hrtimeOffsetMs;

/** Edits a message received (its versions after the first). */
const editsOf = (messages: EmuMessage[]) => messages.reduce((sum, m) => sum + m.history.length - 1, 0);

function finished(
  bot: DiscordBot,
  channelId: string,
  count: number,
  timeoutMs: number,
): Promise<EmuMessage[]> {
  return bot.discord.waitFor(
    `${count} finished replies in ${channelId}`,
    () => {
      const done = bot.discord.botMessagesIn(channelId).filter((m) => hasButton(m, 'Regenerate'));
      return done.length >= count ? done : undefined;
    },
    timeoutMs,
  );
}

async function firstContentLatency(bot: DiscordBot): Promise<number[]> {
  const samples: number[] = [];
  let firstContentAt = 0;
  bot.te.emulator.onFirstContent = (_req, at) => {
    firstContentAt = hrToEpochMs(at);
  };
  bot.te.emulator.setResponder(() => ({
    reasoning: ['Thinking it over. '],
    content: ['Visible answer ', 'text.'],
    chunkDelayMs: 50,
  }));
  for (let turn = 0; turn < FIRST_CONTENT_TURNS; turn++) {
    const user = { id: `40000000000000${String(turn).padStart(4, '0')}`, username: `latency${turn}` };
    const dm = bot.discord.dmChannel(user);
    bot.discord.sendMessage({ channelId: dm, content: 'hi', author: user });
    const [reply] = await finished(bot, dm, 1, 30_000);
    const shown = reply!.history.find((version) => version.content.includes('Visible'));
    samples.push(shown!.at - firstContentAt);
  }
  bot.te.emulator.onFirstContent = undefined;
  return samples;
}

async function editsForLongAnswer(
  bot: DiscordBot,
): Promise<{ edits: number; messages: number; seconds: number }> {
  bot.te.emulator.setResponder(() => ({
    content: Array.from({ length: LONG_ANSWER_SECONDS * 10 }, (_, i) => `word${i} `),
    chunkDelayMs: 100,
  }));
  const user = { id: '400000000000010000', username: 'long' };
  const dm = bot.discord.dmChannel(user);
  const started = Date.now();
  bot.discord.sendMessage({ channelId: dm, content: 'a long answer please', author: user });
  await finished(bot, dm, 1, (LONG_ANSWER_SECONDS + 30) * 1000);
  const messages = bot.discord.botMessagesIn(dm);
  return { edits: editsOf(messages), messages: messages.length, seconds: (Date.now() - started) / 1000 };
}

interface SharedChannelResult {
  editsPerReply: number[];
  seconds: number;
  /** Each reply, in the order they were posted: the questions sent → its first answer text visible. */
  firstVisibleMs: number[];
  /** The longest time any reply went without a visible change while it streamed. */
  longestStallMs: number;
  /** Replies whose final text is exactly the answer the upstream sent. */
  exact: number;
  /** 429s the emulator answered during this part. */
  answered429: number;
}

async function sharedChannel(bot: DiscordBot): Promise<SharedChannelResult> {
  const words = Array.from({ length: SHARED_CHANNEL_SECONDS * 5 }, (_, i) => `w${i} `);
  bot.te.emulator.setResponder(() => ({ content: words, chunkDelayMs: 200 }));
  const channel = bot.discord.channels.random;
  const before429 = bot.discord.rateLimitedCount;
  const started = Date.now();
  for (let i = 0; i < SHARED_CHANNEL_REPLIES; i++) {
    const seeded = bot.discord.seedBotMessage(channel, `Hello ${i}`);
    const author = { id: `40000000000002000${i}`, username: `shared${i}` };
    bot.discord.sendMessage({
      channelId: channel,
      content: `question ${i}`,
      author,
      messageReference: seeded.id,
    });
  }
  const replies = await finished(bot, channel, SHARED_CHANNEL_REPLIES, (SHARED_CHANNEL_SECONDS + 60) * 1000);
  const answer = words.join('').trim();
  const firstVisibleMs = replies.map((reply) => {
    const shown = reply.history.find((version) => version.content.includes('w0'));
    return (shown?.at ?? Number.NaN) - started;
  });
  const stalls = replies.map((reply) => {
    const streaming = reply.history.filter((version) => version.content.includes('w0')).map((v) => v.at);
    return Math.max(0, ...streaming.slice(1).map((at, i) => at - streaming[i]!));
  });
  return {
    editsPerReply: replies.map((m) => m.history.length - 1),
    seconds: (Date.now() - started) / 1000,
    firstVisibleMs,
    longestStallMs: Math.max(...stalls),
    exact: replies.filter((m) => m.content.trim() === answer).length,
    answered429: bot.discord.rateLimitedCount - before429,
  };
}

export async function run(): Promise<BenchRow[]> {
  const bot = await startDiscordBot({
    realisticRateLimits: true,
    emulator: { restLatencyMs: REST_LATENCY_MS },
    env: { UPSTREAM_MAX_CONCURRENCY: '64' },
    firstByteTimeoutMs: 30_000,
    idleTimeoutMs: 30_000,
  });
  // Requests that met a bucket discord.js knew to be spent (held in its queue or rejected to the renderer).
  let metSpentBucket = 0;
  bot.client.rest.on('rateLimited', () => {
    metSpentBucket += 1;
  });
  try {
    const latency = await firstContentLatency(bot);
    const long = await editsForLongAnswer(bot);
    const shared = await sharedChannel(bot);
    return [
      {
        section: SECTION,
        metric: `first content byte → first visible text, p50 (ms; emulator REST latency ${REST_LATENCY_MS} ms excluded)`,
        value: fmt(percentile(latency, 50), 1),
        target: '<= 50',
      },
      {
        section: SECTION,
        metric: 'first content byte → first visible text, p99 (ms)',
        value: fmt(percentile(latency, 99), 1),
      },
      {
        section: SECTION,
        metric: `edits for a ${LONG_ANSWER_SECONDS}-second answer (${long.messages} message(s), reply took ${fmt(long.seconds, 1)} s)`,
        value: String(long.edits),
        target: `about ${LONG_ANSWER_SECONDS}`,
      },
      {
        section: SECTION,
        metric: `edits per reply, ${SHARED_CHANNEL_REPLIES} replies streaming in one channel for ${fmt(shared.seconds, 1)} s`,
        value: shared.editsPerReply.join(' / '),
        target: `<= 5 per 5 s for the channel`,
      },
      {
        section: SECTION,
        metric: `${SHARED_CHANNEL_REPLIES} replies in one channel: questions sent → each reply's first answer text visible (ms)`,
        value: shared.firstVisibleMs.map((ms) => fmt(ms, 0)).join(' / '),
      },
      {
        section: SECTION,
        metric: `${SHARED_CHANNEL_REPLIES} replies in one channel: longest time a streaming reply did not change (ms)`,
        value: fmt(shared.longestStallMs, 0),
      },
      {
        section: SECTION,
        metric: `${SHARED_CHANNEL_REPLIES} replies in one channel: final text exactly the answer / 429s in that part`,
        value: `${shared.exact}/${SHARED_CHANNEL_REPLIES} / ${shared.answered429}`,
        target: `${SHARED_CHANNEL_REPLIES}/${SHARED_CHANNEL_REPLIES} / 0`,
      },
      {
        section: SECTION,
        metric: '429s received from Discord',
        value: String(bot.discord.rateLimitedCount),
        target: '0',
      },
      {
        section: SECTION,
        metric: 'requests that met a bucket discord.js knew was spent (queued or rejected)',
        value: String(metSpentBucket),
      },
    ];
  } finally {
    await bot.close();
  }
}

runWhenMain(import.meta, run);
