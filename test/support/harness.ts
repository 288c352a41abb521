/**
 * Builds a real engine for tests: the real upstream client against a fresh loopback upstream
 * emulator, a real store (memory by default; pass `storeUrl` for SQLite or Redis), and a Config from
 * the same schema production uses. Everything it starts is closed by `close()`.
 */
import { randomUUID } from 'node:crypto';
import { type Config, loadConfig } from '../../src/config.js';
import { ConversationEngine, type EngineObserver } from '../../src/engine/engine.js';
import { type Logger, silentLogger } from '../../src/log.js';
import { createStore } from '../../src/store/create-store.js';
import type { Store } from '../../src/store/types.js';
import { createUpstreamClient } from '../../src/upstream/client.js';
import type { UpstreamClient } from '../../src/upstream/types.js';
import { startUpstreamEmulator, type UpstreamEmulator } from '../emulators/upstream/server.js';

export interface TestEngine {
  engine: ConversationEngine;
  store: Store;
  upstream: UpstreamClient;
  emulator: UpstreamEmulator;
  config: Config;
  close(): Promise<void>;
}

export async function createTestEngine(
  options: {
    env?: Record<string, string>;
    storeUrl?: string;
    logger?: Logger;
    observer?: EngineObserver;
    /** Small by default so hang and timeout tests finish quickly. */
    firstByteTimeoutMs?: number;
    idleTimeoutMs?: number;
    maxRetries?: number;
    /** The conversation lock's TTL (short for tests of a lock lost under a turn). */
    lockTtlMs?: number;
  } = {},
): Promise<TestEngine> {
  const emulator = await startUpstreamEmulator();
  const config = loadConfig({
    ACEDATA_API_TOKEN: emulator.token,
    ACEDATA_BASE_URL: emulator.url,
    STORE_URL: options.storeUrl ?? 'memory://',
    STORE_PREFIX: `test-${randomUUID().slice(0, 8)}`,
    RATE_LIMIT_PER_MINUTE: '0',
    ...options.env,
  });
  const logger = options.logger ?? silentLogger;
  const store = await createStore({
    url: config.store.url,
    prefix: config.store.prefix,
    logger,
    maxConcurrency: config.upstream.maxConcurrency,
  });
  const upstream = createUpstreamClient({
    baseUrl: config.upstream.baseUrl,
    apiToken: config.upstream.apiToken,
    connectTimeoutMs: 2_000,
    firstByteTimeoutMs: options.firstByteTimeoutMs ?? 2_000,
    idleTimeoutMs: options.idleTimeoutMs ?? 1_000,
    maxRetries: options.maxRetries ?? 0,
    retryBaseDelayMs: 10,
    logger,
  });
  const engine = new ConversationEngine({
    config,
    upstream,
    store,
    logger,
    ...(options.observer ? { observer: options.observer } : {}),
    ...(options.lockTtlMs ? { lockTtlMs: options.lockTtlMs } : {}),
  });
  return {
    engine,
    store,
    upstream,
    emulator,
    config,
    async close() {
      await upstream.close();
      await store.close();
      await emulator.close();
    },
  };
}
