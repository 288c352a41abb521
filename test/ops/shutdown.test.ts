/**
 * Graceful shutdown of a real bot process (test/scale/loopback-bot.ts, wired like src/main.ts) on
 * a real Redis: SIGTERM mid-stream lets the reply finish when it fits in SHUTDOWN_GRACE_MS, and
 * marks it interrupted when it does not; either way the process exits 0 and leaves no lock behind.
 */
import { randomUUID } from 'node:crypto';
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastUserText } from '../emulators/upstream/default-responder.js';
import { startUpstreamEmulator, type UpstreamEmulator } from '../emulators/upstream/server.js';
import { type BotProcess, killAll, startBotProcess } from '../scale/bot-process.js';
import { type ChatRecorder, startChatRecorder, waitFor } from '../scale/chat-recorder.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `test-shutdown-${randomUUID().slice(0, 8)}`;
let emulator: UpstreamEmulator;
let chat: ChatRecorder;
const bots: BotProcess[] = [];
const redis = createClient({ url: REDIS_URL });

/** `words:N` in a prompt: an answer of N words, one chunk every 100 ms. */
function pacedAnswer(prompt: string): string[] {
  const count = Number(/words:(\d+)/.exec(prompt)?.[1] ?? 5);
  return Array.from({ length: count }, (_, index) => `w${index} `);
}

beforeAll(async () => {
  await redis.connect();
  emulator = await startUpstreamEmulator();
  emulator.setResponder((request) => ({ content: pacedAnswer(lastUserText(request)), chunkDelayMs: 100 }));
  chat = await startChatRecorder();
});

afterAll(async () => {
  await killAll(bots);
  await chat?.close();
  await emulator?.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(keys);
  await redis.close();
});

async function startBot(graceMs: number): Promise<BotProcess> {
  const bot = await startBotProcess(`bot-${bots.length}`, {
    ACEDATA_API_TOKEN: emulator.token,
    ACEDATA_BASE_URL: emulator.url,
    STORE_URL: REDIS_URL,
    STORE_PREFIX: prefix,
    RATE_LIMIT_PER_MINUTE: '0',
    SHUTDOWN_GRACE_MS: String(graceMs),
    LOOPBACK_CHAT_URL: chat.url,
  });
  bots.push(bot);
  return bot;
}

/** Conversation lock keys left in Redis (the fencing counter `lock:fence` stays by design). */
async function heldLocks(): Promise<string[]> {
  return (await redis.keys(`${prefix}:lock:*`)).filter((key) => !key.endsWith(':lock:fence'));
}

/** Content has reached the chat: the reply is streaming. */
const streaming = (eventId: string) => () => /w1 /.test(chat.textOf(eventId));

describe('SIGTERM mid-stream', () => {
  it('lets a reply that fits in the grace period finish, refuses new turns meanwhile, exits 0', async () => {
    const bot = await startBot(15_000);
    await bot.send({ eventId: 'a1', platform: 'slack', conversation: 'T-a', user: 'U1', text: 'words:25' });
    await waitFor('the reply to start streaming', streaming('a1'));
    bot.child.kill('SIGTERM');
    await waitFor('shutdown to begin', () => bot.logs.some((l) => l.msg === 'shutting down'));
    await bot.send({ eventId: 'a2', platform: 'slack', conversation: 'T-b', user: 'U1', text: 'words:3' });

    const { code } = await bot.exited;
    expect(code).toBe(0);
    expect(chat.phaseOf('a1')).toBe('done');
    expect(chat.textOf('a1')).toContain('w24 ');
    // A turn that arrived during the drain was told, not silently dropped or half answered.
    expect(chat.replies.get('a2')?.notices).toEqual([
      'The bot is restarting. Please send your message again in a minute.',
    ]);
    expect(emulator.requests.filter((r) => JSON.stringify(r.body).includes('words:3'))).toEqual([]);
    expect(bot.logs.some((l) => l.msg === 'shut down cleanly')).toBe(true);
    expect(await heldLocks()).toEqual([]);
  });

  it('marks a reply still streaming at the end of the grace period as interrupted, and saves no history for it', async () => {
    const bot = await startBot(600);
    await bot.send({
      eventId: 'b1',
      platform: 'discord',
      conversation: 'T-c',
      user: 'U2',
      text: 'words:200',
    });
    await waitFor('the reply to start streaming', streaming('b1'));
    bot.child.kill('SIGTERM');

    const { code } = await bot.exited;
    expect(code).toBe(0);
    expect(chat.phaseOf('b1')).toBe('interrupted');
    expect(chat.textOf('b1')).toMatch(
      /w1 [\s\S]*⚠️ Interrupted: the bot restarted before this answer was finished/,
    );
    expect(chat.textOf('b1')).not.toContain('w199');
    expect(await heldLocks()).toEqual([]);
    // The half answer is not history: the next instance starts this thread from a clean state.
    expect(await redis.keys(`${prefix}:history:*T-c*`)).toEqual([]);
  });
});
