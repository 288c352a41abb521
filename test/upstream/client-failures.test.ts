/**
 * The real client over real HTTP against the loopback emulator, when things go wrong before or
 * during an answer: error statuses, retries, timeouts, cancellation and early exits.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { UpstreamError } from '../../src/errors.js';
import { createUpstreamClient, type UpstreamClientOptions } from '../../src/upstream/client.js';
import type { ChatRequest, StreamEvent, UpstreamClient } from '../../src/upstream/types.js';
import { startUpstreamEmulator, type UpstreamEmulator } from '../emulators/upstream/server.js';

let upstream: UpstreamEmulator;
const clients: UpstreamClient[] = [];

function makeClient(options: Partial<UpstreamClientOptions> = {}): UpstreamClient {
  const client = createUpstreamClient({
    baseUrl: upstream.url,
    apiToken: upstream.token,
    retryBaseDelayMs: 5,
    ...options,
  });
  clients.push(client);
  return client;
}

const ask: ChatRequest = { model: 'gemini-2.5-pro', messages: [{ role: 'user', content: 'hello' }] };

/** Runs a stream to its end; returns what arrived and the error it ended with. */
async function collectUntilError(events: AsyncIterable<StreamEvent>) {
  const seen: StreamEvent[] = [];
  try {
    for await (const event of events) seen.push(event);
  } catch (error) {
    return { seen, error };
  }
  return { seen, error: undefined };
}

async function streamError(client: UpstreamClient, request = ask): Promise<UpstreamError> {
  const { error } = await collectUntilError(client.stream(request));
  expect(error).toBeInstanceOf(UpstreamError);
  return error as UpstreamError;
}

const untilNoActiveStreams = () =>
  vi.waitFor(() => expect(upstream.activeStreams).toBe(0), { timeout: 5_000 });

beforeAll(async () => {
  upstream = await startUpstreamEmulator();
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await upstream.close();
});

beforeEach(() => upstream.reset());

