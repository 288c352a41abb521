import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { spentTokens } from '../../src/engine/budgets.js';
import { describeError } from '../../src/engine/describe-error.js';
import type { IncomingTurn } from '../../src/engine/types.js';
import { BudgetExceededError } from '../../src/errors.js';
import { BotMetrics } from '../../src/ops/metrics.js';
import type { ConversationKey } from '../../src/store/types.js';
import { deleteRedisKeys, REDIS_URL } from '../store/backends.js';
import { createTestEngine, type TestEngine } from '../support/harness.js';
import { RecordingSink } from '../support/recording-sink.js';

let counter = 0;
const opened: TestEngine[] = [];

afterEach(async () => {
  vi.useRealTimers();
  for (const engine of opened.splice(0)) await engine.close();
});

async function engineWith(env: Record<string, string>, extra: Parameters<typeof createTestEngine>[0] = {}) {
  const engine = await createTestEngine({ ...extra, env });
  opened.push(engine);
  return engine;
}

function newKey(workspace = 'G1'): ConversationKey {
  counter += 1;
  return { platform: 'discord', workspace, channel: `c${counter}`, thread: `t${counter}` };
}

function turn(key: ConversationKey, text: string, userId = 'u1'): IncomingTurn {
  counter += 1;
  return { key, author: { id: userId, name: 'Ada' }, text, attachments: [], messageIds: [`msg-${counter}`] };
}

/** A scripted answer that costs exactly `total` tokens (prompt + completion, reasoning inside completion). */
function costing(total: number, content = ['An answer.']) {
  const prompt = Math.floor(total / 2);
  return {
    content,
    usage: {
      prompt_tokens: prompt,
      completion_tokens: total - prompt,
      total_tokens: total,
      reasoning_tokens: 1,
    },
  };
}

