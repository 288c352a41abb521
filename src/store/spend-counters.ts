/**
 * Spend-budget period counters on Keyv (memory://, sqlite://): one number per key, added with the
 * store's serialized read-modify-write, which is exact because one process owns these backends.
 */
import type { StoreKeys } from './keys.js';
import type { KeyValueStore } from './kv.js';
import type { SpendCounterRef, SpendCounters } from './types.js';

export class KeyvSpendCounters implements SpendCounters {
  private readonly kv: KeyValueStore;
  private readonly keys: StoreKeys;

  constructor(kv: KeyValueStore, keys: StoreKeys) {
    this.kv = kv;
    this.keys = keys;
  }

  async add(counters: readonly SpendCounterRef[], tokens: number): Promise<number[]> {
    return Promise.all(
      counters.map(async (counter) => {
        const ttlMs = Math.max(1, counter.expiresAt - Date.now());
        const next = await this.kv.update<number>(
          this.keys.spend(counter.id),
          (current) => (current ?? 0) + tokens,
          ttlMs,
        );
        return next ?? tokens;
      }),
    );
  }

  async read(ids: readonly string[]): Promise<number[]> {
    return Promise.all(ids.map(async (id) => (await this.kv.get<number>(this.keys.spend(id))) ?? 0));
  }
}
