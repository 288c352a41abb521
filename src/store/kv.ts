/**
 * The key-value surface the history, settings and usage stores use: Keyv 5 over a Map, SQLite or
 * Redis, with every call bounded in time and every failure a `StoreUnavailableError`.
 *
 * Keyv swallows adapter errors unless told otherwise (a failed `get` would read as "no history"),
 * so the Keyv instances are built with `throwOnErrors` and this wrapper converts what they throw.
 */
import type { Keyv } from 'keyv';
import { guarded } from './guard.js';
import { KeyedMutex } from './keyed-mutex.js';

/** A JSON value store with per-key read-modify-write. */
export class KeyValueStore {
  readonly #keyv: Keyv;
  readonly #backend: string;
  readonly #timeoutMs: number;
  readonly #updates = new KeyedMutex();

  /**
   * @param keyv a Keyv with `throwOnErrors: true` and key prefixing off (keys arrive complete).
   * @param backend redacted description used in error messages.
   * @param timeoutMs bound on each call.
   */
  constructor(keyv: Keyv, backend: string, timeoutMs: number) {
    this.#keyv = keyv;
    this.#backend = backend;
    this.#timeoutMs = timeoutMs;
  }

  async get<T>(key: string): Promise<T | undefined> {
    return guarded(this.#backend, 'a read', this.#timeoutMs, async () => {
      const value: unknown = await this.#keyv.get(key);
      return (value ?? undefined) as T | undefined;
    });
  }

  /** Writes `value`; `ttlMs` undefined keeps it forever. */
  async set(key: string, value: unknown, ttlMs?: number): Promise<void> {
    await guarded(this.#backend, 'a write', this.#timeoutMs, async () => {
      const ok = await this.#keyv.set(key, value, ttlMs);
      if (ok === false) throw new Error('the write was not acknowledged');
    });
  }

  async delete(key: string): Promise<void> {
    await guarded(this.#backend, 'a delete', this.#timeoutMs, async () => {
      await this.#keyv.delete(key);
    });
  }

  /**
   * Reads, transforms and writes one key, serialized with every other `update` of that key in this
   * process. `change` returning undefined deletes the key. Across processes (Redis) the caller must
   * hold a lock when concurrent updates of one key are possible, as the engine does for history.
   */
  async update<T>(
    key: string,
    change: (current: T | undefined) => T | undefined,
    ttlMs?: number,
  ): Promise<T | undefined> {
    return this.#updates.run(key, async () => {
      const next = change(await this.get<T>(key));
      if (next === undefined) await this.delete(key);
      else await this.set(key, next, ttlMs);
      return next;
    });
  }

  /** Round-trips a probe read. */
  async ping(probeKey: string): Promise<void> {
    await this.get(probeKey);
  }

  async close(): Promise<void> {
    await this.#keyv.disconnect();
  }
}
