/**
 * Builds the `Store` from STORE_URL. Every backend gets the same history, settings and usage code
 * on Keyv; coordination (de-dupe, locks, rate limits, the upstream gate) is in-process for
 * memory:// and sqlite:// (one process owns the data) and shared through Redis for redis:// (many
 * instances). A store that cannot be reached rejects with `StoreUnavailableError` within about
 * `connectTimeoutMs`, with a message that names the backend but never its password.
 */
import { StoreUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import { KeyvFeedbackStore } from './feedback-store.js';
import { DEFAULT_OPERATION_TIMEOUT_MS, describeStoreUrl, sqlitePathOf } from './guard.js';
import { DEFAULT_HISTORY_TTL_MS, KeyvHistoryStore } from './history-store.js';
import { InProcessDeduplicator } from './in-process/dedupe.js';
import { InProcessGate } from './in-process/gate.js';
import { InProcessLocks } from './in-process/locks.js';
import { InProcessRateLimiter } from './in-process/rate-limiter.js';
import { InProcessStopSignals } from './in-process/stop-signals.js';
import { StoreKeys } from './keys.js';
import { openMemoryKeyv, openRedisKeyv, openSqliteKeyv } from './keyv-backends.js';
import { KeyValueStore } from './kv.js';
import { RedisCompareAndSet } from './redis/compare-and-set.js';
import { RedisConnection, type Subscription } from './redis/connection.js';
import { RedisDeduplicator } from './redis/dedupe.js';
import { RedisGate } from './redis/gate.js';
import { RedisLocks } from './redis/locks.js';
import { RedisRateLimiter } from './redis/rate-limiter.js';
import { RedisSpendCounters } from './redis/spend-counters.js';
import { RedisStopSignals } from './redis/stop-signals.js';
import { RedisUsageCounters } from './redis/usage-counters.js';
import { LocalWakeups } from './redis/waiting.js';
import { connectWakeups } from './redis/wakeup-channel.js';
import { KeyvSettingsStore } from './settings-store.js';
import { KeyvSpendCounters } from './spend-counters.js';
import type { Store } from './types.js';
import { CountingUsageStore, KeyvUsageCounters } from './usage-store.js';
import { KeyvViewingContextStore } from './viewing-store.js';

export interface CreateStoreOptions {
  /** STORE_URL: `sqlite://path`, `redis://[user:password@]host:port[/db]` or `memory://`. */
  url: string;
  /** STORE_PREFIX: the first segment of every key. */
  prefix: string;
  logger?: Logger;
  /** Upstream requests allowed at once across all instances sharing the store (default 20). */
  maxConcurrency?: number;
  /** How long start-up waits for the backend (default 3000 ms). */
  connectTimeoutMs?: number;
  /** Bound on each operation once running (default 2000 ms). */
  operationTimeoutMs?: number;
  /** How long an untouched conversation is kept (default 90 days). */
  historyTtlMs?: number;
  /** Turns kept per conversation, oldest dropped first (default 500). */
  maxStoredTurns?: number;
  /** How long a rating of an answer is kept after its last change (default 90 days). */
  feedbackRetentionMs?: number;
}

const DEFAULT_MAX_CONCURRENCY = 20;
const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;
/** Keyv key read by `ping`; it never exists, reading it is the round trip. */
const PING_KEY_AREA = 'ping';

/** Opens the store named by `options.url`; see `CreateStoreOptions`. */
export async function createStore(options: CreateStoreOptions): Promise<Store> {
  const scheme = options.url.split(':', 1)[0]?.toLowerCase();
  if (scheme === 'memory') return openInProcessStore('memory', options);
  if (scheme === 'sqlite') return openInProcessStore('sqlite', options);
  if (scheme === 'redis' || scheme === 'rediss') return openRedisStore(options);
  throw new StoreUnavailableError(
    `Unsupported STORE_URL scheme "${scheme ?? ''}": expected sqlite://, redis:// or memory://`,
  );
}

async function openInProcessStore(kind: 'memory' | 'sqlite', options: CreateStoreOptions): Promise<Store> {
  const backend = describeStoreUrl(options.url);
  const operationTimeoutMs = options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
  const keyv =
    kind === 'memory'
      ? openMemoryKeyv()
      : await openSqliteKeyv(
          sqlitePathOf(options.url),
          backend,
          options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        );
  const kv = new KeyValueStore(keyv, backend, operationTimeoutMs);
  const keys = new StoreKeys(options.prefix);
  const historyTtlMs = options.historyTtlMs ?? DEFAULT_HISTORY_TTL_MS;
  let closed: Promise<void> | undefined;
  return {
    kind,
    history: new KeyvHistoryStore(kv, keys, { ttlMs: historyTtlMs, maxStoredTurns: options.maxStoredTurns }),
    settings: new KeyvSettingsStore(kv, keys),
    viewing: new KeyvViewingContextStore(kv, keys),
    usage: new CountingUsageStore(new KeyvUsageCounters(kv), keys, historyTtlMs),
    spend: new KeyvSpendCounters(kv, keys),
    feedback: new KeyvFeedbackStore(kv, keys, options.feedbackRetentionMs),
    dedupe: new InProcessDeduplicator(),
    locks: new InProcessLocks(),
    rateLimiter: new InProcessRateLimiter(),
    upstreamGate: new InProcessGate(options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY),
    stopSignals: new InProcessStopSignals(),
    ping: () => kv.ping(keys.area('settings', PING_KEY_AREA)),
    close: () => {
      closed ??= kv.close();
      return closed;
    },
  };
}

async function openRedisStore(options: CreateStoreOptions): Promise<Store> {
  const backend = describeStoreUrl(options.url);
  const operationTimeoutMs = options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
  const redis = await RedisConnection.open({
    url: options.url,
    backend,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    operationTimeoutMs,
    logger: options.logger,
  });
  const kv = new KeyValueStore(
    openRedisKeyv(redis),
    backend,
    operationTimeoutMs,
    new RedisCompareAndSet(redis),
  );
  const keys = new StoreKeys(options.prefix);
  let stopSignals: RedisStopSignals;
  const wakeups = new LocalWakeups();
  let wakeupChannel: Subscription;
  try {
    stopSignals = await RedisStopSignals.open(redis, keys.area('lock', 'stop-requests'), options.logger);
    wakeupChannel = await connectWakeups(redis, keys.area('lock', 'wakeups'), wakeups, options.logger).catch(
      async (error: unknown) => {
        await stopSignals.close().catch(() => undefined);
        throw error;
      },
    );
  } catch (error) {
    await redis.close().catch(() => undefined);
    throw error;
  }
  const historyTtlMs = options.historyTtlMs ?? DEFAULT_HISTORY_TTL_MS;
  const locks = new RedisLocks(redis, keys, wakeups, options.logger);
  const gate = new RedisGate(redis, keys, options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY, wakeups);
  let closed: Promise<void> | undefined;
  return {
    kind: 'redis',
    history: new KeyvHistoryStore(kv, keys, { ttlMs: historyTtlMs, maxStoredTurns: options.maxStoredTurns }),
    settings: new KeyvSettingsStore(kv, keys),
    viewing: new KeyvViewingContextStore(kv, keys),
    usage: new CountingUsageStore(new RedisUsageCounters(redis), keys, historyTtlMs),
    spend: new RedisSpendCounters(redis, keys),
    feedback: new KeyvFeedbackStore(kv, keys, options.feedbackRetentionMs),
    dedupe: new RedisDeduplicator(redis, keys),
    locks,
    rateLimiter: new RedisRateLimiter(redis, keys),
    upstreamGate: gate,
    stopSignals,
    ping: () => redis.ping(),
    close: () => {
      // Timers first: a renewal firing into a closing connection would only log noise.
      locks.close();
      gate.close();
      closed ??= Promise.all([stopSignals.close(), wakeupChannel.close()]).then(() => redis.close());
      return closed;
    },
  };
}
