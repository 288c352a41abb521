/**
 * The contract every backend keeps for what the bot remembers: history, message links, settings
 * and usage totals. The same suite runs on memory, a real SQLite file and the real Redis.
 */
import sqlite3 from 'sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationId, type Store } from '../../src/store/types.js';
import {
  assistantTurn,
  BACKENDS,
  BackendFixture,
  freshConversation,
  listRedisKeys,
  userTurn,
} from './backends.js';

describe.each(BACKENDS)('%s store: history, settings and usage', (backend) => {
  const fixture = new BackendFixture(backend);
  let store: Store;

  beforeAll(async () => {
    store = await fixture.open({ maxStoredTurns: 6 });
  });
  afterAll(async () => {
    await fixture.cleanup();
  });

  it('reports which backend it is and answers a ping', async () => {
    expect(store.kind).toBe(backend);
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('remembers what a person is viewing per workspace, replaces it, and forgets it on request', async () => {
    expect(await store.viewing.channelOf('slack', 'T1', 'U1')).toBeUndefined();
    await store.viewing.remember('slack', 'T1', 'U1', 'C1');
    await store.viewing.remember('slack', 'T2', 'U1', 'C9');
    expect(await store.viewing.channelOf('slack', 'T1', 'U1')).toBe('C1');
    await store.viewing.remember('slack', 'T1', 'U1', 'C2');
    expect(await store.viewing.channelOf('slack', 'T1', 'U1')).toBe('C2');
    await store.viewing.remember('slack', 'T1', 'U1', undefined);
    expect(await store.viewing.channelOf('slack', 'T1', 'U1')).toBeUndefined();
    expect(await store.viewing.channelOf('slack', 'T2', 'U1')).toBe('C9');
    if (backend === 'redis') {
      const keys = await listRedisKeys(`${fixture.prefix}:viewing:*`);
      expect(keys).toEqual([`${fixture.prefix}:viewing:slack:T2:U1`]);
    }
  });

  it('a new conversation has no history', async () => {
    expect(await store.history.load(freshConversation())).toEqual([]);
  });

  it('appended turns come back whole and in order', async () => {
    const key = freshConversation();
    const first = [userTurn('What is 2+2?', 'u1', 1), assistantTurn('4', ['b1'], 2)];
    const second = [userTurn('And 3+3?', 'u2', 3), assistantTurn('6', ['b2', 'b3'], 4)];
    await store.history.append(key, first);
    await store.history.append(key, second);
    expect(await store.history.load(key)).toEqual([...first, ...second]);
  });

  it('keeps conversations apart', async () => {
    const a = freshConversation();
    const b = { ...a, thread: 'another-thread' };
    await store.history.append(a, [userTurn('in a', 'a1')]);
    await store.history.append(b, [userTurn('in b', 'b1')]);
    expect((await store.history.load(a)).map((turn) => turn.text)).toEqual(['in a']);
    expect((await store.history.load(b)).map((turn) => turn.text)).toEqual(['in b']);
  });

  it('drops the oldest turns beyond the stored maximum', async () => {
    const key = freshConversation();
    for (let index = 0; index < 5; index += 1) {
      await store.history.append(key, [
        userTurn(`q${index}`, `q${index}`),
        assistantTurn(`a${index}`, [`a${index}`]),
      ]);
    }
    const texts = (await store.history.load(key)).map((turn) => turn.text);
    expect(texts).toEqual(['q2', 'a2', 'q3', 'a3', 'q4', 'a4']);
  });

  it('replaceLastAssistant swaps the last answer for the new one (Regenerate)', async () => {
    const key = freshConversation();
    await store.history.append(key, [userTurn('Tell a joke', 'u1'), assistantTurn('Joke one', ['b1'])]);
    await store.history.append(key, [assistantTurn('Joke two', ['b2'])], { replaceLastAssistant: true });
    expect((await store.history.load(key)).map((turn) => turn.text)).toEqual(['Tell a joke', 'Joke two']);
  });

  it('replaceFromMessage drops the edited prompt and everything after it', async () => {
    const key = freshConversation();
    await store.history.append(key, [userTurn('first', 'u1'), assistantTurn('one', ['b1'])]);
    await store.history.append(key, [userTurn('second', 'u2'), assistantTurn('two', ['b2'])]);
    await store.history.append(key, [userTurn('third', 'u3'), assistantTurn('three', ['b3'])]);
    await store.history.append(key, [userTurn('second, edited', 'u2'), assistantTurn('two again', ['b4'])], {
      replaceFromMessage: 'u2',
    });
    expect((await store.history.load(key)).map((turn) => turn.text)).toEqual([
      'first',
      'one',
      'second, edited',
      'two again',
    ]);
  });

  it('replaceFromMessage with an unknown id only appends', async () => {
    const key = freshConversation();
    await store.history.append(key, [userTurn('first', 'u1')]);
    await store.history.append(key, [userTurn('other', 'u9')], { replaceFromMessage: 'nope' });
    expect((await store.history.load(key)).map((turn) => turn.text)).toEqual(['first', 'other']);
  });

  it('finds the conversation of every message of an appended turn', async () => {
    const key = freshConversation('slack');
    await store.history.append(key, [
      userTurn('hi', '1700000000.0001'),
      assistantTurn('hello', ['1700000000.0002', '1700000000.0003']),
    ]);
    for (const messageId of ['1700000000.0001', '1700000000.0002', '1700000000.0003']) {
      expect(await store.history.findByMessage('slack', messageId)).toEqual(key);
    }
    expect(await store.history.findByMessage('discord', '1700000000.0001')).toBeUndefined();
    expect(await store.history.findByMessage('slack', 'never-seen')).toBeUndefined();
  });

  it('linkMessage records a message that was not part of a turn', async () => {
    const key = freshConversation();
    await store.history.linkMessage('discord', 'status-message', key);
    expect(await store.history.findByMessage('discord', 'status-message')).toEqual(key);
  });

  it('reset empties one conversation and leaves others alone', async () => {
    const key = freshConversation();
    const other = freshConversation();
    await store.history.append(key, [userTurn('forget me', 'f1')]);
    await store.history.append(other, [userTurn('keep me', 'k1')]);
    await store.history.reset(key);
    expect(await store.history.load(key)).toEqual([]);
    expect(await store.history.load(other)).toHaveLength(1);
  });

  it('settings: thread over channel, and a cleared thread field falls back to the channel', async () => {
    const channel = { platform: 'discord' as const, workspace: 'g', channel: `settings-${backend}` };
    const thread = { ...channel, thread: 't1' };
    await store.settings.set(channel, { model: 'gemini-2.5-flash', systemPrompt: 'Be brief.' });
    await store.settings.set(thread, { model: 'gemini-2.5-pro' });
    expect(await store.settings.resolve(thread)).toEqual({
      model: 'gemini-2.5-pro',
      systemPrompt: 'Be brief.',
    });
    expect(await store.settings.resolve(channel)).toEqual({
      model: 'gemini-2.5-flash',
      systemPrompt: 'Be brief.',
    });
    expect(await store.settings.get(thread)).toEqual({ model: 'gemini-2.5-pro' });

    await store.settings.set(thread, { model: null });
    expect(await store.settings.get(thread)).toEqual({});
    expect(await store.settings.resolve(thread)).toEqual({
      model: 'gemini-2.5-flash',
      systemPrompt: 'Be brief.',
    });

    await store.settings.set(channel, { systemPrompt: null });
    expect(await store.settings.resolve(thread)).toEqual({ model: 'gemini-2.5-flash' });
  });

  it('settings: a patch merges with what was stored', async () => {
    const scope = { platform: 'slack' as const, workspace: 'T1', channel: `merge-${backend}` };
    await store.settings.set(scope, { model: 'gemini-2.5-flash' });
    await store.settings.set(scope, { systemPrompt: 'Answer in French.' });
    expect(await store.settings.get(scope)).toEqual({
      model: 'gemini-2.5-flash',
      systemPrompt: 'Answer in French.',
    });
  });

  it('usage: totals add up per conversation and per user, even when added concurrently', async () => {
    const key = freshConversation();
    const otherKey = freshConversation();
    const usage = { promptTokens: 100, completionTokens: 20, reasoningTokens: 5, totalTokens: 125 };
    await Promise.all([
      ...Array.from({ length: 10 }, () => store.usage.add(key, `user-${backend}`, usage)),
      store.usage.add(otherKey, `user-${backend}`, usage),
    ]);
    expect(await store.usage.forConversation(key)).toEqual({
      requests: 10,
      promptTokens: 1000,
      completionTokens: 200,
      reasoningTokens: 50,
      totalTokens: 1250,
    });
    expect((await store.usage.forUser('discord', `user-${backend}`)).requests).toBe(11);
    expect(await store.usage.forUser('slack', `user-${backend}`)).toEqual({
      requests: 0,
      promptTokens: 0,
      completionTokens: 0,
      reasoningTokens: 0,
      totalTokens: 0,
    });
  });

  it.runIf(backend === 'redis')('lays out keys under the prefix by area', async () => {
    const key = freshConversation();
    await store.history.append(key, [userTurn('layout', 'layout-1')]);
    const keys = await listRedisKeys(`${fixture.prefix}:*`);
    expect(keys).toContain(`${fixture.prefix}:history:${conversationId(key)}`);
    expect(keys).toContain(`${fixture.prefix}:msg:discord:layout-1`);
    expect(keys.every((name) => name.startsWith(`${fixture.prefix}:`))).toBe(true);
  });
});

describe('sqlite store across a restart', () => {
  const fixture = new BackendFixture('sqlite');
  afterAll(async () => {
    await fixture.cleanup();
  });

  it('history, links, settings and usage survive closing and reopening the file', async () => {
    const key = freshConversation();
    const scope = { platform: 'discord' as const, workspace: 'g', channel: 'restart' };
    const first = await fixture.open();
    await first.history.append(key, [userTurn('remember this', 'r1'), assistantTurn('noted', ['r2'])]);
    await first.settings.set(scope, { model: 'gemini-2.5-flash' });
    await first.usage.add(key, 'u1', {
      promptTokens: 1,
      completionTokens: 2,
      reasoningTokens: 0,
      totalTokens: 3,
    });
    await first.close();

    const second = await fixture.open();
    expect((await second.history.load(key)).map((turn) => turn.text)).toEqual(['remember this', 'noted']);
    expect(await second.history.findByMessage('discord', 'r2')).toEqual(key);
    expect(await second.settings.get(scope)).toEqual({ model: 'gemini-2.5-flash' });
    expect((await second.usage.forConversation(key)).totalTokens).toBe(3);
  });

  it('a restart deletes the rows of conversations whose TTL has passed', async () => {
    const expired = freshConversation();
    const kept = freshConversation();
    const shortLived = await fixture.open({ historyTtlMs: 50 });
    await shortLived.history.append(expired, [userTurn('soon forgotten', 'e1')]);
    await shortLived.close();
    const longLived = await fixture.open();
    await longLived.history.append(kept, [userTurn('kept', 'k1')]);
    await longLived.close();
    await new Promise((resolve) => setTimeout(resolve, 100));

    await fixture.open();
    const keys = await sqliteKeys((await fixture.url()).replace('sqlite://', ''));
    expect(keys).not.toContain(`${fixture.prefix}:history:${conversationId(expired)}`);
    expect(keys).not.toContain(`${fixture.prefix}:msg:discord:e1`);
    expect(keys).toContain(`${fixture.prefix}:history:${conversationId(kept)}`);
  });
});

/** Every key in the SQLite file, read with a separate connection. */
async function sqliteKeys(path: string): Promise<string[]> {
  const database = new sqlite3.Database(path, sqlite3.OPEN_READONLY);
  try {
    const rows = await new Promise<Array<{ key: string }>>((resolve, reject) =>
      database.all('SELECT key FROM keyv', (error, result) =>
        error ? reject(error) : resolve(result as Array<{ key: string }>),
      ),
    );
    return rows.map((row) => row.key);
  } finally {
    await new Promise<void>((resolve) => database.close(() => resolve()));
  }
}
