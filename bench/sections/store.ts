/**
 * The storage layer's cost per turn, on the real backends (memory, a SQLite file in a temp
 * directory, the Redis at 127.0.0.1:6379):
 * - history: load a 100-turn conversation, then append a user turn and its answer (one
 *   read-modify-write of the whole conversation), p50/p99 over 200 turns;
 * - coordination overhead per turn on Redis: de-duplication claim, lock acquire + release;
 * - memory per idle conversation held in the memory store (10,000 conversations of 10 turns).
 * Every key and file it writes is removed afterwards. `npx tsx bench/sections/store.ts` runs it alone.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createStore } from '../../src/store/create-store.js';
import type { ConversationKey, Store, Turn } from '../../src/store/types.js';
import { deleteRedisKeys } from '../../test/store/backends.js';
import { type BenchRow, fmt, percentile, runWhenMain } from '../types.js';

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ITERATIONS = 200;
const CONVERSATION_TURNS = 100;
const IDLE_CONVERSATIONS = 10_000;
const IDLE_TURNS = 10;

/** A turn of typical chat size: a few sentences, one message id, an author. */
function turn(role: Turn['role'], index: number, conversationIndex = 0): Turn {
  return {
    role,
    text: `${role === 'user' ? 'Question' : 'Answer'} ${index}: ${'lorem ipsum dolor sit amet '.repeat(12)}`,
    attachments: [],
    author: role === 'user' ? { id: 'U0123456789', name: 'Ada' } : undefined,
    messageIds: [`1700000000.${conversationIndex}.${index}`],
    createdAt: Date.now(),
    ...(role === 'assistant'
      ? {
          model: 'gemini-2.5-flash',
          usage: { promptTokens: 900, completionTokens: 120, reasoningTokens: 0, totalTokens: 1020 },
        }
      : {}),
  };
}

function conversation(index: number): ConversationKey {
  return { platform: 'slack', workspace: 'T0BENCH', channel: `C${index}`, thread: `1700000000.${index}` };
}

const elapsedMs = (started: bigint): number => Number(process.hrtime.bigint() - started) / 1e6;

/** Load + append of one turn pair on a conversation kept at 100 turns. */
async function historyCycle(store: Store, label: string): Promise<BenchRow[]> {
  const key = conversation(0);
  for (let index = 0; index < CONVERSATION_TURNS; index += 2) {
    await store.history.append(key, [turn('user', index), turn('assistant', index + 1)]);
  }
  const samples: number[] = [];
  for (let iteration = 0; iteration < ITERATIONS; iteration += 1) {
    const started = process.hrtime.bigint();
    const history = await store.history.load(key);
    await store.history.append(key, [turn('user', history.length), turn('assistant', history.length + 1)]);
    samples.push(elapsedMs(started));
  }
  const turns = (await store.history.load(key)).length;
  return [
    {
      section: 'store',
      metric: `${label}: history load + append, ${turns}-turn conversation, p50`,
      value: `${fmt(percentile(samples, 50))} ms`,
    },
    {
      section: 'store',
      metric: `${label}: history load + append, ${turns}-turn conversation, p99`,
      value: `${fmt(percentile(samples, 99))} ms`,
    },
  ];
}

/** What a turn pays on Redis before any upstream work: claim the event id, take and free the lock. */
async function coordinationOverhead(store: Store): Promise<BenchRow[]> {
  const claims: number[] = [];
  const locks: number[] = [];
  for (let iteration = 0; iteration < ITERATIONS; iteration += 1) {
    let started = process.hrtime.bigint();
    await store.dedupe.claim(`event-${iteration}`, 60_000);
    claims.push(elapsedMs(started));
    started = process.hrtime.bigint();
    const lock = await store.locks.acquire(`bench-conversation-${iteration % 10}`);
    await lock.release();
    locks.push(elapsedMs(started));
  }
  const perTurn = claims.map((claim, index) => claim + locks[index]!);
  return [
    { section: 'store', metric: 'redis: dedupe claim, p50', value: `${fmt(percentile(claims, 50))} ms` },
    {
      section: 'store',
      metric: 'redis: lock acquire + release (uncontended), p50',
      value: `${fmt(percentile(locks, 50))} ms`,
    },
    {
      section: 'store',
      metric: 'redis: coordination per turn (claim + lock + release), p50',
      value: `${fmt(percentile(perTurn, 50))} ms`,
      target: '<= 2 ms',
    },
  ];
}

/** A callable `gc`, so heap deltas measure live data rather than garbage. */
function garbageCollector(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

async function idleConversationMemory(): Promise<BenchRow[]> {
  const gc = garbageCollector();
  const store = await createStore({ url: 'memory://', prefix: 'bench-memory' });
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let index = 0; index < IDLE_CONVERSATIONS; index += 1) {
    const turns = Array.from({ length: IDLE_TURNS }, (_, turnIndex) =>
      turn(turnIndex % 2 === 0 ? 'user' : 'assistant', turnIndex, index),
    );
    await store.history.append(conversation(index), turns);
  }
  gc();
  const perConversation = (process.memoryUsage().heapUsed - before) / IDLE_CONVERSATIONS;
  await store.close();
  return [
    {
      section: 'store',
      metric: `memory: heap per idle conversation (${IDLE_TURNS} turns, with message links)`,
      value: `${fmt(perConversation / 1024, 1)} KiB`,
    },
  ];
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const prefix = `bench-store-${randomUUID().slice(0, 8)}`;
  const dir = await mkdtemp(join(tmpdir(), 'gcb-bench-store-'));
  const options = { prefix, maxStoredTurns: CONVERSATION_TURNS };
  try {
    const memory = await createStore({ url: 'memory://', ...options });
    rows.push(...(await historyCycle(memory, 'memory')));
    await memory.close();

    const sqlite = await createStore({ url: `sqlite://${join(dir, 'bench.sqlite')}`, ...options });
    rows.push(...(await historyCycle(sqlite, 'sqlite')));
    await sqlite.close();

    const redis = await createStore({ url: REDIS_URL, ...options });
    try {
      rows.push(...(await historyCycle(redis, 'redis')));
      rows.push(...(await coordinationOverhead(redis)));
    } finally {
      await redis.close();
      await deleteRedisKeys(`${prefix}:*`, REDIS_URL);
    }

    rows.push(...(await idleConversationMemory()));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

runWhenMain(import.meta, run);
