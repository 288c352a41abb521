/**
 * What src/main.ts needs from every chat platform adapter: start it, ask whether it is connected,
 * stop it. Each adapter's index.ts exports a `start<Platform>(deps): Promise<PlatformHandle>`.
 */
import type { Config } from '../config.js';
import type { ConversationEngineApi } from '../engine/conversation-engine-api.js';
import type { Logger } from '../log.js';
import type { HttpRoutes } from '../ops/http-server.js';
import type { PlatformName, Store } from '../store/types.js';

export interface PlatformHandle {
  name: PlatformName;
  isReady(): boolean;
  stop(): Promise<void>;
}

export interface PlatformDependencies {
  config: Config;
  engine: ConversationEngineApi;
  store: Store;
  logger: Logger;
  http: HttpRoutes;
}
