/**
 * Scale-out on one Redis (127.0.0.1:6379, or BENCH_REDIS_URL), against the upstream emulator in
 * its own process at a fixed latency (15 events 20 ms apart: role, reasoning, 10 content, finish,
 * usage, [DONE], about 280 ms per answer):
 * - turns per second with 1 and with 3 instances sharing the 20-request cap, 300 turns over 60
 *   conversations sent at once, against the cap bound: cap ÷ the mean time a slot was actually held
 *   (the answer time measured in the run, not assumed); the wait for a slot (p50/p99); and, with 3
 *   instances, the time from a slot freed on one instance to a queued caller on another admitted.
 *   An "instance" is a full engine with its own Redis connections, store and upstream client; the
 *   three run in this one process, so they coordinate only through Redis, as separate processes
 *   would;
 * - coordination overhead per turn on Redis while three instances hit it at once: de-dupe claim
 *   plus lock acquire and release on a conversation nobody else holds (p50 target <= 2 ms);
 * - memory per idle conversation: in the bot process after 2,000 answered conversations (the engine
 *   keeps nothing per conversation between turns), and in Redis (one two-turn history key).
 * Every key it writes is removed afterwards. `npx tsx bench/sections/scale.ts` runs it alone.
 */
import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createClient } from '@redis/client';
import { loadConfig } from '../../src/config.js';
import { ConversationEngine } from '../../src/engine/engine.js';
import type { ReplyPhase, ReplySink } from '../../src/engine/types.js';
import { silentLogger } from '../../src/log.js';
import { createStore } from '../../src/store/create-store.js';
import type { ConversationKey, Store } from '../../src/store/types.js';
import { createUpstreamClient } from '../../src/upstream/client.js';
import { startEmulatorProcess } from '../support/emulator-process-client.js';
import { type BenchRow, fmt, percentile, runWhenMain } from '../types.js';

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CAP = 20;
const TURNS = 300;
const CONVERSATIONS = 60;
const PROMPT = 'chunks:10 delay:20';
const IDLE_CONVERSATIONS = 2_000;

/** A sink that answers at once: only coordination and streaming are measured. */
class InstantSink implements ReplySink {
  readonly limits = { maxMessageLength: 2000, editIntervalMs: 1000 };
  private next = 0;
  async post(_text: string, _phase: ReplyPhase): Promise<string> {
    this.next += 1;
    return `m${this.next}`;
  }
  async edit(_id: string, _text: string, _phase: ReplyPhase): Promise<void> {}
}

interface Instance {
  engine: ConversationEngine;
  store: Store;
  close(): Promise<void>;
}

/** What the throughput run records about the upstream gate, across all instances (one clock). */
interface GateLog {
  /** Every wait for an upstream slot, ms. */
  waits: number[];
  /** Every slot's hold time, acquire to release, ms: the answer time as the bot sees it. */
  holds: number[];
  /** Releases not yet matched to the waiter they admitted, oldest first. */
  releases: Array<{ instance: number; at: number }>;
  /** Slot freed on one instance → a queued caller on another admitted, ms. */
  handoffs: number[];
  firstAdmittedAt: number;
  lastReleasedAt: number;
}

const newGateLog = (): GateLog => ({
  waits: [],
  holds: [],
  releases: [],
  handoffs: [],
  firstAdmittedAt: Number.POSITIVE_INFINITY,
  lastReleasedAt: 0,
});

/** One bot instance on Redis under `prefix`; `gateLog` collects what its upstream gate did. */
async function startInstance(
  emulator: { url: string; token: string },
  prefix: string,
  gateLog: GateLog,
  instance = 0,
): Promise<Instance> {
  const config = loadConfig({
    ACEDATA_API_TOKEN: emulator.token,
    ACEDATA_BASE_URL: emulator.url,
    STORE_URL: REDIS_URL,
    STORE_PREFIX: prefix,
    RATE_LIMIT_PER_MINUTE: '0',
    UPSTREAM_MAX_CONCURRENCY: String(CAP),
  });
  const store = await createStore({ url: REDIS_URL, prefix, logger: silentLogger, maxConcurrency: CAP });
  const gate = store.upstreamGate;
  const timedStore: Store = Object.create(store, {
    upstreamGate: {
      value: {
        async acquire(options?: Parameters<typeof gate.acquire>[0]) {
          const startedAt = performance.now();
          let queued = false;
          const release = await gate.acquire({
            ...options,
            onQueued: (position) => {
              queued = true;
              options?.onQueued?.(position);
            },
          });
          const acquiredAt = performance.now();
          gateLog.waits.push(acquiredAt - startedAt);
          // Every admission past the first CAP takes the slot of the oldest unmatched release; for a
          // queued caller, that release is what it waited for.
          const freed = gateLog.releases.shift();
          if (queued && freed && freed.instance !== instance) gateLog.handoffs.push(acquiredAt - freed.at);
          gateLog.firstAdmittedAt = Math.min(gateLog.firstAdmittedAt, acquiredAt);
          return async () => {
            // Noted before the release runs: the admitted waiter may hear of it before this await returns.
            const releasedAt = performance.now();
            gateLog.holds.push(releasedAt - acquiredAt);
            gateLog.releases.push({ instance, at: releasedAt });
            gateLog.lastReleasedAt = Math.max(gateLog.lastReleasedAt, releasedAt);
            await release();
          };
        },
        queueLength: () => gate.queueLength(),
      },
    },
  });
  const upstream = createUpstreamClient({
    baseUrl: emulator.url,
    apiToken: emulator.token,
    maxRetries: 0,
    logger: silentLogger,
  });
  const engine = new ConversationEngine({ config, upstream, store: timedStore, logger: silentLogger });
  return {
    engine,
    store,
    async close() {
      await upstream.close();
      await store.close();
    },
  };
}

