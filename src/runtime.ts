/**
 * Builds the platform-neutral parts every entry point needs (store, upstream client, engine) from a
 * validated Config, and tears them down in the right order. Used by src/main.ts and `npm run chat`.
 */
import type { Config } from './config.js';
import { ConversationEngine, type EngineObserver } from './engine/engine.js';
import type { Logger } from './log.js';
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
  close(): Promise<void>;
}

export async function createRuntime(
  config: Config,
  logger: Logger,
  observer?: EngineObserver,
): Promise<Runtime> {
  const store = await createStore({
    url: config.store.url,
    prefix: config.store.prefix,
    logger,
    maxConcurrency: config.upstream.maxConcurrency,
  });
  const upstream = createUpstreamClient({ ...upstreamOptionsFromConfig(config), logger });
  const engine = new ConversationEngine({
    config,
    upstream,
    store,
    logger,
    ...(observer ? { observer } : {}),
  });
  return {
    config,
    logger,
    store,
    upstream,
    engine,
    async close() {
      await upstream.close().catch((err: unknown) => logger.warn({ err }, 'upstream close failed'));
      await store.close().catch((err: unknown) => logger.warn({ err }, 'store close failed'));
    },
  };
}
