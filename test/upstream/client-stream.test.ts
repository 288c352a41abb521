/**
 * The real client over real HTTP against the loopback emulator: what a streamed or plain answer
 * looks like to the engine, and how a stream that goes wrong ends (never as a silent success).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UpstreamError } from '../../src/errors.js';
import { createUpstreamClient } from '../../src/upstream/client.js';
import type { ChatRequest, StreamEvent, UpstreamClient } from '../../src/upstream/types.js';
import { startUpstreamEmulator, type UpstreamEmulator } from '../emulators/upstream/server.js';

let upstream: UpstreamEmulator;
let client: UpstreamClient;

const ask = (content: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'gemini-2.5-pro',
  messages: [{ role: 'user', content }],
  ...extra,
});

async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const seen: StreamEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

/** Runs a stream to its end; returns what arrived and the error it ended with (if any). */
async function collectUntilError(events: AsyncIterable<StreamEvent>) {
  const seen: StreamEvent[] = [];
  try {
    for await (const event of events) seen.push(event);
  } catch (error) {
    return { seen, error };
  }
  return { seen, error: undefined };
}

const textOf = (events: StreamEvent[], type: 'content' | 'reasoning') =>
  events
    .filter((event) => event.type === type)
    .map((event) => (event as { text: string }).text)
    .join('');

beforeAll(async () => {
  upstream = await startUpstreamEmulator();
  client = createUpstreamClient({ baseUrl: upstream.url, apiToken: upstream.token, retryBaseDelayMs: 5 });
});

afterAll(async () => {
  await client.close();
  await upstream.close();
});

beforeEach(() => upstream.reset());

describe('a streamed answer', () => {
  it('arrives as reasoning, then content, then finish, then usage, with the exact text', async () => {
    upstream.enqueue({
      reasoning: ['Thinking ', 'hard.'],
      content: ['Hello', ', ', 'world!'],
      usage: { prompt_tokens: 8, completion_tokens: 30, total_tokens: 38, reasoning_tokens: 20 },
    });
    const events = await collect(client.stream(ask('Say hello')));
    expect(events).toEqual([
      { type: 'reasoning', text: 'Thinking ' },
      { type: 'reasoning', text: 'hard.' },
      { type: 'content', text: 'Hello' },
      { type: 'content', text: ', ' },
      { type: 'content', text: 'world!' },
      { type: 'finish', reason: 'stop' },
      {
        type: 'usage',
        usage: { promptTokens: 8, completionTokens: 30, reasoningTokens: 20, totalTokens: 38 },
      },
    ]);
  });

  it('echoes the last user prompt by default, media counted', async () => {
    const events = await collect(
      client.stream({
        model: 'gemini-3.0-pro',
        messages: [
          { role: 'user', content: 'first' },
          { role: 'assistant', content: 'ok' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is in the picture?' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
            ],
          },
        ],
      }),
    );
    expect(textOf(events, 'content')).toBe('Echo: What is in the picture? [+1 media]');
    expect(textOf(events, 'reasoning').length).toBeGreaterThan(0);
    expect(events.at(-1)?.type).toBe('usage');
  });

  it('sends the token, SSE accept header and snake_case options', async () => {
    await collect(client.stream(ask('hi', { maxTokens: 1024, reasoningEffort: 'low', temperature: 0.2 })));
    const request = upstream.requests[0]!;
    expect(request.headers.authorization).toBe(`Bearer ${upstream.token}`);
    expect(request.headers.accept).toBe('text/event-stream');
    expect(request.body).toEqual({
      model: 'gemini-2.5-pro',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      max_tokens: 1024,
      reasoning_effort: 'low',
      temperature: 0.2,
    });
  });

  it('keeps multi-byte characters intact when the bytes arrive split', async () => {
    const content = ['我是一個大型語言模型,', '由 Google 訓練。', ' 🙂 naïve café'];
    upstream.enqueue({ reasoning: ['思考…'], content, splitUtf8: true });
    const events = await collect(client.stream(ask('你是什麼模型?')));
    expect(textOf(events, 'content')).toBe(content.join(''));
    expect(textOf(events, 'reasoning')).toBe('思考…');
  });

  it('ignores keep-alive comment lines', async () => {
    upstream.enqueue({ content: ['a', 'b', 'c'], keepAliveComments: true });
    const events = await collect(client.stream(ask('x')));
    expect(textOf(events, 'content')).toBe('abc');
  });

  it('completes on [DONE] even when the gateway sends no finish reason', async () => {
    upstream.enqueue({ content: ['done'], finishReason: null });
    const events = await collect(client.stream(ask('x')));
    expect(events.map((event) => event.type)).toEqual(['content', 'usage']);
  });

  it('reuses keep-alive connections instead of opening one per answer', async () => {
    for (let i = 0; i < 6; i++) await collect(client.stream(ask(`turn ${i}`)));
    const ports = new Set(upstream.requests.map((request) => request.remotePort));
    expect(upstream.requests).toHaveLength(6);
    // undici frees a socket a moment after the body ends, so back-to-back requests may alternate
    // between two sockets; without keep-alive there would be six.
    expect(ports.size).toBeLessThanOrEqual(2);
  });
});

