/**
 * Per-channel and per-thread settings (model, system prompt) on Keyv. A thread's value overrides
 * its channel's; a field the user cleared (`null`) falls back to the channel, then configuration.
 */
import type { StoreKeys } from './keys.js';
import type { KeyValueStore } from './kv.js';
import type { ConversationSettings, SettingsScope, SettingsStore } from './types.js';

type SettingsPatch = { [K in keyof ConversationSettings]?: ConversationSettings[K] | null };

export class KeyvSettingsStore implements SettingsStore {
  private readonly kv: KeyValueStore;
  private readonly keys: StoreKeys;

  constructor(kv: KeyValueStore, keys: StoreKeys) {
    this.kv = kv;
    this.keys = keys;
  }

  async get(scope: SettingsScope): Promise<ConversationSettings> {
    return (await this.kv.get<ConversationSettings>(this.keys.settings(scope))) ?? {};
  }

  async resolve(scope: SettingsScope): Promise<ConversationSettings> {
    const channelScope: SettingsScope = {
      platform: scope.platform,
      workspace: scope.workspace,
      channel: scope.channel,
    };
    const [channel, thread] = await Promise.all([
      this.get(channelScope),
      scope.thread === undefined ? Promise.resolve({}) : this.get(scope),
    ]);
    return { ...channel, ...thread };
  }

  async set(scope: SettingsScope, patch: SettingsPatch): Promise<void> {
    await this.kv.update<ConversationSettings>(this.keys.settings(scope), (current) => {
      const next: Record<string, unknown> = { ...current };
      for (const [field, value] of Object.entries(patch)) {
        if (value === null) delete next[field];
        else if (value !== undefined) next[field] = value;
      }
      // An empty object is deleted rather than stored, so clearing everything leaves no key behind.
      return Object.keys(next).length === 0 ? undefined : (next as ConversationSettings);
    });
  }
}
