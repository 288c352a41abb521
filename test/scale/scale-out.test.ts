/**
 * Scale-out on one Redis, with real processes: three bot processes (test/scale/loopback-bot.ts,
 * wired like src/main.ts) share a redis-server this test owns and the loopback upstream emulator.
 *
 * 1. 300 mentions across 50 threads (half "Slack", half "Discord"), every thread's turns spread over
 *    the three processes, a quarter of the Slack events delivered twice to different processes:
 *    exactly one answer per turn, each thread answered in order with its complete history, never
 *    more upstream streams than UPSTREAM_MAX_CONCURRENCY, no turn lost.
 * 2. SIGKILL one process mid-stream: its lock outlives it, expires, and another process answers the
 *    thread's next message (without the half answer in history).
 * 3. SIGTERM another mid-stream: its reply finishes, the process exits 0.
 * 4. Redis stopped: the bot says "storage unavailable" and logs it; Redis back: it answers again.
 */
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastUserText, splitIntoChunks } from '../emulators/upstream/default-responder.js';
import { textOfContent } from '../emulators/upstream/payloads.js';
import { startUpstreamEmulator, type UpstreamEmulator } from '../emulators/upstream/server.js';
import { type BotProcess, killAll, startBotProcess } from './bot-process.js';
import { type ChatRecorder, startChatRecorder, waitFor } from './chat-recorder.js';
import type { LoopbackTurn } from './loopback-bot.js';
import { type OwnRedis, startOwnRedis } from './own-redis.js';

const THREADS = 50;
const TURNS_PER_THREAD = 6;
const UPSTREAM_CAP = 5;
const PREFIX = 'scale';

let redis: OwnRedis;
let emulator: UpstreamEmulator;
let chat: ChatRecorder;
let bots: BotProcess[] = [];
/** Prompts the emulator has received, so a thread's next turn is sent once the previous one is answering. */
const received = new Set<string>();

/** The answer the emulator streams for a prompt (a few chunks, paced) or `words:N` slowly. */
const answerTo = (prompt: string) => `A(${prompt})`;

beforeAll(async () => {
  redis = await startOwnRedis();
  emulator = await startUpstreamEmulator();
  emulator.setResponder((request) => {
    const prompt = lastUserText(request);
    received.add(prompt);
    const slow = /words:(\d+)/.exec(prompt);
    if (slow) {
      const words = Array.from({ length: Number(slow[1]) }, (_, index) => `w${index} `);
      return { content: words, chunkDelayMs: 100 };
    }
    return { content: splitIntoChunks(answerTo(prompt), 4), chunkDelayMs: 15 };
  });
  chat = await startChatRecorder();
  const env = {
    ACEDATA_API_TOKEN: emulator.token,
    ACEDATA_BASE_URL: emulator.url,
    STORE_URL: redis.url,
    STORE_PREFIX: PREFIX,
    RATE_LIMIT_PER_MINUTE: '0',
    UPSTREAM_MAX_CONCURRENCY: String(UPSTREAM_CAP),
    SHUTDOWN_GRACE_MS: '15000',
    LOOPBACK_CHAT_URL: chat.url,
  };
  bots = await Promise.all(['bot-a', 'bot-b', 'bot-c'].map((name) => startBotProcess(name, env)));
}, 60_000);

afterAll(async () => {
  await killAll(bots);
  await chat?.close();
  await emulator?.close();
  await redis?.stop();
});

const promptOf = (thread: number, turn: number) => `thread-${thread}-turn-${turn}`;

/** One thread's turns, each sent once the previous one reached the upstream (it holds the lock). */
async function runThread(thread: number): Promise<void> {
  const platform = thread < THREADS / 2 ? 'slack' : 'discord';
  for (let turn = 1; turn <= TURNS_PER_THREAD; turn++) {
    const event: LoopbackTurn = {
      eventId: `ev-${thread}-${turn}`,
      platform,
      conversation: `thread-${thread}`,
      user: `U${thread % 7}`,
      text: promptOf(thread, turn),
    };
    const first = bots[(thread + turn) % 3]!;
    const deliveries = [first.send(event)];
    // Slack retries a delivery it thinks failed, and a load balancer may send it elsewhere.
    if (platform === 'slack' && (thread + turn) % 2 === 0)
      deliveries.push(bots[(thread + turn + 1) % 3]!.send(event));
    await Promise.all(deliveries);
    await waitFor(`${event.text} to reach the upstream`, () => received.has(event.text), 60_000);
  }
}

