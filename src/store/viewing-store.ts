/** What each person is viewing (ViewingContextStore) on Keyv: one small value per person, expiring. */
import type { StoreKeys } from './keys.js';
import type { KeyValueStore } from './kv.js';
import type { PlatformName, ViewingContextStore } from './types.js';

/** Slack sends a new context whenever the person moves; one a day old is stale. */
export const VIEWING_CONTEXT_TTL_MS = 24 * 60 * 60_000;

export class KeyvViewingContextStore implements ViewingContextStore {
  private readonly kv: KeyValueStore;
  private readonly keys: StoreKeys;

  constructor(kv: KeyValueStore, keys: StoreKeys) {
    this.kv = kv;
    this.keys = keys;
  }

  async remember(
    platform: PlatformName,
    workspace: string,
    userId: string,
    channel: string | undefined,
  ): Promise<void> {
    const key = this.keys.viewing(platform, workspace, userId);
    if (channel === undefined) await this.kv.delete(key);
    else await this.kv.set(key, { channel }, VIEWING_CONTEXT_TTL_MS);
  }

  async channelOf(platform: PlatformName, workspace: string, userId: string): Promise<string | undefined> {
    const stored = await this.kv.get<{ channel?: unknown }>(this.keys.viewing(platform, workspace, userId));
    return typeof stored?.channel === 'string' ? stored.channel : undefined;
  }
}
