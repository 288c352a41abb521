import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IncomingTurn, ReplyPhase } from '../../src/engine/types.js';
import { RefusedError, UserInputError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import type { ConversationKey } from '../../src/store/types.js';
import { deleteRedisKeys, REDIS_URL } from '../store/backends.js';
import { createTestEngine, type TestEngine } from '../support/harness.js';
import { RecordingSink } from '../support/recording-sink.js';

let t: TestEngine;
let counter = 0;

beforeAll(async () => {
  t = await createTestEngine({ env: { SYSTEM_PROMPT: 'Be brief.' } });
  t.engine.registerResolver('console', async (ref) => ({
    url: pathToFileURL(ref.id).href,
    policy: { allowFileUrls: true },
  }));
});
afterAll(async () => {
  await t.close();
});
beforeEach(() => {
  t.emulator.reset();
});

function newKey(): ConversationKey {
  counter += 1;
  return { platform: 'console', workspace: 'w', channel: `c${counter}`, thread: `t${counter}` };
}

function turn(key: ConversationKey, text: string, extra: Partial<IncomingTurn> = {}): IncomingTurn {
  counter += 1;
  return {
    key,
    author: { id: 'u1', name: 'Ada' },
    text,
    attachments: [],
    messageIds: [`msg-${counter}`],
    ...extra,
  };
}

// biome-ignore lint/suspicious/noExplicitAny: the emulator records raw JSON.
const rolesAndText = (messages: any[]) =>
  messages.map((m) => `${m.role}:${typeof m.content === 'string' ? m.content : m.content[0]?.text}`);

describe('a turn, end to end through the real client and the upstream emulator', () => {
  it('streams the answer into the reply and saves the whole turn', async () => {
    const key = newKey();
    const sink = new RecordingSink();
    const outcome = await t.engine.handleTurn(turn(key, 'hello there'), sink);

    expect(outcome.status).toBe('done');
    expect(sink.texts()).toEqual(['Echo: hello there']);
    expect(sink.lastPhase()).toBe('done');
    const history = await t.store.history.load(key);
    expect(history.map((h) => `${h.role}:${h.text}`)).toEqual([
      'user:hello there',
      'assistant:Echo: hello there',
    ]);
    expect(history[1]!.messageIds).toEqual([...sink.messages.keys()]);
    expect(rolesAndText(t.emulator.requests[0]!.body.messages)).toEqual([
      'system:Be brief.',
      'user:hello there',
    ]);
    expect(t.emulator.requests[0]!.body.stream).toBe(true);
  });

  it('sends a three-turn conversation upstream in order', async () => {
    const key = newKey();
    for (const text of ['one', 'two', 'three'])
      await t.engine.handleTurn(turn(key, text), new RecordingSink());
    expect(rolesAndText(t.emulator.requests[2]!.body.messages)).toEqual([
      'system:Be brief.',
      'user:one',
      'assistant:Echo: one',
      'user:two',
      'assistant:Echo: two',
      'user:three',
    ]);
  });

  it('answers concurrent turns of one conversation one at a time, in arrival order', async () => {
    const key = newKey();
    const outcomes = await Promise.all(
      ['first', 'second', 'third'].map((text) => t.engine.handleTurn(turn(key, text), new RecordingSink())),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['done', 'done', 'done']);
    expect(t.emulator.requests.map((r) => r.body.messages.length)).toEqual([2, 4, 6]);
    const history = await t.store.history.load(key);
    expect(history.filter((h) => h.role === 'user').map((h) => h.text)).toEqual(['first', 'second', 'third']);
  });

  it('keeps the request within the history budget, oldest turns first out', async () => {
    const small = await createTestEngine({ env: { HISTORY_MAX_TURNS: '3', SYSTEM_PROMPT: 'S' } });
    try {
      const key = newKey();
      for (const text of ['a', 'b', 'c']) await small.engine.handleTurn(turn(key, text), new RecordingSink());
      expect(rolesAndText(small.emulator.requests[2]!.body.messages)).toEqual([
        'system:S',
        'user:b',
        'assistant:Echo: b',
        'user:c',
      ]);
    } finally {
      await small.close();
    }
  });
});

describe('logging', () => {
  it('logs each answered turn with its conversation, upstream trace id and timings, without the text', async () => {
    const lines: string[] = [];
    const logged = await createTestEngine({
      logger: createLogger('info', { write: (line: string) => void lines.push(line) }),
    });
    try {
      const key = newKey();
      await logged.engine.handleTurn(turn(key, 'a secret prompt'), new RecordingSink());
      const answered = lines.map((line) => JSON.parse(line)).find((entry) => entry.msg === 'turn answered');
      expect(answered).toMatchObject({
        conversation: `console:w:${key.channel}:${key.thread}`,
        platform: 'console',
      });
      expect(answered.traceId).toMatch(/\S+/);
      expect(typeof answered.ms).toBe('number');
      expect(lines.join('\n')).not.toContain('a secret prompt');
    } finally {
      await logged.close();
    }
  });
});

describe('a refused attachment', () => {
  it('is a notice naming it and a log line counting it, without its name or path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engine-'));
    const path = join(dir, 'private-holiday.png');
    writeFileSync(path, '<!DOCTYPE html><html>not a picture</html>');
    const lines: string[] = [];
    const logged = await createTestEngine({
      logger: createLogger('info', { write: (line: string) => void lines.push(line) }),
    });
    logged.engine.registerResolver('console', async (ref) => ({
      url: pathToFileURL(ref.id).href,
      policy: { allowFileUrls: true },
    }));
    try {
      const ref = {
        platform: 'console' as const,
        id: path,
        name: 'private-holiday.png',
        mimeType: 'image/png',
        size: 40,
      };
      const sink = new RecordingSink();
      await logged.engine.handleTurn(turn(newKey(), 'look', { attachments: [ref] }), sink);
      expect(sink.notices.join(' ')).toContain('private-holiday.png');
      const entries = lines.map((line) => JSON.parse(line));
      expect(entries.find((entry) => entry.msg === 'attachments left out')).toMatchObject({ skipped: 1 });
      expect(lines.join('\n')).not.toContain('private-holiday');
    } finally {
      await logged.close();
    }
  });
});