describe('a stream that goes wrong', () => {
  it('throws stream_cut when the body ends without [DONE]', async () => {
    upstream.enqueue({ content: ['partial'], fault: { kind: 'no_done' } });
    const { seen, error } = await collectUntilError(client.stream(ask('x')));
    expect(textOf(seen, 'content')).toBe('partial');
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).code).toBe('stream_cut');
  });

  it('throws stream_cut, after the partial text, when the connection is cut mid-stream', async () => {
    upstream.enqueue({ content: ['first ', 'second'], fault: { kind: 'cut', afterChunks: 2 } });
    const { seen, error } = await collectUntilError(client.stream(ask('x')));
    expect(textOf(seen, 'content')).toBe('first ');
    expect((error as UpstreamError).code).toBe('stream_cut');
    expect((error as UpstreamError).message).toMatch(/broke mid-answer/);
  });

  it('turns an error object inside the stream into its UpstreamError, trace id included', async () => {
    upstream.enqueue({
      content: ['some text'],
      fault: { kind: 'stream_error', afterChunks: 2, code: 'too_many_requests', message: 'slow down' },
    });
    const { seen, error } = await collectUntilError(client.stream(ask('x')));
    expect(textOf(seen, 'content')).toBe('some text');
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).code).toBe('too_many_requests');
    expect((error as UpstreamError).message).toContain('slow down');
    expect((error as UpstreamError).traceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(upstream.requests).toHaveLength(1); // the stream had started: no retry
  });

  it('does not retry once the stream has started, even for a retryable failure', async () => {
    upstream.enqueue({ content: ['a', 'b'], fault: { kind: 'cut', afterChunks: 2 } }, { content: ['never'] });
    const { error } = await collectUntilError(client.stream(ask('x')));
    expect((error as UpstreamError).code).toBe('stream_cut');
    expect(upstream.requests).toHaveLength(1);
  });

  it('a 200 answer that is an HTML page is a bad_response, not a cut stream', async () => {
    upstream.enqueue({ fault: { kind: 'non_json_error', status: 200, body: '<html>captive portal</html>' } });
    const { error } = await collectUntilError(client.stream(ask('x')));
    expect(error).toMatchObject({ code: 'bad_response', status: 200 });
    expect((error as Error).message).toMatch(/text\/html instead of an event stream/);
  });

  it('the magic words of the default responder reach the client as faults', async () => {
    const cut = await collectUntilError(client.stream(ask('hello [fault:cut]')));
    expect((cut.error as UpstreamError).code).toBe('stream_cut');
    const streamError = await collectUntilError(client.stream(ask('hello [fault:stream_error]')));
    expect((streamError.error as UpstreamError).code).toBe('api_error');
    const noDone = await collectUntilError(client.stream(ask('hello [fault:no_done]')));
    expect((noDone.error as UpstreamError).code).toBe('stream_cut');
  });
});

describe('a plain (non-streaming) answer', () => {
  it('comes back whole, usage mapped', async () => {
    upstream.enqueue({
      reasoning: ['Let me think.'],
      content: ['我是一個大型語言模型', ',由 Google 訓練。'],
      usage: { prompt_tokens: 16, completion_tokens: 265, total_tokens: 281, reasoning_tokens: 254 },
    });
    const completion = await client.complete(ask('你是什麼模型?'));
    expect(completion).toEqual({
      model: 'gemini-2.5-pro',
      content: '我是一個大型語言模型,由 Google 訓練。',
      reasoning: 'Let me think.',
      finishReason: 'stop',
      usage: { promptTokens: 16, completionTokens: 265, reasoningTokens: 254, totalTokens: 281 },
    });
    expect(upstream.requests[0]!.body.stream).toBe(false);
    expect(upstream.requests[0]!.headers.accept).toBe('application/json');
  });

  it('a stream request answered with plain JSON (a gateway ignoring stream) still yields its events', async () => {
    upstream.enqueue({ reasoning: ['hmm'], content: ['whole ', 'answer'], ignoreStream: true });
    const events = await collect(client.stream(ask('x')));
    expect(events.slice(0, 3)).toEqual([
      { type: 'reasoning', text: 'hmm' },
      { type: 'content', text: 'whole answer' },
      { type: 'finish', reason: 'stop' },
    ]);
    expect(events[3]?.type).toBe('usage');
  });

  it('a 200 answer that carries an error body is an error, not an empty success', async () => {
    upstream.enqueue({
      fault: { kind: 'stream_error', afterChunks: 0, code: 'used_up', message: 'no credit' },
    });
    await expect(client.complete(ask('x'))).rejects.toMatchObject({ code: 'used_up' });
  });
});
