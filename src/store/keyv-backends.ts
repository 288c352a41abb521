/**
 * Builds the Keyv instance behind history, settings and usage for each STORE_URL scheme. Keys arrive
 * complete (`<prefix>:history:…`, see keys.ts), so Keyv's own namespace prefixing is switched off on
 * every backend, and `throwOnErrors` is on so a failing backend is an error, never an empty read.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import KeyvRedis from '@keyv/redis';
import KeyvSqlite from '@keyv/sqlite';
import { Keyv, type KeyvStoreAdapter } from 'keyv';
import { StoreUnavailableError } from '../errors.js';
import { guarded } from './guard.js';
import type { RedisConnection } from './redis/connection.js';

/**
 * The text Keyv stores for a value: `{ value, expires }` as JSON, `expires` an epoch-ms deadline or
 * absent. Writers that bypass Keyv (the atomic Redis update) use these two so Keyv reads their
 * values back exactly as its own.
 */
export function encodeKeyvEntry(value: unknown, ttlMs: number | undefined): string {
  return JSON.stringify({ value, expires: ttlMs ? Date.now() + ttlMs : undefined });
}

/** The value of a stored Keyv entry, or undefined when there is none or it has expired. */
export function decodeKeyvEntry<T>(text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  const entry = JSON.parse(text) as { value?: T; expires?: unknown };
  if (typeof entry.expires === 'number' && Date.now() > entry.expires) return undefined;
  return entry.value ?? undefined;
}

/** A Keyv that stores whole keys as given and throws what its adapter throws. */
function plainKeyv(store: KeyvStoreAdapter | Map<string, unknown>): Keyv {
  const keyv = new Keyv({
    store,
    throwOnErrors: true,
    useKeyPrefix: false,
    // Keyv's default serializer builds the JSON by concatenation, which leaves a rope of small
    // strings: ~3x the heap of the flat string JSON.stringify returns (bench/sections/store.ts).
    // Stored values are plain JSON (no Buffers or Dates), so JSON.stringify loses nothing.
    serialize: (data) => JSON.stringify(data),
    deserialize: (text) => JSON.parse(text),
  });
  keyv.namespace = undefined;
  return keyv;
}

/** memory:// — a Map in this process; gone on restart. */
export function openMemoryKeyv(): Keyv {
  return plainKeyv(new Map());
}

/**
 * sqlite://path — one file, one process. The parent directory is created; a path that cannot be
 * created, opened or written rejects with `StoreUnavailableError` naming the file.
 */
export async function openSqliteKeyv(path: string, backend: string, timeoutMs: number): Promise<Keyv> {
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new StoreUnavailableError(`Cannot create the directory of ${backend}: ${reason}`, { cause: error });
  }
  // busyTimeout: a second tool (sqlite3 shell, a backup) holding the file briefly is waited for.
  const adapter = new KeyvSqlite({ uri: `sqlite://${path}`, busyTimeout: 5_000 });
  const keyv = plainKeyv(adapter);
  try {
    await guarded(backend, 'opening the database', timeoutMs, async () => {
      // WAL lets reads proceed during a write and makes each write one append instead of a rewrite.
      await adapter.query('PRAGMA journal_mode=WAL');
      // In WAL mode NORMAL syncs at checkpoints, not on every commit: a crash of the bot loses
      // nothing, a power cut may lose the last turns. Worth it: commits stop waiting on fsync.
      await adapter.query('PRAGMA synchronous=NORMAL');
      await keyv.get('probe');
    });
    await purgeExpiredRows(adapter);
  } catch (error) {
    await adapter.disconnect().catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new StoreUnavailableError(`Cannot open ${backend}: ${reason}`, { cause: error });
  }
  return keyv;
}

/**
 * Keyv on SQLite keeps the expiry inside each value and deletes an expired row only when it is read,
 * so conversations nobody returns to would stay in the file forever. Once per start-up, rows whose
 * expiry has passed are deleted. A failure here is not fatal: the data is still correct, just larger.
 */
async function purgeExpiredRows(adapter: KeyvSqlite): Promise<void> {
  try {
    await adapter.query(
      `DELETE FROM keyv WHERE json_valid(value) AND json_extract(value, '$.expires') < ?`,
      Date.now(),
    );
  } catch {
    // An old SQLite without JSON functions: expired rows are then removed when read, as before.
  }
}

/** redis:// — on the store's one connection (the connection is closed by its owner, not by Keyv). */
export function openRedisKeyv(redis: RedisConnection): Keyv {
  const adapter = new KeyvRedis(redis.client as never, {
    throwOnErrors: true,
    throwOnConnectError: true,
  });
  adapter.namespace = undefined;
  return plainKeyv(adapter as unknown as KeyvStoreAdapter);
}