describe('error statuses', () => {
  it('a wrong token is invalid_token (401) with the trace id, and is not retried', async () => {
    const error = await streamError(makeClient({ apiToken: 'wrong-token' }));
    expect(error).toMatchObject({ code: 'invalid_token', status: 401 });
    expect(error.traceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(upstream.requests).toHaveLength(1);
  });

  it.each([
    [400, 'token_mismatched'],
    [400, 'api_not_implemented'],
    [403, 'used_up'],
    [403, 'forbidden'],
    [404, 'no_api'],
  ])('HTTP %i %s keeps its code, status and the body trace id', async (status, code) => {
    upstream.enqueue({ fault: { kind: 'http', status, code, message: 'nope', traceId: 'trace-from-body' } });
    const error = await streamError(makeClient());
    expect(error).toMatchObject({ code, status, traceId: 'trace-from-body' });
    expect(error.message).toContain('nope');
    expect(upstream.requests).toHaveLength(1);
  });

  it('429 is too_many_requests with retryAfterMs once retries are used up', async () => {
    upstream.enqueue({
      fault: { kind: 'http', status: 429, code: 'too_many_requests', retryAfterSeconds: 1 },
    });
    const error = await streamError(makeClient({ maxRetries: 0 }));
    expect(error).toMatchObject({ code: 'too_many_requests', status: 429, retryAfterMs: 1_000 });
  });

  it('rate_limited, another spelling, is too_many_requests too', async () => {
    upstream.enqueue({ fault: { kind: 'http', status: 429, code: 'rate_limited' } });
    expect(await streamError(makeClient({ maxRetries: 0 }))).toMatchObject({ code: 'too_many_requests' });
  });

  it('500 is api_error with the message', async () => {
    upstream.enqueue({ fault: { kind: 'http', status: 500, code: 'api_error', message: 'fetch failed' } });
    const error = await streamError(makeClient({ maxRetries: 0 }));
    expect(error).toMatchObject({ code: 'api_error', status: 500 });
    expect(error.message).toContain('fetch failed');
  });

  it('a non-JSON error body still gives a clear error with the header trace id', async () => {
    upstream.enqueue({ fault: { kind: 'non_json_error', status: 502, body: '<html>Bad Gateway</html>' } });
    const error = await streamError(makeClient({ maxRetries: 0 }));
    expect(error).toMatchObject({ code: 'api_error', status: 502 });
    expect(error.message).toMatch(/not JSON.*Bad Gateway/);
    expect(error.traceId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('complete() maps errors the same way', async () => {
    upstream.enqueue({ fault: { kind: 'http', status: 403, code: 'used_up', message: 'credit used up' } });
    await expect(makeClient().complete(ask)).rejects.toMatchObject({ code: 'used_up', status: 403 });
  });
});

describe('retries', () => {
  it('retries a 429 after the Retry-After it names, then streams the answer', async () => {
    upstream.enqueue(
      { fault: { kind: 'http', status: 429, code: 'too_many_requests', retryAfterSeconds: 1 } },
      { content: ['after the wait'] },
    );
    const retries: Array<{ attempt: number; delayMs: number }> = [];
    const { seen, error } = await collectUntilError(
      makeClient().stream(ask, { onRetry: ({ attempt, delayMs }) => retries.push({ attempt, delayMs }) }),
    );
    expect(error).toBeUndefined();
    expect(seen).toContainEqual({ type: 'content', text: 'after the wait' });
    expect(retries).toEqual([{ attempt: 2, delayMs: 1_000 }]);
    const [first, second] = upstream.requests;
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(950);
  });

  it('retries 500s with backoff, then succeeds', async () => {
    upstream.enqueue(
      { fault: { kind: 'http', status: 500, code: 'api_error' } },
      { fault: { kind: 'http', status: 503, code: 'api_error' } },
      { content: ['third time lucky'] },
    );
    const completion = await makeClient({ maxRetries: 2 }).complete(ask);
    expect(completion.content).toBe('third time lucky');
    expect(upstream.requests).toHaveLength(3);
  });

  it('gives up after maxRetries and throws the last error', async () => {
    upstream.setResponder(() => ({
      fault: { kind: 'http', status: 500, code: 'api_error', message: 'down' },
    }));
    const error = await streamError(makeClient({ maxRetries: 2 }));
    expect(error.code).toBe('api_error');
    expect(upstream.requests).toHaveLength(3);
  });

  it('does not wait out a Retry-After longer than 60 s: the user hears it instead', async () => {
    upstream.enqueue({
      fault: { kind: 'http', status: 429, code: 'too_many_requests', retryAfterSeconds: 120 },
    });
    const error = await streamError(makeClient({ maxRetries: 2 }));
    expect(error).toMatchObject({ code: 'too_many_requests', retryAfterMs: 120_000 });
    expect(upstream.requests).toHaveLength(1);
  });

  it('retries a refused connection, then reports a network error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const retries: number[] = [];
    const client = makeClient({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 1 });
    const { error } = await collectUntilError(
      client.stream(ask, { onRetry: (info) => retries.push(info.attempt) }),
    );
    expect(error).toMatchObject({ code: 'network' });
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
    expect(retries).toEqual([2]);
  });
});

describe('timeouts', () => {
  it('an upstream that sends no headers ends in a first-byte timeout, not retried', async () => {
    upstream.enqueue({ firstByteDelayMs: 10_000, content: ['too late'] });
    const error = await streamError(makeClient({ firstByteTimeoutMs: 250 }));
    expect(error.code).toBe('timeout');
    expect(error.message).toMatch(/no response within 250 ms/);
    expect(upstream.requests).toHaveLength(1);
    await untilNoActiveStreams();
  });

  it('a stream that goes silent ends in an idle timeout after the text so far', async () => {
    upstream.enqueue({ content: ['so far'], fault: { kind: 'hang', afterChunks: 2 } });
    const { seen, error } = await collectUntilError(makeClient({ idleTimeoutMs: 250 }).stream(ask));
    expect(seen).toContainEqual({ type: 'content', text: 'so far' });
    expect(error).toMatchObject({ code: 'timeout' });
    expect((error as Error).message).toMatch(/went silent for 250 ms/);
    await untilNoActiveStreams();
  });
});

describe('cancellation', () => {
  it('an abort mid-stream throws an AbortError and closes the socket at once', async () => {
    upstream.enqueue({ content: ['first'], fault: { kind: 'hang', afterChunks: 2 } });
    const controller = new AbortController();
    const seen: StreamEvent[] = [];
    const run = (async () => {
      for await (const event of makeClient().stream(ask, { signal: controller.signal })) {
        seen.push(event);
        if (event.type === 'content') controller.abort();
      }
    })();
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual([{ type: 'content', text: 'first' }]);
    await untilNoActiveStreams();
  });

  it('keeps a custom abort reason, so the engine can tell a Stop from a failure', async () => {
    upstream.enqueue({ fault: { kind: 'hang', afterChunks: 1 } });
    const controller = new AbortController();
    const reason = new Error('stopped by the user');
    setTimeout(() => controller.abort(reason), 50);
    const { error } = await collectUntilError(makeClient().stream(ask, { signal: controller.signal }));
    expect(error).toBe(reason);
    await untilNoActiveStreams();
  });

  it('an abort while waiting for the first byte closes the request', async () => {
    upstream.enqueue({ firstByteDelayMs: 10_000 });
    const controller = new AbortController();
    const pending = makeClient().complete(ask, { signal: controller.signal });
    await vi.waitFor(() => expect(upstream.activeStreams).toBe(1));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await untilNoActiveStreams();
  });

  it('an abort during a retry wait stops at once, without another attempt', async () => {
    upstream.enqueue({
      fault: { kind: 'http', status: 429, code: 'too_many_requests', retryAfterSeconds: 30 },
    });
    const controller = new AbortController();
    const pending = collectUntilError(
      makeClient().stream(ask, { signal: controller.signal, onRetry: () => controller.abort() }),
    );
    const { error } = await pending;
    expect(error).toMatchObject({ name: 'AbortError' });
    expect(upstream.requests).toHaveLength(1);
  });

  it('a consumer that breaks out of the loop closes the stream', async () => {
    upstream.enqueue({ content: ['one', 'two'], fault: { kind: 'hang', afterChunks: 3 } });
    for await (const event of makeClient().stream(ask)) {
      if (event.type === 'content') break;
    }
    await untilNoActiveStreams();
  });
});

describe('concurrency', () => {
  it('runs many conversations at once over the shared pool', async () => {
    upstream.setResponder(() => ({ content: ['x', 'y', 'z'], chunkDelayMs: 100 }));
    const client = makeClient();
    const runs = Array.from({ length: 30 }, () => collectUntilError(client.stream(ask)));
    const results = await Promise.all(runs);
    expect(results.every((result) => result.error === undefined)).toBe(true);
    expect(upstream.maxConcurrentStreams).toBe(30);
  });
});
