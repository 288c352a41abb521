/**
 * A store that cannot be reached fails fast with `StoreUnavailableError` and a message that names
 * the backend without its password; a Redis that dies mid-run fails operations instead of queueing
 * them, and works again when it comes back.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { createStore } from '../../src/store/create-store.js';
import type { Store } from '../../src/store/types.js';
import { deleteRedisKeys, freshConversation, userTurn } from './backends.js';
import { startSilentServer, TcpProxy } from './tcp-proxy.js';

const prefix = `test-unavailable-${process.pid}`;

describe('unreachable stores', () => {
  it('a Redis nobody listens on rejects start-up with StoreUnavailableError, password not shown', async () => {
    const failure = createStore({
      url: 'redis://bot:hunter2-secret@127.0.0.1:1',
      prefix,
      connectTimeoutMs: 1_000,
    });
    const error = await failure.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain('redis at 127.0.0.1:1');
    expect((error as Error).message).not.toContain('hunter2-secret');
    expect((error as Error).message).not.toContain('bot:');
  });

  it('a port that accepts TCP but never answers rejects within the connect timeout', async () => {
    const silent = await startSilentServer();
    try {
      const error = await createStore({
        url: `redis://:hunter2-secret@127.0.0.1:${silent.port}`,
        prefix,
        connectTimeoutMs: 300,
      }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).not.toContain('hunter2-secret');
    } finally {
      await silent.close();
    }
  }, 5_000);

  it('a SQLite path that cannot be created is StoreUnavailableError naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gcb-unavailable-'));
    try {
      const notADirectory = join(dir, 'plain-file');
      await writeFile(notADirectory, 'not a directory');
      const error = await createStore({ url: `sqlite://${notADirectory}/bot.sqlite`, prefix }).catch(
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toContain('plain-file/bot.sqlite');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an unknown scheme is StoreUnavailableError', async () => {
    await expect(createStore({ url: 'postgres://db/bot', prefix })).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
  });
});

describe('Redis dying and coming back mid-run', () => {
  const proxy = new TcpProxy(6379);
  let store: Store;

  beforeAll(async () => {
    await proxy.start();
    store = await createStore({ url: `redis://127.0.0.1:${proxy.port}`, prefix, operationTimeoutMs: 500 });
  });
  afterAll(async () => {
    await store.close();
    await proxy.stop();
    await deleteRedisKeys(`${prefix}:*`);
  });

  it('operations reject with StoreUnavailableError while Redis is gone, then work again', async () => {
    const key = freshConversation();
    await store.history.append(key, [userTurn('before the outage', 'o1')]);

    await proxy.stop();
    await expect(store.history.load(key)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.dedupe.claim('during-outage', 1_000)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.locks.acquire('during-outage')).rejects.toBeInstanceOf(StoreUnavailableError);

    await proxy.start();
    await vi.waitFor(() => store.ping(), { timeout: 10_000, interval: 100 });
    expect((await store.history.load(key)).map((turn) => turn.text)).toEqual(['before the outage']);
  }, 20_000);
});

describe('Redis frozen or gone at the wrong moment', () => {
  afterAll(async () => {
    await deleteRedisKeys(`${prefix}:*`);
  });

  it('a server that stops answering mid-run fails operations after the operation timeout', async () => {
    const proxy = new TcpProxy(6379);
    await proxy.start();
    const store = await createStore({
      url: `redis://127.0.0.1:${proxy.port}`,
      prefix,
      operationTimeoutMs: 300,
    });
    try {
      await store.ping();
      proxy.freeze();
      const error = await store.history.load(freshConversation()).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toContain('did not answer');
    } finally {
      await store.close();
      await proxy.stop();
    }
  }, 10_000);

  it('closing a store whose Redis is gone does not hang', async () => {
    const proxy = new TcpProxy(6379);
    await proxy.start();
    const store = await createStore({
      url: `redis://127.0.0.1:${proxy.port}`,
      prefix,
      operationTimeoutMs: 300,
    });
    const lock = await store.locks.acquire('held-at-shutdown', { ttlMs: 1_000 });
    await proxy.stop();
    await expect(store.close()).resolves.toBeUndefined();
    expect(lock.token).toBeGreaterThan(0);
  }, 10_000);
});
