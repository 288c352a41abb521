import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { describeError } from '../../src/engine/describe-error.js';
import {
  answerCutMarker,
  EMPTY_ANSWER_TEXT,
  PLACEHOLDER_TEXT,
  REASONING_RETAINED_CHARS,
  ReplyRenderer,
  STOPPED_MARKER,
  STREAMING_INDICATOR,
} from '../../src/engine/renderer.js';
import { findCodeFences, splitMessage } from '../../src/engine/split.js';
import { PlatformRateLimitError } from '../../src/errors.js';
import { MAX_RETRY_AFTER_MS } from '../../src/retry-after.js';
import { RecordingSink } from './renderer-sink.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Feeds `deltas` one every `everyMs` of fake time. */
async function stream(renderer: ReplyRenderer, deltas: string[], everyMs: number): Promise<void> {
  for (const delta of deltas) {
    renderer.content(delta);
    await vi.advanceTimersByTimeAsync(everyMs);
  }
}

/** Starts the reply and lets fake time run until the placeholder post has returned. */
async function started(renderer: ReplyRenderer): Promise<void> {
  let done = false;
  void renderer.start().then(() => {
    done = true;
  });
  while (!done) await vi.advanceTimersByTimeAsync(10);
}

/** Ends the reply and lets fake time run until it has settled. */
async function settle<T>(ending: Promise<T>): Promise<T> {
  let done = false;
  void ending.then(() => {
    done = true;
  });
  for (let i = 0; i < 1000 && !done; i++) await vi.advanceTimersByTimeAsync(100);
  expect(done).toBe(true);
  return ending;
}