describe('failures keep the partial answer, explain it, and leave no half turn', () => {
  it('an upstream 500 is shown with its trace id and nothing is saved', async () => {
    const key = newKey();
    t.emulator.enqueue({ fault: { kind: 'http', status: 500, code: 'api_error', traceId: 'trace-500' } });
    const sink = new RecordingSink();
    const outcome = await t.engine.handleTurn(turn(key, 'hi'), sink);
    expect(outcome.status).toBe('failed');
    expect(sink.shown()).toContain('trace-500');
    expect(sink.lastPhase()).toBe('interrupted');
    expect(await t.store.history.load(key)).toEqual([]);
  });

  it('a stream cut mid-answer keeps the words already shown, marked interrupted', async () => {
    const key = newKey();
    t.emulator.enqueue({ content: ['Partial ', 'answer ', 'here'], fault: { kind: 'cut', afterChunks: 3 } });
    const sink = new RecordingSink();
    const outcome = await t.engine.handleTurn(turn(key, 'hi'), sink);
    expect(outcome.status).toBe('failed');
    expect(sink.shown()).toContain('Partial answer');
    expect(sink.shown()).toMatch(/cut off/);
    expect(await t.store.history.load(key)).toEqual([]);
  });

  it('a hung upstream ends in a timeout message, not a hang', async () => {
    const key = newKey();
    t.emulator.enqueue({ content: ['Slow'], fault: { kind: 'hang', afterChunks: 2 } });
    const sink = new RecordingSink();
    const outcome = await t.engine.handleTurn(turn(key, 'hi'), sink);
    expect(outcome.status).toBe('failed');
    expect(sink.shown()).toMatch(/took too long/);
  });

  it('an invalid token tells the operator what to check', async () => {
    t.emulator.enqueue({ fault: { kind: 'http', status: 401, code: 'invalid_token', traceId: 'tr-401' } });
    const sink = new RecordingSink();
    await t.engine.handleTurn(turn(newKey(), 'hi'), sink);
    expect(sink.shown()).toMatch(/ACEDATA_API_TOKEN.*tr-401/s);
  });
});