describe('spend budgets', () => {
  it('counts prompt + completion (reasoning inside it) once, or the total when a gateway reports more', () => {
    expect(
      spentTokens({ promptTokens: 8, completionTokens: 527, reasoningTokens: 519, totalTokens: 535 }),
    ).toBe(535);
    expect(
      spentTokens({ promptTokens: 8, completionTokens: 8, reasoningTokens: 519, totalTokens: 535 }),
    ).toBe(535);
  });

  it('is shared by two instances on Redis: the second refuses at the limit before any upstream call', async () => {
    const prefix = `test-budget-${randomUUID().slice(0, 8)}`;
    const env = { STORE_URL: REDIS_URL, STORE_PREFIX: prefix, BUDGET_USER_DAILY_TOKENS: '100' };
    const metrics = new BotMetrics({ processMetrics: false });
    try {
      const a = await engineWith(env);
      const b = await engineWith(env, { observer: metrics.observer });
      a.emulator.enqueue(costing(60));
      b.emulator.enqueue(costing(60));

      expect((await a.engine.handleTurn(turn(newKey(), 'first'), new RecordingSink())).status).toBe('done');
      // 60 of 100 used: B still answers (its turn starts under the limit and may cross it).
      expect((await b.engine.handleTurn(turn(newKey(), 'second'), new RecordingSink())).status).toBe('done');
      const requestsBefore = a.emulator.requests.length + b.emulator.requests.length;

      const sink = new RecordingSink();
      const refused = await b.engine.handleTurn(turn(newKey(), 'third'), sink);
      expect(refused.status).toBe('refused');
      const error = refused.status === 'refused' ? refused.error : undefined;
      expect(error).toBeInstanceOf(BudgetExceededError);
      expect(describeError(error)).toMatch(
        /^You have used your daily limit of 100 tokens; it resets at 00:00 UTC on /,
      );
      // Refused before the upstream and before the reply: nothing was asked, nothing was posted.
      expect(a.emulator.requests.length + b.emulator.requests.length).toBe(requestsBefore);
      expect(sink.calls).toEqual([]);
      // The other instance sees the same counter.
      const again = await a.engine.handleTurn(turn(newKey(), 'fourth'), new RecordingSink());
      expect(again.status).toBe('refused');
      // Another user is not affected.
      expect((await a.engine.handleTurn(turn(newKey(), 'hi', 'u2'), new RecordingSink())).status).toBe(
        'done',
      );

      const usage = await b.engine.usage(newKey(), 'u1');
      expect(usage.budgets).toContainEqual(
        expect.objectContaining({ scope: 'user', period: 'day', used: 120, limit: 100 }),
      );
      const text = (await metrics.render()).text;
      expect(text).toMatch(/gcb_budget_refusals_total\{platform="discord",scope="user",period="day"\} 1/);
    } finally {
      await deleteRedisKeys(`${prefix}*`);
    }
  });

  it('ends the answer that reaches 80 % with a notice, once per period, and keeps it out of history', async () => {
    const t = await engineWith({ BUDGET_SPACE_MONTHLY_TOKENS: '1000' });
    const key = newKey('G-notice');
    t.emulator.enqueue(costing(500), costing(350), costing(50));

    const first = new RecordingSink();
    await t.engine.handleTurn(turn(key, 'one'), first);
    expect(first.shown()).not.toMatch(/limit/);

    const second = new RecordingSink();
    await t.engine.handleTurn(turn(key, 'two', 'u2'), second);
    expect(second.shown()).toMatch(
      /An answer\.\n\n_85 % of this server's monthly limit of 1,000 tokens is used; it resets at 00:00 UTC on 1 /,
    );

    const third = new RecordingSink();
    expect((await t.engine.handleTurn(turn(key, 'three'), third)).status).toBe('done');
    expect(third.shown()).toBe('An answer.');

    const history = await t.store.history.load(key);
    expect(history.filter((entry) => entry.role === 'assistant').map((entry) => entry.text)).toEqual([
      'An answer.',
      'An answer.',
      'An answer.',
    ]);
  });

  it('lets a turn that started under the limit finish past it, and refuses the next', async () => {
    const t = await engineWith({ BUDGET_USER_DAILY_TOKENS: '100' });
    t.emulator.enqueue(costing(50), costing(400, ['A long', ' answer', ' that costs a lot.']));
    await t.engine.handleTurn(turn(newKey(), 'cheap'), new RecordingSink());

    const sink = new RecordingSink();
    const crossing = await t.engine.handleTurn(turn(newKey(), 'expensive'), sink);
    expect(crossing.status).toBe('done');
    expect(crossing.status === 'done' ? crossing.text : '').toBe('A long answer that costs a lot.');
    expect(sink.shown()).toMatch(
      /_This answer used up your daily limit of 100 tokens; new questions wait until 00:00 UTC/,
    );
    expect(sink.lastPhase()).toBe('done');

    const next = await t.engine.handleTurn(turn(newKey(), 'more'), new RecordingSink());
    expect(next.status).toBe('refused');
  });

  it('names the limit and when it resets, and starts again at the UTC day and month boundary', async () => {
    // Only Date is faked: sockets and timers stay real, the calendar is ours.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-31T23:59:00Z'));
    const t = await engineWith({ BUDGET_USER_DAILY_TOKENS: '100', BUDGET_SPACE_MONTHLY_TOKENS: '150' });
    t.emulator.enqueue(costing(120), costing(40), costing(10));
    await t.engine.handleTurn(turn(newKey(), 'spend'), new RecordingSink());

    const refused = await t.engine.handleTurn(turn(newKey(), 'again'), new RecordingSink());
    expect(refused.status === 'refused' && describeError(refused.error)).toBe(
      'You have used your daily limit of 100 tokens; it resets at 00:00 UTC on 1 January 2027.',
    );

    vi.setSystemTime(new Date('2027-01-01T00:00:01Z'));
    // A new day and a new month: both counters start again.
    expect((await t.engine.handleTurn(turn(newKey(), 'new year'), new RecordingSink())).status).toBe('done');
    const usage = await t.engine.usage(newKey(), 'u1');
    expect(usage.budgets).toContainEqual(expect.objectContaining({ scope: 'user', period: 'day', used: 40 }));
    expect(usage.budgets).toContainEqual(
      expect.objectContaining({ scope: 'space', period: 'month', used: 40 }),
    );

    vi.setSystemTime(new Date('2027-01-31T12:00:00Z'));
    await t.engine.handleTurn(turn(newKey(), 'later'), new RecordingSink());
    t.emulator.enqueue(costing(120));
    await t.engine.handleTurn(turn(newKey(), 'big', 'u3'), new RecordingSink());
    const monthly = await t.engine.handleTurn(turn(newKey(), 'over', 'u4'), new RecordingSink());
    expect(monthly.status === 'refused' && describeError(monthly.error)).toBe(
      'This server has used its monthly limit of 150 tokens; it resets at 00:00 UTC on 1 February 2027.',
    );
  });
});