const keyOf = (index: number): ConversationKey => ({
  platform: 'slack',
  workspace: 'W',
  channel: 'C',
  thread: `t${index}`,
});

async function throughput(
  emulator: { url: string; token: string },
  instanceCount: number,
  prefix: string,
): Promise<BenchRow[]> {
  const gateLog = newGateLog();
  const instances = await Promise.all(
    Array.from({ length: instanceCount }, (_, index) => startInstance(emulator, prefix, gateLog, index)),
  );
  const startedAt = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: TURNS }, (_, index) =>
      instances[index % instanceCount]!.engine.handleTurn(
        {
          key: keyOf(index % CONVERSATIONS),
          author: { id: `U${index % 13}`, name: 'user' },
          text: PROMPT,
          attachments: [],
          messageIds: [`m${index}`],
        },
        new InstantSink(),
      ),
    ),
  );
  const endedAt = performance.now();
  const seconds = (endedAt - startedAt) / 1000;
  await Promise.all(instances.map((instance) => instance.close()));
  const done = outcomes.filter((outcome) => outcome.status === 'done').length;
  const rate = done / seconds;
  // The most a cap of CAP allows at the answer time actually measured: CAP ÷ mean slot hold time.
  const meanHoldMs = gateLog.holds.reduce((sum, ms) => sum + ms, 0) / Math.max(1, gateLog.holds.length);
  const bound = CAP / (meanHoldMs / 1000);
  // Slot utilisation between the first admission and the last release: held slot-time ÷ CAP × window.
  // Unlike turns/s it leaves out the start (turns taking locks, loading history) and the drain.
  const heldMs = gateLog.holds.reduce((sum, ms) => sum + ms, 0);
  const utilisation = heldMs / (CAP * (gateLog.lastReleasedAt - gateLog.firstAdmittedAt));
  const label = `${instanceCount} instance${instanceCount > 1 ? 's' : ''}`;
  const rows: BenchRow[] = [
    {
      section: 'scale',
      metric: `${label}: turns per second (${TURNS} turns, 60 threads, cap ${CAP})`,
      value: `${fmt(rate, 1)} (${done}/${TURNS} done)`,
    },
    {
      section: 'scale',
      metric: `${label}: cap bound = cap ÷ mean answer time (${fmt(meanHoldMs, 0)} ms, slot held)`,
      value: `${fmt(bound, 1)} turns/s; reached ${fmt((100 * rate) / bound, 1)} %`,
      target: instanceCount > 1 ? '>= 95 %' : '>= 97 %',
    },
    {
      section: 'scale',
      metric: `${label}: slots busy from the first admission to the last release`,
      value: `${fmt(100 * utilisation, 1)} %`,
    },
    {
      // The wall time outside that window: before the first slot (turns taking their locks and
      // reading history, all at once on one connection per instance) and after the last (saves).
      section: 'scale',
      metric: `${label}: outside the slots: sent → first admission / last release → last turn done`,
      value: `${fmt(gateLog.firstAdmittedAt - startedAt, 1)} / ${fmt(endedAt - gateLog.lastReleasedAt, 1)} ms`,
    },
    {
      section: 'scale',
      metric: `${label}: upstream queue wait p50 / p99`,
      value: `${fmt(percentile(gateLog.waits, 50), 1)} / ${fmt(percentile(gateLog.waits, 99), 1)} ms`,
    },
  ];
  if (instanceCount > 1) {
    rows.push({
      section: 'scale',
      metric: `${label}: slot freed on one instance → queued caller on another admitted, p50 / p99 (${gateLog.handoffs.length} handoffs)`,
      value: `${fmt(percentile(gateLog.handoffs, 50), 1)} / ${fmt(percentile(gateLog.handoffs, 99), 1)} ms`,
      target: 'p50 <= 5 ms',
    });
  }
  return rows;
}

