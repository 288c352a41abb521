/**
 * The key-value surface the history, settings and usage stores use: Keyv 5 over a Map, SQLite or
 * Redis, with every call bounded in time and every failure a `StoreUnavailableError`.
 *
 * Keyv swallows adapter errors unless told otherwise (a failed `get` would read as "no history"),
 * so the Keyv instances are built with `throwOnErrors` and this wrapper converts what they throw.
 */
import type { Keyv } from 'keyv';
import { LockLostError, StoreUnavailableError } from '../errors.js';
import { guarded } from './guard.js';
import { KeyedMutex } from './keyed-mutex.js';
import { decodeKeyvEntry, encodeKeyvEntry } from './keyv-backends.js';
import type { HeldLock, LockFence } from './types.js';

export type CompareAndSetResult = 'written' | 'changed' | 'lock_lost';

/**
 * A backend shared by several processes (Redis) that can write one raw Keyv entry atomically:
 * only if it still holds what was read and, given a fence, only while that lock is held.
 */
export interface AtomicWrites {
  read(key: string): Promise<string | undefined>;
  /** `next` undefined deletes; `expected` undefined means "the key was absent". */
  compareAndSet(
    key: string,
    expected: string | undefined,
    next: string | undefined,
    ttlMs: number | undefined,
    fence: LockFence | undefined,
  ): Promise<CompareAndSetResult>;
}

/** Another process kept changing the key between a read and the write this many times: give up. */
const MAX_UPDATE_ATTEMPTS = 50;

/** A JSON value store with per-key read-modify-write. */
export class KeyValueStore {
  private readonly keyv: Keyv;
  private readonly backend: string;
  private readonly timeoutMs: number;
  private readonly updates = new KeyedMutex();
  private readonly atomic: AtomicWrites | undefined;

  /**
   * @param keyv a Keyv with `throwOnErrors: true` and key prefixing off (keys arrive complete).
   * @param backend redacted description used in error messages.
   * @param timeoutMs bound on each call.
   * @param atomic for a backend shared by processes: how `update` writes atomically there.
   */
  constructor(keyv: Keyv, backend: string, timeoutMs: number, atomic?: AtomicWrites) {
    this.keyv = keyv;
    this.backend = backend;
    this.timeoutMs = timeoutMs;
    this.atomic = atomic;
  }

  async get<T>(key: string): Promise<T | undefined> {
    return guarded(this.backend, 'a read', this.timeoutMs, async () => {
      const value: unknown = await this.keyv.get(key);
      return (value ?? undefined) as T | undefined;
    });
  }

  /** Writes `value`; `ttlMs` undefined keeps it forever. */
  async set(key: string, value: unknown, ttlMs?: number): Promise<void> {
    await guarded(this.backend, 'a write', this.timeoutMs, async () => {
      const ok = await this.keyv.set(key, value, ttlMs);
      if (ok === false) throw new Error('the write was not acknowledged');
    });
  }

  async delete(key: string): Promise<void> {
    await guarded(this.backend, 'a delete', this.timeoutMs, async () => {
      await this.keyv.delete(key);
    });
  }

  /**
   * Reads, transforms and writes one key, serialized with every other `update` of that key in this
   * process and, on a shared backend, atomic against other processes (a compare-and-set retried
   * until it lands, so `change` may run more than once). `change` returning undefined deletes the
   * key. With `lock`, nothing is written unless that lock is still held: `LockLostError`.
   */
  async update<T>(
    key: string,
    change: (current: T | undefined) => T | undefined,
    ttlMs?: number,
    options: { lock?: HeldLock } = {},
  ): Promise<T | undefined> {
    const { lock } = options;
    return this.updates.run(key, async () => {
      if (this.atomic) return this.updateAtomically(this.atomic, key, change, ttlMs, lock);
      const next = change(await this.get<T>(key));
      // One process owns this backend and its locks: a lock still held now stays held until this
      // write is done, because only this holder can release it.
      if (lock && !lock.held) throw new LockLostError();
      if (next === undefined) await this.delete(key);
      else await this.set(key, next, ttlMs);
      return next;
    });
  }

  private async updateAtomically<T>(
    atomic: AtomicWrites,
    key: string,
    change: (current: T | undefined) => T | undefined,
    ttlMs: number | undefined,
    lock: HeldLock | undefined,
  ): Promise<T | undefined> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt += 1) {
      const read = await atomic.read(key);
      const next = change(decodeKeyvEntry<T>(read));
      const written = next === undefined ? undefined : encodeKeyvEntry(next, ttlMs);
      const result = await atomic.compareAndSet(key, read, written, ttlMs, lock?.fence);
      if (result === 'written') return next;
      if (result === 'lock_lost') throw new LockLostError();
    }
    throw new StoreUnavailableError(
      `${this.backend} kept changing a value during ${MAX_UPDATE_ATTEMPTS} updates`,
    );
  }

  /** Round-trips a probe read. */
  async ping(probeKey: string): Promise<void> {
    await this.get(probeKey);
  }

  async close(): Promise<void> {
    await this.keyv.disconnect();
  }
}