describe('stop, regenerate and edit', () => {
  it('Stop aborts the upstream request at once and marks the reply stopped', async () => {
    const key = newKey();
    t.emulator.enqueue({ content: Array.from({ length: 200 }, (_, i) => `w${i} `), chunkDelayMs: 20 });
    const sink = new RecordingSink();
    const running = t.engine.handleTurn(turn(key, 'long please'), sink);
    await waitFor(() => sink.shown().includes('w3'));
    expect(t.engine.isStreaming(key)).toBe(true);
    expect(await t.engine.stop(key)).toBe(true);
    const outcome = await running;
    expect(outcome.status).toBe('stopped');
    expect(sink.lastPhase()).toBe('stopped');
    expect(sink.shown()).not.toContain('w199');
    await waitFor(() => t.emulator.activeStreams === 0);
    expect(await t.store.history.load(key)).toEqual([]);
    expect(await t.engine.stop(key)).toBe(false);
  });

  it('Regenerate answers the last prompt again and replaces the last answer', async () => {
    const key = newKey();
    await t.engine.handleTurn(turn(key, 'tell me'), new RecordingSink());
    t.emulator.enqueue({ content: ['A better answer'] });
    const sink = new RecordingSink();
    const outcome = await t.engine.handleTurn(turn(key, '', { mode: 'regenerate' }), sink);
    expect(outcome.status).toBe('done');
    expect(sink.texts()).toEqual(['A better answer']);
    expect(rolesAndText(t.emulator.requests[1]!.body.messages)).toEqual(['system:Be brief.', 'user:tell me']);
    const history = await t.store.history.load(key);
    expect(history.map((h) => h.text)).toEqual(['tell me', 'A better answer']);
  });

  it('once the reply shows done (and Regenerate), the turn no longer counts as streaming nor can be stopped', async () => {
    const key = newKey();
    const seenAtDone: Array<{ streaming: boolean; stopped: boolean }> = [];
    // A platform shows Regenerate with the 'done' edit; a user may press it at once, while the turn
    // is still being saved. Adapters refuse Regenerate while `isStreaming`, and a Stop then would
    // throw away a finished answer.
    const sink = new (class extends RecordingSink {
      override async edit(id: string, text: string, phase: ReplyPhase): Promise<void> {
        await super.edit(id, text, phase);
        if (phase === 'done') {
          seenAtDone.push({ streaming: t.engine.isStreaming(key), stopped: await t.engine.stop(key) });
        }
      }
    })();
    const outcome = await t.engine.handleTurn(turn(key, 'tell me'), sink);
    expect(outcome.status).toBe('done');
    expect(seenAtDone).toEqual([{ streaming: false, stopped: false }]);
    expect((await t.store.history.load(key)).map((h) => h.text)).toEqual(['tell me', 'Echo: tell me']);
  });

  it('an edited prompt is answered again and replaces that turn and what followed', async () => {
    const key = newKey();
    const first = turn(key, 'what is 2+2');
    await t.engine.handleTurn(first, new RecordingSink());
    await t.engine.handleTurn(turn(key, 'and 3+3'), new RecordingSink());
    await t.engine.handleTurn({ ...first, text: 'what is 5+5', mode: 'edit' }, new RecordingSink());
    const history = await t.store.history.load(key);
    expect(history.map((h) => h.text)).toEqual(['what is 5+5', 'Echo: what is 5+5']);
  });
});

