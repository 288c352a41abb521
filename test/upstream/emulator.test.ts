/**
 * The emulator itself, over raw HTTP (no client): it must look like the API's page, because every
 * other suite trusts it. Byte format, auth, unknown paths, magic words, counters and close().
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startUpstreamEmulator, type UpstreamEmulator } from '../emulators/upstream/server.js';

let upstream: UpstreamEmulator;

function post(body: unknown, init: { token?: string; path?: string } = {}) {
  return fetch(`${upstream.url}${init.path ?? '/gemini/chat/completions'}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${init.token ?? upstream.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

// biome-ignore lint/suspicious/noExplicitAny: the tests read fields of the API's JSON directly.
const json = (response: Response): Promise<any> => response.json();

const userSays = (content: unknown, stream = true) => ({
  model: 'gemini-2.5-pro',
  stream,
  messages: [{ role: 'user', content }],
});

beforeAll(async () => {
  upstream = await startUpstreamEmulator({ token: 'emulator-test-token' });
});

afterAll(async () => {
  await upstream.close();
});

beforeEach(() => upstream.reset());

describe('the upstream emulator', () => {
  it('streams in the exact SSE format of the API page', async () => {
    const response = await post(userSays('Hello'));
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('x-trace-id')).toBeTruthy();
    const text = await response.text();
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    const blocks = text.split('\n\n').filter(Boolean);
    expect(blocks.every((block) => block.startsWith('data: '))).toBe(true);
    const chunks = blocks.slice(0, -1).map((block) => JSON.parse(block.slice(6)));
    for (const chunk of chunks) {
      expect(Object.keys(chunk)).toEqual([
        'id',
        'object',
        'created',
        'model',
        'system_fingerprint',
        'choices',
        'usage',
      ]);
      expect(chunk.object).toBe('chat.completion.chunk');
    }
    expect(chunks[0].choices[0].delta).toEqual({ content: '', role: 'assistant' });
    expect(chunks[1].choices[0].delta.reasoning_content).toBeTruthy();
    expect(chunks.at(-2).choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(chunks.at(-1).choices).toEqual([]);
    expect(chunks.at(-1).usage.completion_tokens_details.reasoning_tokens).toBeGreaterThan(0);
    const content = chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join('');
    expect(content).toBe('Echo: Hello');
  });

  it('answers stream: false with one chat.completion', async () => {
    const body = await json(await post(userSays([{ type: 'text', text: 'Hi' }], false)));
    expect(body).toMatchObject({
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Echo: Hi' }, finish_reason: 'stop' }],
    });
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
  });

  it('rejects a wrong token with 401 invalid_token and records the request', async () => {
    const response = await post(userSays('x'), { token: 'nope' });
    expect(response.status).toBe(401);
    const body = await json(response);
    expect(body).toMatchObject({ success: false, error: { code: 'invalid_token' } });
    expect(body.trace_id).toBe(response.headers.get('x-trace-id'));
    expect(upstream.requests).toHaveLength(1);
  });

  it('answers 404 no_api on other paths', async () => {
    const response = await post(userSays('x'), { path: '/openai/chat/completions' });
    expect(response.status).toBe(404);
    expect((await json(response)).error.code).toBe('no_api');
  });

  it('plays magic words: [fault:429] carries Retry-After', async () => {
    const response = await post(userSays('please [fault:429]'));
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('1');
    expect((await json(response)).error.code).toBe('too_many_requests');
  });

  it('[long] answers several paragraphs with a code block', async () => {
    const body = await json(await post(userSays('tell me [long]', false)));
    const content: string = body.choices[0].message.content;
    expect(content.length).toBeGreaterThan(2_000);
    expect(content).toContain('```ts');
    expect(content.split('\n\n').length).toBeGreaterThan(4);
  });

  it('serves queued scripts first in first out, then the responder', async () => {
    upstream.enqueue({ content: ['one'] }, { content: ['two'] });
    upstream.setResponder(() => ({ content: ['responder'] }));
    const answers: string[] = [];
    for (let i = 0; i < 3; i++) {
      answers.push((await json(await post(userSays('x', false)))).choices[0].message.content);
    }
    expect(answers).toEqual(['one', 'two', 'responder']);
  });

  it('counts open streams and destroys hanging sockets on close', async () => {
    const own = await startUpstreamEmulator();
    own.enqueue({ fault: { kind: 'hang', afterChunks: 1 } });
    const response = await fetch(`${own.url}/gemini/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${own.token}` },
      body: JSON.stringify(userSays('x')),
    });
    const reading = response.text().then(
      () => 'ended',
      () => 'broken',
    );
    expect(own.activeStreams).toBe(1);
    expect(own.maxConcurrentStreams).toBe(1);
    await own.close();
    expect(await reading).toBe('broken');
  });
});
