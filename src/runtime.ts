/**
 * Builds the platform-neutral parts every entry point needs (store, upstream client, engine) from a
 * validated Config, and tears them down in the right order. Used only by the two composition roots,
 * src/main.ts (the bot, and each Discord shard process it forks) and src/chat.ts (`npm run chat`);
 * nothing below them imports this file (test/architecture.test.ts). With `metrics`, the upstream client and the store
 * are wrapped so every stream and every wait for an upstream slot is measured, and the engine
 * reports each turn to it.
 */
import type { Config } from './config.js';
import { ConversationEngine, type EngineObserver } from './engine/engine.js';
import type { Logger } from './log.js';
import { meterStore, startStoreProbe } from './ops/metered-store.js';
import { meterUpstream } from './ops/metered-upstream.js';
import type { BotMetrics } from './ops/metrics.js';
import { createStore } from './store/create-store.js';
import type { Store } from './store/types.js';
import { createUpstreamClient, upstreamOptionsFromConfig } from './upstream/client.js';
import type { UpstreamClient } from './upstream/types.js';

export interface Runtime {
  config: Config;
  logger: Logger;
  store: Store;
  upstream: UpstreamClient;
  engine: ConversationEngine;
  /** Closes the upstream pool, then the store (after the engine's replies ended). */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** Feeds Prometheus metrics (src/ops/metrics.ts) and starts a periodic store probe. */
  metrics?: BotMetrics;
  /** Extra engine hooks (tests); called after the metrics' own. */
  observer?: EngineObserver;
  /** How often the store probe pings (default 10 s). */
  storeProbeIntervalMs?: number;
}

/** Opens the store and builds the upstream client and engine; rejects with `StoreUnavailableError`. */
export async function createRuntime(
  config: Config,
  logger: Logger,
  options: RuntimeOptions = {},
): Promise<Runtime> {
  const { metrics } = options;
  const rawStore = await createStore({
    url: config.store.url,
    prefix: config.store.prefix,
    logger,
    maxConcurrency: config.upstream.maxConcurrency,
    feedbackRetentionMs: config.store.feedbackRetentionDays * 24 * 60 * 60 * 1000,
  });
  const rawUpstream = createUpstreamClient({ ...upstreamOptionsFromConfig(config), logger });
  const store = metrics ? meterStore(rawStore, metrics) : rawStore;
  const upstream = metrics ? meterUpstream(rawUpstream, metrics) : rawUpstream;
  const observer = combineObservers(metrics?.observer, options.observer);
  const engine = new ConversationEngine({
    config,
    upstream,
    store,
    logger,
    ...(observer ? { observer } : {}),
  });
  let stopProbe: (() => void) | undefined;
  if (metrics) {
    metrics.bind({
      activeStreams: () => engine.activeStreams,
      queueLength: () => store.upstreamGate.queueLength(),
    });
    stopProbe = startStoreProbe(store, metrics, {
      logger,
      ...(options.storeProbeIntervalMs ? { intervalMs: options.storeProbeIntervalMs } : {}),
    });
  }
  let closing: Promise<void> | undefined;
  return {
    config,
    logger,
    store,
    upstream,
    engine,
    close() {
      closing ??= (async () => {
        stopProbe?.();
        await upstream.close().catch((err: unknown) => logger.warn({ err }, 'upstream close failed'));
        await store.close().catch((err: unknown) => logger.warn({ err }, 'store close failed'));
      })();
      return closing;
    },
  };
}

/** One observer that calls each given one in turn; undefined when none is given. */
function combineObservers(...observers: Array<EngineObserver | undefined>): EngineObserver | undefined {
  const present = observers.filter((o): o is EngineObserver => o !== undefined);
  if (present.length === 0) return undefined;
  if (present.length === 1) return present[0];
  return {
    turnStarted: (...args) => {
      for (const o of present) o.turnStarted?.(...args);
    },
    firstContent: (...args) => {
      for (const o of present) o.firstContent?.(...args);
    },
    turnFinished: (...args) => {
      for (const o of present) o.turnFinished?.(...args);
    },
    budgetRefused: (...args) => {
      for (const o of present) o.budgetRefused?.(...args);
    },
    modelFallback: (...args) => {
      for (const o of present) o.modelFallback?.(...args);
    },
    feedback: (...args) => {
      for (const o of present) o.feedback?.(...args);
    },
    summaryRequested: (...args) => {
      for (const o of present) o.summaryRequested?.(...args);
    },
  };
}