describe('refusals come back to the adapter without touching the reply', () => {
  it('an empty prompt', async () => {
    const sink = new RecordingSink();
    const outcome = await t.engine.handleTurn(turn(newKey(), '   '), sink);
    expect(outcome.status).toBe('refused');
    expect(outcome.status === 'refused' && outcome.error).toBeInstanceOf(UserInputError);
    expect(sink.calls).toEqual([]);
    expect(t.emulator.requests).toEqual([]);
  });

  it('a model that is not allowed', async () => {
    const outcome = await t.engine.handleTurn(turn(newKey(), 'hi', { model: 'gpt-4o' }), new RecordingSink());
    expect(outcome.status === 'refused' && outcome.error.message).toMatch(/not available.*gemini-2\.5-pro/);
  });

  it('a user over the per-minute rate limit', async () => {
    const limited = await createTestEngine({ env: { RATE_LIMIT_PER_MINUTE: '2' } });
    try {
      const key = newKey();
      const statuses = [];
      for (const text of ['1', '2', '3']) {
        statuses.push((await limited.engine.handleTurn(turn(key, text), new RecordingSink())).status);
      }
      expect(statuses).toEqual(['done', 'done', 'refused']);
      expect(limited.emulator.requests).toHaveLength(2);
      const outcome = await limited.engine.handleTurn(turn(key, '4'), new RecordingSink());
      expect(outcome.status === 'refused' && outcome.error).toBeInstanceOf(RefusedError);
    } finally {
      await limited.close();
    }
  });

  it('past the rate limit, one spoken refusal per window, then quiet ones, across instances on Redis', async () => {
    const prefix = `test-quiet-${randomUUID().slice(0, 8)}`;
    const env = { RATE_LIMIT_PER_MINUTE: '1', STORE_PREFIX: prefix };
    const one = await createTestEngine({ env, storeUrl: REDIS_URL });
    const two = await createTestEngine({ env, storeUrl: REDIS_URL });
    try {
      const key = newKey();
      const quietness = [];
      for (const [engine, text] of [
        [one, '1'],
        [two, '2'],
        [one, '3'],
        [two, '4'],
        [one, '5'],
      ] as const) {
        const outcome = await engine.engine.handleTurn(turn(key, text), new RecordingSink());
        quietness.push(outcome.status === 'refused' ? (outcome.error as RefusedError).quiet : outcome.status);
      }
      expect(quietness).toEqual(['done', false, true, true, true]);
    } finally {
      await one.close();
      await two.close();
      await deleteRedisKeys(`${prefix}*`);
    }
  });
});

describe('settings and attachments', () => {
  it('a thread model overrides the channel model, which overrides the default', async () => {
    const key = newKey();
    await t.engine.setModel({ ...key, thread: undefined }, 'gemini-2.5-flash');
    await t.engine.handleTurn(turn(key, 'a'), new RecordingSink());
    await t.engine.setModel(key, 'gemini-3.1-pro');
    await t.engine.handleTurn(turn(key, 'b'), new RecordingSink());
    expect(t.emulator.requests.map((r) => r.body.model)).toEqual(['gemini-2.5-flash', 'gemini-3.1-pro']);
    await expect(t.engine.setModel(key, 'nope')).rejects.toBeInstanceOf(UserInputError);
  });

  it('an image by path reaches the upstream as a data: URL, and again on the next turn', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engine-'));
    const path = join(dir, 'pixel.png');
    writeFileSync(path, Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
    const key = newKey();
    const ref = {
      platform: 'console' as const,
      id: path,
      name: 'pixel.png',
      mimeType: 'image/png',
      size: 16,
    };
    const sink = new RecordingSink();
    await t.engine.handleTurn(turn(key, 'what is this?', { attachments: [ref] }), sink);
    expect(sink.texts()).toEqual(['Echo: what is this? [+1 media]']);
    await t.engine.handleTurn(turn(key, 'and now?'), new RecordingSink());
    const content = t.emulator.requests[1]!.body.messages[1].content;
    expect(content[0]).toEqual({ type: 'text', text: 'what is this?' });
    expect(content[1].image_url.url).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);
  });

  it('an unsupported attachment is skipped with a notice, the prompt still answered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engine-'));
    const path = join(dir, 'tool.exe');
    writeFileSync(path, 'MZ');
    const ref = {
      platform: 'console' as const,
      id: path,
      name: 'tool.exe',
      mimeType: 'application/x-msdownload',
      size: 2,
    };
    const sink = new RecordingSink();
    const outcome = await t.engine.handleTurn(turn(newKey(), 'run it', { attachments: [ref] }), sink);
    expect(outcome.status).toBe('done');
    expect(sink.notices.join(' ')).toContain('tool.exe');
    expect(sink.texts()).toEqual(['Echo: run it']);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
