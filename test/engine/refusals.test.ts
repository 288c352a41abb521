/**
 * A turn the engine will not answer comes back as a value: `refused` with the RefusedError or
 * UserInputError to show (the adapter words it with describeError), nothing posted, nothing asked
 * upstream. A store that fails during those checks is a failure, shown in the reply.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { IncomingTurn, TurnOutcome } from '../../src/engine/types.js';
import { RefusedError, StoreUnavailableError, UserInputError } from '../../src/errors.js';
import { createTestEngine, type TestEngine } from '../support/harness.js';
import { RecordingSink } from '../support/recording-sink.js';

const opened: TestEngine[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((engine) => engine.close()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function engineWith(env: Record<string, string> = {}, storeUrl?: string): Promise<TestEngine> {
  const t = await createTestEngine({ env, ...(storeUrl ? { storeUrl } : {}) });
  opened.push(t);
  return t;
}

function turn(text: string, extra: Partial<IncomingTurn> = {}): IncomingTurn {
  return {
    key: { platform: 'discord', workspace: 'G1', channel: 'c', thread: 't' },
    author: { id: 'u1', name: 'Ada' },
    text,
    attachments: [],
    messageIds: [`msg-${Math.random()}`],
    ...extra,
  };
}

function refusalOf(outcome: TurnOutcome): RefusedError | UserInputError {
  if (outcome.status !== 'refused') throw new Error(`expected refused, got ${outcome.status}`);
  const { error } = outcome;
  if (!(error instanceof RefusedError || error instanceof UserInputError)) throw error;
  return error;
}

describe('refusals are values the adapter reads', () => {
  it('refuses an empty prompt and a model not allowed, before posting or asking anything', async () => {
    const t = await engineWith();
    const sink = new RecordingSink();
    const empty = refusalOf(await t.engine.handleTurn(turn('   '), sink));
    expect(empty).toBeInstanceOf(UserInputError);
    expect(empty.code).toBe('empty_prompt');
    const model = refusalOf(await t.engine.handleTurn(turn('hi', { model: 'no-such-model' }), sink));
    expect(model).toMatchObject({ code: 'model_not_allowed' });
    expect(sink.calls).toEqual([]);
    expect(t.emulator.requests).toEqual([]);
  });

  it('refuses past the rate limit, speaking once per window and quietly after', async () => {
    const t = await engineWith({ RATE_LIMIT_PER_MINUTE: '1' });
    expect((await t.engine.handleTurn(turn('one'), new RecordingSink())).status).toBe('done');
    const second = refusalOf(await t.engine.handleTurn(turn('two'), new RecordingSink()));
    expect(second).toBeInstanceOf(RefusedError);
    expect(second).toMatchObject({ code: 'rate_limited', quiet: false });
    const third = refusalOf(await t.engine.handleTurn(turn('three'), new RecordingSink()));
    expect(third).toMatchObject({ code: 'rate_limited', quiet: true });
    // An adapter that counted the turn itself is not counted twice.
    const counted = await t.engine.handleTurn(turn('four'), new RecordingSink(), { rateLimitChecked: true });
    expect(counted.status).toBe('done');
  });

  it('fails, not refuses, when the store fails during the checks, and says so in the reply', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gcb-refusals-'));
    dirs.push(dir);
    const t = await engineWith({ BUDGET_USER_DAILY_TOKENS: '1000' }, `sqlite://${join(dir, 'bot.sqlite')}`);
    await t.store.close();
    const sink = new RecordingSink();
    const outcome = await t.engine.handleTurn(turn('hello'), sink);
    if (outcome.status !== 'failed') throw new Error(`expected failed, got ${outcome.status}`);
    expect(outcome.error).toBeInstanceOf(StoreUnavailableError);
    expect(sink.shown()).toContain('⚠️ Storage is unavailable right now');
    expect(t.emulator.requests).toEqual([]);
  });
});