describe('ReplyRenderer: cadence', () => {
  it('posts the placeholder at once and shows the first content as soon as that post returns', async () => {
    const sink = new RecordingSink({ editIntervalMs: 1000 }, 100);
    const renderer = new ReplyRenderer(sink, { reasoningDisplay: 'status' });
    void renderer.start();
    await vi.advanceTimersByTimeAsync(10);
    expect(sink.calls).toMatchObject([{ kind: 'post', text: PLACEHOLDER_TEXT, startedAt: 0 }]);
    renderer.content('Hello');
    await vi.advanceTimersByTimeAsync(100); // the post returns at 100 ms
    expect(sink.calls[1]).toMatchObject({
      kind: 'edit',
      startedAt: 100,
      text: `Hello${STREAMING_INDICATOR}`,
    });
    await settle(renderer.complete());
    expect(sink.visible()).toEqual(['Hello']);
    expect(sink.phases()).toEqual(['done']);
  });

  it('edits about once per interval, one call in flight, never two edits within the interval', async () => {
    const sink = new RecordingSink({ editIntervalMs: 1000 }, 150);
    const renderer = new ReplyRenderer(sink, { reasoningDisplay: 'status' });
    void renderer.start();
    const deltas = Array.from({ length: 200 }, (_, i) => `w${i} `);
    await stream(renderer, deltas, 50); // 10 s of fake time
    const ids = await settle(renderer.complete());

    const edits = sink.calls.filter((call) => call.kind === 'edit');
    expect(edits.length).toBeGreaterThanOrEqual(9);
    expect(edits.length).toBeLessThanOrEqual(12);
    // The first content edit goes out right after the placeholder; after that the interval holds,
    // except for the final flush, which does not wait for it.
    const streamingEdits = edits.filter((call) => call.phase === 'streaming');
    for (let i = 1; i < streamingEdits.length; i++) {
      expect(streamingEdits[i]!.startedAt - streamingEdits[i - 1]!.startedAt).toBeGreaterThanOrEqual(1000);
    }
    expect(sink.maxInFlight).toBe(1);
    expect(ids).toEqual(['m1']);
    expect(sink.visible()).toEqual([deltas.join('')]);
  });

  it('sends the newest text: deltas arriving during a wait are coalesced into one edit', async () => {
    const sink = new RecordingSink({ editIntervalMs: 1000 }, 50);
    const renderer = new ReplyRenderer(sink, { reasoningDisplay: 'status' });
    await started(renderer);
    renderer.content('one ');
    await vi.advanceTimersByTimeAsync(200);
    renderer.content('two ');
    await vi.advanceTimersByTimeAsync(200);
    renderer.content('three');
    await vi.advanceTimersByTimeAsync(2000);
    const texts = sink.calls.map((call) => call.text);
    expect(texts).toEqual([
      PLACEHOLDER_TEXT,
      `one ${STREAMING_INDICATOR}`,
      `one two three${STREAMING_INDICATOR}`,
    ]);
    await settle(renderer.complete());
  });

  it('skips an edit whose text is already shown', async () => {
    const sink = new RecordingSink({ editIntervalMs: 1000 }, 50);
    const renderer = new ReplyRenderer(sink, { reasoningDisplay: 'status' });
    await started(renderer);
    renderer.status('⏳ Queued (position 2)…');
    await vi.advanceTimersByTimeAsync(1500);
    renderer.status('⏳ Queued (position 2)…');
    await vi.advanceTimersByTimeAsync(1500);
    expect(sink.calls.filter((call) => call.text === '⏳ Queued (position 2)…')).toHaveLength(1);
    expect(renderer.stats.skippedUnchanged).toBeGreaterThanOrEqual(1);
    await settle(renderer.complete());
    expect(sink.visible()).toEqual([EMPTY_ANSWER_TEXT]);
  });

  it('ends with no timers left running', async () => {
    const sink = new RecordingSink({ editIntervalMs: 1000 }, 50);
    const renderer = new ReplyRenderer(sink, { reasoningDisplay: 'status' });
    await started(renderer);
    renderer.reasoning('hmm');
    renderer.content('Answer');
    await settle(renderer.complete());
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('ReplyRenderer: rate limits and failures', () => {
  it('waits retry_after, widens the interval and loses no text', async () => {
    const sink = new RecordingSink({ editIntervalMs: 1000 }, 100);
    sink.failures.set(2, { rateLimitMs: 3000 }); // the second edit is refused
    const renderer = new ReplyRenderer(sink, { reasoningDisplay: 'status', maxIntervalMs: 4000 });
    void renderer.start();
    const deltas = Array.from({ length: 160 }, (_, i) => `t${i} `);
    await stream(renderer, deltas, 50); // 8 s
    await settle(renderer.complete());

    const refused = sink.calls.findIndex((call) => call.failed === 'rate_limited');
    expect(refused).toBe(2);
    const next = sink.calls[refused + 1]!;
    expect(next.startedAt).toBeGreaterThanOrEqual(sink.calls[refused]!.endedAt + 3000);
    expect(next.text.length).toBeGreaterThan(sink.calls[refused]!.text.length); // newest text, not the refused one
    const later = sink.calls.slice(refused + 1).filter((call) => call.phase === 'streaming');
    for (let i = 1; i < later.length; i++) {
      expect(later[i]!.startedAt - later[i - 1]!.startedAt).toBeGreaterThanOrEqual(2000);
    }
    expect(renderer.stats.rateLimits).toBe(1);
    expect(sink.visible()).toEqual([deltas.join('')]);
  });

  it('honours a rate-limit wait even in the final flush', async () => {
    const sink = new RecordingSink({ editIntervalMs: 1000 }, 100);
    sink.failures.set(1, { rateLimitMs: 5000 });
    const renderer = new ReplyRenderer(sink, { reasoningDisplay: 'status' });
    void renderer.start();
    renderer.content('All of it.');
    await vi.advanceTimersByTimeAsync(250); // the first content edit was refused at 200 ms
    const ending = renderer.complete();
    await settle(ending);
    const final = sink.calls.at(-1)!;
    expect(final.startedAt).toBeGreaterThanOrEqual(5200);
    expect(final).toMatchObject({ text: 'All of it.', phase: 'done' });
  });

  it('honours a Retry-After of exactly the cap (60 s), then finishes the reply', async () => {
    const sink = new RecordingSink({ editIntervalMs: 1000 }, 100);
    sink.failures.set(1, { rateLimitMs: MAX_RETRY_AFTER_MS });
    const renderer = new ReplyRenderer(sink, { reasoningDisplay: 'status' });
    void renderer.start();
    renderer.content('Worth the wait.');
    await vi.advanceTimersByTimeAsync(250);
    await settle(renderer.complete());
    expect(sink.calls.at(-1)!.startedAt).toBeGreaterThanOrEqual(200 + MAX_RETRY_AFTER_MS);
    expect(sink.visible()).toEqual(['Worth the wait.']);
  });

  it('a Retry-After past the cap (86,400 s) stops editing: complete() returns at once and the user is told', async () => {
    const sink = new RecordingSink({ editIntervalMs: 1000 }, 100);
    const notices: string[] = [];
    const withNotice = Object.assign(sink, { notice: async (text: string) => void notices.push(text) });
    sink.failures.set(1, { rateLimitMs: 86_400_000 });
    const renderer = new ReplyRenderer(withNotice, { reasoningDisplay: 'status' });
    void renderer.start();
    renderer.content('An answer the platform will not show.');
    await vi.advanceTimersByTimeAsync(250); // the first content edit was refused at 200 ms
    let returned = false;
    const ending = renderer.complete().then((ids) => {
      returned = true;
      return ids;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(returned).toBe(true);
    expect(await ending).toEqual(['m1']);
    expect(renderer.text).toBe('An answer the platform will not show.'); // kept for history
    expect(sink.calls).toHaveLength(2); // no retry after the refusal
    expect(renderer.stats.rateLimits).toBe(1);
    expect(notices).toEqual([describeError(new PlatformRateLimitError(86_400_000))]);
    expect(notices[0]).toMatch(/could not be finished/);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('gives up editing on a sink that keeps failing, and still resolves', async () => {
    const sink = new RecordingSink({ editIntervalMs: 1000 }, 100);
    sink.failFrom = 1;
    const renderer = new ReplyRenderer(sink, { reasoningDisplay: 'status' });
    void renderer.start();
    await stream(renderer, ['partial ', 'answer'], 500);
    const ids = await settle(renderer.fail('The model stopped answering.'));
    expect(ids).toEqual(['m1']);
    expect(sink.calls.filter((call) => call.failed === 'error')).toHaveLength(3);
    expect(sink.visible()).toEqual([PLACEHOLDER_TEXT]);
  });
});

describe('ReplyRenderer: long answers', () => {
  it('splits a 6,000-character answer with code into 2,000-character messages, fences balanced', async () => {
    const prose = 'Streaming answers arrive in small pieces and are edited in place. ';
    const code = Array.from({ length: 60 }, (_, i) => `  result.push(compute(${i}));`).join('\n');
    let answer = `${prose.repeat(12)}\n\n\`\`\`ts\nfunction build() {\n${code}\n}\n\`\`\`\n\n`;
    while (answer.length < 6000) answer += `${prose.repeat(5)}\n\n`;
    const deltas = answer.match(/[\s\S]{1,40}/g)!;

    const sink = new RecordingSink({ maxMessageLength: 2000, editIntervalMs: 1000 }, 80);
    const renderer = new ReplyRenderer(sink, { reasoningDisplay: 'status' });
    void renderer.start();
    await stream(renderer, deltas, 20);
    const ids = await settle(renderer.complete());

    const messages = sink.visible();
    expect(messages).toEqual(splitMessage(answer, 2000));
    expect(messages.length).toBeGreaterThanOrEqual(3);
    expect(ids).toHaveLength(messages.length);
    for (const message of messages) {
      expect(message.length).toBeLessThanOrEqual(2000);
      expect(findCodeFences(message).every((fence) => fence.closed)).toBe(true);
    }
    expect(sink.phases()).toEqual([...messages.slice(1).map(() => 'done'), 'done']);
    // Splitting is stable: a message is finalized once and not edited after that.
    for (const id of ids.slice(0, -1)) {
      const calls = sink.applied().filter((call) => call.id === id);
      expect(calls.filter((call) => call.phase === 'done')).toHaveLength(1);
      expect(calls.at(-1)!.phase).toBe('done');
    }
    // Every call, streaming ones included, fit the platform limit.
    for (const call of sink.calls) expect(call.text.length).toBeLessThanOrEqual(2000);
  });

  it('never splits an emoji across messages', async () => {
    const family = '👨‍👩‍👧‍👦';
    const answer = `${family} `.repeat(400); // 4,800 code units
    const sink = new RecordingSink({ maxMessageLength: 1000, editIntervalMs: 500 }, 20);
    const renderer = new ReplyRenderer(sink, { reasoningDisplay: 'status' });
    void renderer.start();
    await stream(renderer, answer.match(/[\s\S]{1,7}/gu)!, 10);
    await settle(renderer.complete());
    const messages = sink.visible();
    expect(messages.join('')).toBe(answer);
    for (const message of messages) expect(message.replaceAll(`${family} `, '')).toMatch(/^(👨‍👩‍👧‍👦)?$/);
  });

  it('shows a streaming snapshot inside a code block with the fence closed', async () => {
    const sink = new RecordingSink({ editIntervalMs: 1000 }, 50);
    const renderer = new ReplyRenderer(sink, { reasoningDisplay: 'status' });
    void renderer.start();
    renderer.content('Try:\n```py\nprint(1)');
    await vi.advanceTimersByTimeAsync(200);
    expect(sink.visible()).toEqual(['Try:\n```py\nprint(1)\n```\n▌']);
    await settle(renderer.complete());
    expect(sink.visible()).toEqual(['Try:\n```py\nprint(1)']);
  });
});

describe('ReplyRenderer: endings', () => {
  it('tells the sink once that the reply ended, after its last call, for every ending', async () => {
    for (const end of ['complete', 'stop', 'fail'] as const) {
      const sink = new RecordingSink({ editIntervalMs: 1000, maxMessageLength: 20 }, 50);
      const renderer = new ReplyRenderer(sink, { reasoningDisplay: 'status' });
      void renderer.start();
      await stream(renderer, ['A first paragraph.\n\n', 'And a second one.'], 100);
      await settle(end === 'fail' ? renderer.fail('boom') : renderer[end]());
      await settle(renderer.complete());
      expect(sink.finishedAt).toEqual([{ at: expect.any(Number), callsBefore: sink.calls.length }]);
    }
  });

  it('keeps the partial text and adds a stop marker', async () => {
    const sink = new RecordingSink({ editIntervalMs: 1000 }, 50);
    const renderer = new ReplyRenderer(sink, { reasoningDisplay: 'status' });
    void renderer.start();
    await stream(renderer, ['The first half', ' of an answer'], 100);
    await settle(renderer.stop());
    expect(sink.visible()).toEqual([`The first half of an answer\n\n${STOPPED_MARKER}`]);
    expect(sink.phases()).toEqual(['stopped']);
  });

  it('keeps the partial text and says why it was interrupted, outside any open code block', async () => {
    const sink = new RecordingSink({ editIntervalMs: 1000 }, 50);
    const renderer = new ReplyRenderer(sink, { reasoningDisplay: 'status' });
    void renderer.start();
    await stream(renderer, ['Code:\n```js\nlet a'], 100);
    await settle(renderer.fail('The model took too long to answer.'));
    expect(sink.visible()).toEqual([
      'Code:\n```js\nlet a\n```\n\n⚠️ Interrupted: The model took too long to answer.',
    ]);
    expect(sink.phases()).toEqual(['interrupted']);
  });

  it('stopped before any message was posted still tells the user', async () => {
    const sink = new RecordingSink({ editIntervalMs: 1000 }, 50);
    const renderer = new ReplyRenderer(sink, { reasoningDisplay: 'hidden' });
    await started(renderer);
    await settle(renderer.stop());
    expect(sink.visible()).toEqual([STOPPED_MARKER]);
  });
});

describe('ReplyRenderer: reasoning display', () => {
  it("'status' shows the seconds spent thinking, then the answer replaces it", async () => {
    const sink = new RecordingSink({ editIntervalMs: 1000 }, 50);
    const renderer = new ReplyRenderer(sink, { reasoningDisplay: 'status', statusTickMs: 2000 });
    await started(renderer);
    for (let i = 0; i < 121; i++) {
      renderer.reasoning('considering… ');
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(sink.visible()).toEqual(['💭 Thinking… 12s']);
    expect(sink.calls.some((call) => call.text === '💭 Thinking… 6s')).toBe(true);
    renderer.content('Answer.');
    await settle(renderer.complete());
    expect(sink.visible()).toEqual(['Answer.']);
  });

  it("'hidden' shows no queue or retry status either, so replies appear in the order answers start", async () => {
    const sink = new RecordingSink({ editIntervalMs: 1000 }, 50);
    const renderer = new ReplyRenderer(sink, { reasoningDisplay: 'hidden' });
    await started(renderer);
    renderer.status('Queued: 3 ahead of you…');
    await vi.advanceTimersByTimeAsync(2000);
    expect(sink.calls.filter((call) => call.kind === 'post' || call.kind === 'edit')).toEqual([]);
    renderer.content('Answer.');
    await settle(renderer.complete());
    expect(sink.visible()).toEqual(['Answer.']);
  });

  it("'text' shows the reasoning itself as a quote", async () => {
    const sink = new RecordingSink({ maxMessageLength: 300, editIntervalMs: 1000 }, 50);
    const renderer = new ReplyRenderer(sink, { reasoningDisplay: 'text' });
    await started(renderer);
    renderer.reasoning('First, read the question.\nThen ');
    await vi.advanceTimersByTimeAsync(1100);
    expect(sink.visible()[0]).toContain('> First, read the question.\n> Then');
    renderer.reasoning('x'.repeat(1000));
    await vi.advanceTimersByTimeAsync(1100);
    const shown = sink.visible()[0]!;
    expect(shown.length).toBeLessThanOrEqual(300);
    expect(shown).toMatch(/> …x+$/);
    renderer.content('Done thinking.');
    await settle(renderer.complete());
    expect(sink.visible()).toEqual(['Done thinking.']);
  });

  it("'hidden' posts nothing until content and keeps the typing indicator alive", async () => {
    const sink = new RecordingSink({ editIntervalMs: 1000 }, 50);
    const renderer = new ReplyRenderer(sink, { reasoningDisplay: 'hidden' });
    await started(renderer);
    for (let i = 0; i < 170; i++) {
      renderer.reasoning('secret thoughts ');
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(sink.calls).toHaveLength(0);
    expect(sink.typingAt).toEqual([0, 8000, 16000]);
    const contentAt = Date.now();
    renderer.content('Visible answer');
    await vi.advanceTimersByTimeAsync(10);
    expect(sink.calls[0]).toMatchObject({
      kind: 'post',
      startedAt: contentAt,
      text: `Visible answer${STREAMING_INDICATOR}`,
    });
    await settle(renderer.complete());
    expect(sink.visible()).toEqual(['Visible answer']);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('ReplyRenderer: bounded memory', () => {
  const megabyteOfReasoning = Array.from(
    { length: 1_000 },
    (_, i) => `${String(i).padStart(4, '0')}${'r'.repeat(1_020)}`,
  );

  it("'text' keeps only the tail of 1 MB of reasoning, and still shows the newest of it", async () => {
    const sink = new RecordingSink({ maxMessageLength: 2000, editIntervalMs: 1000 }, 50);
    const renderer = new ReplyRenderer(sink, { reasoningDisplay: 'text' });
    await started(renderer);
    for (const delta of megabyteOfReasoning) renderer.reasoning(delta);
    await vi.advanceTimersByTimeAsync(1100);
    expect(megabyteOfReasoning.join('').length).toBeGreaterThanOrEqual(1_000_000);
    expect(renderer.retainedReasoningChars).toBeGreaterThan(0);
    expect(renderer.retainedReasoningChars).toBeLessThanOrEqual(REASONING_RETAINED_CHARS);
    expect(sink.visible()[0]).toMatch(/r+$/);
    expect(sink.visible()[0]).toContain('> …');
    renderer.content('Answer.');
    await settle(renderer.complete());
    expect(sink.visible()).toEqual(['Answer.']);
  });

  it.each(['status', 'hidden'] as const)("'%s' keeps no reasoning text at all", async (mode) => {
    const sink = new RecordingSink({ editIntervalMs: 1000 }, 50);
    const renderer = new ReplyRenderer(sink, { reasoningDisplay: mode });
    await started(renderer);
    for (const delta of megabyteOfReasoning) renderer.reasoning(delta);
    expect(renderer.retainedReasoningChars).toBe(0);
    renderer.content('Answer.');
    await settle(renderer.complete());
    expect(sink.visible()).toEqual(['Answer.']);
  });

  it('an answer over maxAnswerChars is cut there, never inside a surrogate pair, and the reply says so', async () => {
    const sink = new RecordingSink({ maxMessageLength: 2000, editIntervalMs: 1000 }, 50);
    const renderer = new ReplyRenderer(sink, { reasoningDisplay: 'status', maxAnswerChars: 100 });
    await started(renderer);
    renderer.content('a'.repeat(99));
    expect(renderer.answerCut).toBe(false);
    renderer.content('😀 and more'); // the emoji's two halves would straddle the cap
    expect(renderer.answerCut).toBe(true);
    expect(renderer.text).toBe('a'.repeat(99));
    renderer.content('ignored');
    expect(renderer.text).toBe('a'.repeat(99));
    await settle(renderer.complete());
    expect(sink.visible()).toEqual([`${'a'.repeat(99)}\n\n${answerCutMarker(100)}`]);
    expect(answerCutMarker(200_000)).toBe('_The answer was cut off at 200,000 characters._');
    expect(sink.phases()).toEqual(['done']);
  });
});