describe('three bot processes on one Redis', () => {
  it('answer 300 mentions across 50 threads once each, in order, with full history, within the upstream cap', async () => {
    await Promise.all(Array.from({ length: THREADS }, (_, thread) => runThread(thread)));
    const events = Array.from({ length: THREADS }, (_, thread) =>
      Array.from({ length: TURNS_PER_THREAD }, (_, turn) => `ev-${thread}-${turn + 1}`),
    ).flat();
    await waitFor('every reply to finish', () => events.every((id) => chat.phaseOf(id) === 'done'), 60_000);

    // Exactly one answer per turn: one process wrote it, and the upstream was asked once.
    for (const id of events) expect(chat.replies.get(id)?.bots.size, id).toBe(1);
    expect(emulator.requests).toHaveLength(THREADS * TURNS_PER_THREAD);
    for (let thread = 0; thread < THREADS; thread++) {
      for (let turn = 1; turn <= TURNS_PER_THREAD; turn++) {
        expect(chat.textOf(`ev-${thread}-${turn}`)).toBe(answerTo(promptOf(thread, turn)));
      }
    }

    // Each thread: its requests came in turn order, each carrying every earlier turn and answer.
    for (let thread = 0; thread < THREADS; thread++) {
      const requests = emulator.requests.filter((r) => lastUserText(r).startsWith(`thread-${thread}-`));
      expect(requests.map((r) => lastUserText(r))).toEqual(
        Array.from({ length: TURNS_PER_THREAD }, (_, turn) => promptOf(thread, turn + 1)),
      );
      requests.forEach((request, index) => {
        const conversation = (request.body.messages as Array<{ role: string; content: unknown }>)
          .filter((message) => message.role !== 'system')
          .map((message) => `${message.role}:${textOfContent(message.content)}`);
        const expected = Array.from({ length: index + 1 }, (_, turn) => [
          `user:${promptOf(thread, turn + 1)}`,
          `assistant:${answerTo(promptOf(thread, turn + 1))}`,
        ])
          .flat()
          .slice(0, -1);
        expect(conversation).toEqual(expected);
      });
    }

    // The cap holds across processes, and the load really did press against it.
    expect(emulator.maxConcurrentStreams).toBeLessThanOrEqual(UPSTREAM_CAP);
    expect(emulator.maxConcurrentStreams).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('survives SIGKILL of one process (its lock expires) and SIGTERM of another (its reply finishes)', async () => {
    const [killed, survivor, drained] = bots as [BotProcess, BotProcess, BotProcess];
    const probe = createClient({ url: redis.url });
    await probe.connect();
    try {
      await killed.send({
        eventId: 'kill-1',
        platform: 'slack',
        conversation: 'kill',
        user: 'U1',
        text: 'words:300',
      });
      await drained.send({
        eventId: 'term-1',
        platform: 'discord',
        conversation: 'term',
        user: 'U2',
        text: 'words:30',
      });
      await waitFor(
        'both slow replies to stream',
        () => /w1 /.test(chat.textOf('kill-1')) && /w1 /.test(chat.textOf('term-1')),
      );

      killed.child.kill('SIGKILL');
      drained.child.kill('SIGTERM');
      expect((await killed.exited).signal).toBe('SIGKILL');
      // The dead holder's lock is still there: the next message must wait for it to expire.
      expect(await probe.pTTL(`${PREFIX}:lock:slack:W1:C1:kill`)).toBeGreaterThan(0);
      await survivor.send({
        eventId: 'kill-2',
        platform: 'slack',
        conversation: 'kill',
        user: 'U1',
        text: 'after the crash',
      });

      expect((await drained.exited).code).toBe(0);
      expect(chat.phaseOf('term-1')).toBe('done');
      expect(chat.textOf('term-1')).toContain('w29 ');

      await waitFor(
        'the next message after the crash to be answered',
        () => chat.phaseOf('kill-2') === 'done',
        60_000,
      );
      expect([...(chat.replies.get('kill-2')?.bots ?? [])]).toEqual([survivor.name]);
      expect(chat.textOf('kill-2')).toBe(answerTo('after the crash'));
      // The crashed turn never completed, so it is not in the history the next answer was given.
      const after = emulator.requests.find((r) => lastUserText(r) === 'after the crash');
      const roles = ((after?.body.messages ?? []) as Array<{ role: string }>).map((message) => message.role);
      expect(roles).toEqual(['system', 'user']);
    } finally {
      await probe.close();
    }
  }, 90_000);

  it('tells users storage is unavailable while Redis is down, logs it, and recovers when it returns', async () => {
    const bot = bots[1]!;
    await redis.stop();
    await waitFor(
      'readiness to notice',
      () => bot.logs.some((l) => l.msg?.startsWith('store unavailable')),
      15_000,
    );
    const notReady = await fetch(`${bot.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ problems: ['store unreachable'] });

    await bot.send({
      eventId: 'down-1',
      platform: 'slack',
      conversation: 'outage',
      user: 'U3',
      text: 'hello?',
    });
    await waitFor('the outage reply', () => chat.phaseOf('down-1') !== undefined, 15_000);
    expect(chat.textOf('down-1')).toContain('Storage is unavailable right now');
    expect(
      bot.logs.some(
        (l) => (l.level ?? 0) >= 50 && /de-duplication failed|store unavailable/.test(String(l.msg)),
      ),
    ).toBe(true);

    await redis.start();
    await waitFor(
      'the store to be reachable again',
      () => bot.logs.some((l) => l.msg === 'store reachable again'),
      15_000,
    );
    await bot.send({
      eventId: 'up-1',
      platform: 'slack',
      conversation: 'outage',
      user: 'U3',
      text: 'and now?',
    });
    await waitFor('an answer after recovery', () => chat.phaseOf('up-1') === 'done', 20_000);
    expect(chat.textOf('up-1')).toBe(answerTo('and now?'));
    expect((await fetch(`${bot.url}/readyz`)).status).toBe(200);
  }, 60_000);
});