/**
 * De-dupe claim + lock acquire/release per turn: one turn at a time on one instance (the cost a
 * turn pays), then 3 instances × `loops` concurrent loops (the same under load).
 */
async function coordinationOverhead(prefix: string): Promise<BenchRow[]> {
  const sequential = await coordinationSamples(`${prefix}-seq`, 1, 1, 300);
  const loaded = await coordinationSamples(`${prefix}-load`, 3, 10, 50);
  return [
    {
      section: 'scale',
      metric: 'redis: de-dupe + lock per turn, one at a time, p50 / p99',
      value: `${fmt(percentile(sequential, 50))} / ${fmt(percentile(sequential, 99))} ms`,
      target: 'p50 <= 2 ms',
    },
    {
      section: 'scale',
      metric: 'redis: de-dupe + lock per turn, 3 instances × 10 at once, p50 / p99',
      value: `${fmt(percentile(loaded, 50))} / ${fmt(percentile(loaded, 99))} ms`,
    },
  ];
}

async function coordinationSamples(
  prefix: string,
  instanceCount: number,
  loops: number,
  turns: number,
): Promise<number[]> {
  const stores = await Promise.all(
    Array.from({ length: instanceCount }, () =>
      createStore({ url: REDIS_URL, prefix, logger: silentLogger }),
    ),
  );
  const samples: number[] = [];
  await Promise.all(
    stores.flatMap((store, storeIndex) =>
      Array.from({ length: loops }, async (_, loop) => {
        for (let turn = 0; turn < turns; turn++) {
          const id = `${storeIndex}-${loop}-${turn}`;
          const startedAt = performance.now();
          await store.dedupe.claim(`event-${id}`, 600_000);
          const lock = await store.locks.acquire(`conversation-${id}`);
          await lock.release();
          samples.push(performance.now() - startedAt);
        }
      }),
    ),
  );
  await Promise.all(stores.map((store) => store.close()));
  return samples;
}

async function idleMemory(emulator: { url: string; token: string }, prefix: string): Promise<BenchRow[]> {
  setFlagsFromString('--expose_gc');
  const gc = runInNewContext('gc') as () => void;
  const instance = await startInstance(emulator, prefix, newGateLog());
  const answer = (index: number) =>
    instance.engine.handleTurn(
      {
        key: keyOf(100_000 + index),
        author: { id: 'U1', name: 'user' },
        text: 'chunks:2 delay:0',
        attachments: [],
        messageIds: [`idle-${index}`],
      },
      new InstantSink(),
    );
  // Warm up code paths and pools first, so the delta is per conversation and not one-off.
  await Promise.all(Array.from({ length: 100 }, (_, index) => answer(-1 - index)));
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let batch = 0; batch < IDLE_CONVERSATIONS; batch += 100) {
    await Promise.all(Array.from({ length: 100 }, (_, index) => answer(batch + index)));
  }
  gc();
  const after = process.memoryUsage().heapUsed;
  await instance.close();

  const redis = createClient({ url: REDIS_URL });
  await redis.connect();
  const keys = (await redis.keys(`${prefix}:history:*`)).slice(0, 50);
  const sizes = await Promise.all(keys.map((key) => redis.memoryUsage(key)));
  await redis.close();
  const redisBytes =
    sizes.reduce<number>((sum, size) => sum + Number(size ?? 0), 0) / Math.max(1, sizes.length);
  return [
    {
      section: 'scale',
      metric: `memory per idle conversation in the bot process (heap, ${IDLE_CONVERSATIONS} conversations)`,
      value: `${fmt(Math.max(0, after - before) / IDLE_CONVERSATIONS, 0)} bytes`,
    },
    {
      section: 'scale',
      metric: 'memory per idle conversation in Redis (history key of one short turn + answer)',
      value: `${fmt(redisBytes, 0)} bytes`,
    },
  ];
}

export async function run(): Promise<BenchRow[]> {
  const emulator = await startEmulatorProcess();
  const prefix = `bench-scale-${randomUUID().slice(0, 8)}`;
  const rows: BenchRow[] = [];
  try {
    rows.push(...(await throughput(emulator, 1, `${prefix}-1`)));
    rows.push(...(await throughput(emulator, 3, `${prefix}-3`)));
    rows.push(...(await coordinationOverhead(`${prefix}-coord`)));
    rows.push(...(await idleMemory(emulator, `${prefix}-idle`)));
  } finally {
    emulator.stop();
    const redis = createClient({ url: REDIS_URL });
    await redis.connect();
    for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
      if (keys.length > 0) await redis.del(keys);
    }
    await redis.close();
  }
  return rows;
}

runWhenMain(import.meta, run);
