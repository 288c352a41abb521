import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { IncomingTurn } from '../../src/engine/types.js';
import { UpstreamError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { BotMetrics } from '../../src/ops/metrics.js';
import type { ConversationKey } from '../../src/store/types.js';
import type { UpstreamScript } from '../emulators/upstream/script.js';
import { createTestEngine, type TestEngine } from '../support/harness.js';
import { RecordingSink } from '../support/recording-sink.js';

let counter = 0;
const opened: TestEngine[] = [];

afterEach(async () => {
  for (const engine of opened.splice(0)) await engine.close();
});

const FALLBACKS = 'gemini-2.5-pro>gemini-2.5-flash,gemini-3.1-pro>gemini-3-flash-preview';

async function engineWith(env: Record<string, string>, extra: Parameters<typeof createTestEngine>[0] = {}) {
  const engine = await createTestEngine({ maxRetries: 2, ...extra, env });
  opened.push(engine);
  return engine;
}

function newTurn(userId = 'u1'): IncomingTurn {
  counter += 1;
  const key: ConversationKey = {
    platform: 'slack',
    workspace: 'T1',
    channel: `C${counter}`,
    thread: `t${counter}`,
  };
  return {
    key,
    author: { id: userId, name: 'Ada' },
    text: 'hello',
    attachments: [],
    messageIds: [`m${counter}`],
  };
}

/** Every request for `failing` answers `fault`; any other model answers and costs 30 tokens. */
function storm(failing: string, fault: UpstreamScript['fault']) {
  return (request: { body: { model: string } }): UpstreamScript =>
    request.body.model === failing
      ? { fault }
      : {
          content: [`Answer from ${request.body.model}.`],
          usage: { prompt_tokens: 10, completion_tokens: 20, total_tokens: 30 },
        };
}

const TOO_MANY = { kind: 'http', status: 429, code: 'too_many_requests' } as const;

describe('model fallback', () => {
  it('after a 429 storm on the chosen model, answers once on its fallback, names it and counts usage under it', async () => {
    const metrics = new BotMetrics({ processMetrics: false });
    const t = await engineWith(
      { MODEL_FALLBACKS: FALLBACKS, BUDGET_USER_DAILY_TOKENS: '1000' },
      {
        observer: metrics.observer,
      },
    );
    t.emulator.setResponder(storm('gemini-2.5-pro', TOO_MANY));
    const turn = newTurn();
    const sink = new RecordingSink();

    const outcome = await t.engine.handleTurn(turn, sink);

    expect(outcome.status).toBe('done');
    // The client's retries on the chosen model first (1 + 2), then one request on the fallback.
    expect(t.emulator.requests.map((request) => request.body.model)).toEqual([
      'gemini-2.5-pro',
      'gemini-2.5-pro',
      'gemini-2.5-pro',
      'gemini-2.5-flash',
    ]);
    expect(sink.shown()).toBe(
      'Answer from gemini-2.5-flash.\n\n_Answered by gemini-2.5-flash: gemini-2.5-pro was unavailable._',
    );
    const history = await t.store.history.load(turn.key);
    const answer = history.at(-1);
    expect(answer).toMatchObject({
      role: 'assistant',
      text: 'Answer from gemini-2.5-flash.',
      model: 'gemini-2.5-flash',
    });
    expect(answer?.usage?.totalTokens).toBe(30);
    expect((await t.engine.usage(turn.key, 'u1')).user.totalTokens).toBe(30);
    expect((await t.engine.usage(turn.key, 'u1')).budgets).toContainEqual(
      expect.objectContaining({ scope: 'user', period: 'day', used: 30, limit: 1000 }),
    );
    expect((await metrics.render()).text).toMatch(
      /gcb_model_fallbacks_total\{from="gemini-2.5-pro",to="gemini-2.5-flash"\} 1/,
    );
  });

  it('falls back after a 5xx too, but only once: a failing fallback fails the turn', async () => {
    const t = await engineWith({ MODEL_FALLBACKS: FALLBACKS }, { maxRetries: 0 });
    t.emulator.setResponder(() => ({ fault: { kind: 'http', status: 503, code: 'api_error' } }));
    const outcome = await t.engine.handleTurn(newTurn(), new RecordingSink());
    expect(outcome.status).toBe('failed');
    expect(t.emulator.requests.map((request) => request.body.model)).toEqual([
      'gemini-2.5-pro',
      'gemini-2.5-flash',
    ]);
  });

  it('does not fall back once the stream started, on a request error, or without a configured fallback', async () => {
    const t = await engineWith(
      { MODEL_FALLBACKS: 'gemini-3.1-pro>gemini-3-flash-preview' },
      { maxRetries: 0 },
    );
    t.emulator.setResponder(() => ({
      content: ['partial', ' more'],
      fault: { kind: 'stream_error', afterChunks: 2, code: 'api_error', message: 'boom' },
    }));
    await t.engine.setModel({ platform: 'slack', workspace: 'T1', channel: 'C-mid' }, 'gemini-3.1-pro');
    counter += 1;
    const midStream: IncomingTurn = {
      key: { platform: 'slack', workspace: 'T1', channel: 'C-mid', thread: 'C-mid' },
      author: { id: 'u1', name: 'Ada' },
      text: 'hi',
      attachments: [],
      messageIds: [`m${counter}`],
    };
    expect((await t.engine.handleTurn(midStream, new RecordingSink())).status).toBe('failed');
    expect(t.emulator.requests).toHaveLength(1);

    t.emulator.reset();
    t.emulator.setResponder(storm('gemini-2.5-pro', TOO_MANY));
    const unconfigured = await t.engine.handleTurn(newTurn(), new RecordingSink());
    expect(unconfigured.status === 'failed' && unconfigured.error).toBeInstanceOf(UpstreamError);
    expect(t.emulator.requests.map((request) => request.body.model)).toEqual(['gemini-2.5-pro']);
  });
});

describe('logs of fallbacks and budget refusals', () => {
  it('name the models, the scope and the period, never the prompt or the answer', async () => {
    const lines: Array<Record<string, unknown> & { level: number; msg?: string }> = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const t = await engineWith(
      { MODEL_FALLBACKS: FALLBACKS, BUDGET_USER_DAILY_TOKENS: '30' },
      { maxRetries: 0, logger: createLogger('debug', destination) },
    );
    t.emulator.setResponder(storm('gemini-2.5-pro', TOO_MANY));
    const secret = { ...newTurn(), text: 'SECRET-PROMPT-1234' };
    expect((await t.engine.handleTurn(secret, new RecordingSink())).status).toBe('done');
    const refused = { ...newTurn(), text: 'SECRET-PROMPT-5678' };
    expect((await t.engine.handleTurn(refused, new RecordingSink())).status).toBe('refused');

    expect(lines.find((line) => line.msg === 'model fallback')).toMatchObject({
      from: 'gemini-2.5-pro',
      to: 'gemini-2.5-flash',
      status: 429,
    });
    expect(lines.find((line) => line.msg === 'turn answered')).toMatchObject({ model: 'gemini-2.5-flash' });
    expect(lines.find((line) => line.msg === 'turn refused')).toMatchObject({
      code: 'budget_exceeded',
      scope: 'user',
      period: 'day',
    });
    const infoAndAbove = lines.filter((line) => line.level >= 30).map((line) => JSON.stringify(line));
    expect(infoAndAbove.join('\n')).not.toMatch(/SECRET-PROMPT|Answer from/);
  });
});
