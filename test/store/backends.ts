/**
 * The three real backends the contract suites run against: memory, a SQLite file in a temp
 * directory, and the Redis at 127.0.0.1:6379. Each suite gets a unique key prefix and removes
 * every key under it (and its temp directory) when it is done.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@redis/client';
import { type CreateStoreOptions, createStore } from '../../src/store/create-store.js';
import type { ConversationKey, Store, Turn } from '../../src/store/types.js';

export const REDIS_URL = 'redis://127.0.0.1:6379';

export type BackendName = 'memory' | 'sqlite' | 'redis';
export const BACKENDS: BackendName[] = ['memory', 'sqlite', 'redis'];

/** Opens stores of one backend under one unique prefix and cleans everything up afterwards. */
export class BackendFixture {
  readonly prefix = `test-${randomUUID().slice(0, 8)}`;
  private readonly opened: Store[] = [];
  private dir: string | undefined;

  constructor(readonly backend: BackendName) {}

  /** The STORE_URL for this backend (the same SQLite file every time, so reopening is a restart). */
  async url(): Promise<string> {
    if (this.backend === 'memory') return 'memory://';
    if (this.backend === 'redis') return REDIS_URL;
    this.dir ??= await mkdtemp(join(tmpdir(), 'gcb-store-'));
    return `sqlite://${join(this.dir, 'nested', 'bot.sqlite')}`;
  }

  async open(options: Partial<CreateStoreOptions> = {}): Promise<Store> {
    const store = await createStore({ url: await this.url(), prefix: this.prefix, ...options });
    this.opened.push(store);
    return store;
  }

  /** Closes every store opened here, deletes the prefix's Redis keys and the temp directory. */
  async cleanup(): Promise<void> {
    await Promise.all(this.opened.map((store) => store.close()));
    // `prefix*`, not `prefix:*`: a test may open a second prefix derived from this one.
    if (this.backend === 'redis') await deleteRedisKeys(`${this.prefix}*`);
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

/** Deletes every key matching `pattern` from the test Redis (or the one at `url`). */
export async function deleteRedisKeys(pattern: string, url = REDIS_URL): Promise<void> {
  const client = createClient({ url });
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: pattern, COUNT: 500 })) {
      if (keys.length > 0) await client.del(keys);
    }
  } finally {
    client.destroy();
  }
}

/** Lists keys matching `pattern` in the test Redis. */
export async function listRedisKeys(pattern: string): Promise<string[]> {
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  try {
    const found: string[] = [];
    for await (const keys of client.scanIterator({ MATCH: pattern, COUNT: 500 })) found.push(...keys);
    return found;
  } finally {
    client.destroy();
  }
}

let conversationCounter = 0;

/** A conversation no other test touches. */
export function freshConversation(platform: ConversationKey['platform'] = 'discord'): ConversationKey {
  conversationCounter += 1;
  return { platform, workspace: 'guild-1', channel: `channel-${conversationCounter}`, thread: 'thread-1' };
}

export function userTurn(text: string, messageId: string, createdAt = Date.now()): Turn {
  return {
    role: 'user',
    text,
    attachments: [],
    author: { id: 'user-1', name: 'Ada' },
    messageIds: [messageId],
    createdAt,
  };
}

export function assistantTurn(text: string, messageIds: string[], createdAt = Date.now()): Turn {
  return {
    role: 'assistant',
    text,
    attachments: [],
    messageIds,
    createdAt,
    model: 'gemini-2.5-flash',
    usage: { promptTokens: 10, completionTokens: 5, reasoningTokens: 0, totalTokens: 15 },
  };
}
