/**
 * Pure mappings: error bodies and headers → UpstreamError, retry delays, and the API's chunks →
 * StreamEvents. Fixtures are the shapes on the API's page and the variants gateways send.
 */
import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../../src/errors.js';
import {
  completionFromBody,
  eventsFromChunk,
  requestBody,
  usageFromWire,
} from '../../src/upstream/chunks.js';
import {
  errorFromPayload,
  errorFromResponse,
  errorFromTransport,
  retryAfterMsFromHeaders,
} from '../../src/upstream/map-error.js';
import { defaultRetryPolicy, isRetryable, retryDelayMs } from '../../src/upstream/retry.js';

const timeouts = { connectTimeoutMs: 10_000, firstByteTimeoutMs: 180_000, idleTimeoutMs: 60_000 };

describe('error responses', () => {
  it('reads the documented body: code, message and trace_id', () => {
    const body = '{"success":false,"error":{"code":"used_up","message":"credit used up"},"trace_id":"t-1"}';
    const error = errorFromResponse(403, {}, body);
    expect(error).toMatchObject({ code: 'used_up', status: 403, traceId: 't-1' });
    expect(error.message).toContain('credit used up');
  });

  it('accepts error as a plain string, and a missing success field', () => {
    const error = errorFromResponse(500, { 'x-trace-id': 'from-header' }, '{"error":"fetch failed"}');
    expect(error).toMatchObject({ code: 'api_error', status: 500, traceId: 'from-header' });
    expect(error.message).toContain('fetch failed');
  });

  it('falls back to the status when the code is unknown, naming the code it got', () => {
    const error = errorFromResponse(429, {}, '{"error":{"code":"slow_down_please","message":"x"}}');
    expect(error.code).toBe('too_many_requests');
    expect(error.message).toContain('slow_down_please');
  });

  it('explains a body that is not JSON, without dumping all of it', () => {
    const error = errorFromResponse(504, {}, `<html>${'gateway timeout '.repeat(100)}</html>`);
    expect(error.code).toBe('timeout');
    expect(error.message).toMatch(/not JSON: <html>gateway timeout/);
    expect(error.message.length).toBeLessThan(300);
  });

  it('an empty error body still names the status', () => {
    expect(errorFromResponse(401, {}, '').message).toMatch(/HTTP 401 \(invalid_token\)/);
  });

  it('a JSON value that is not an error is not one', () => {
    expect(errorFromPayload({ choices: [] })).toBeUndefined();
    expect(errorFromPayload('text')).toBeUndefined();
    expect(errorFromPayload({ success: false })).toBeInstanceOf(UpstreamError);
  });
});

describe('Retry-After', () => {
  it('reads seconds, milliseconds and HTTP dates', () => {
    expect(retryAfterMsFromHeaders({ 'retry-after': '2' })).toBe(2_000);
    expect(retryAfterMsFromHeaders({ 'retry-after': '1.5' })).toBe(1_500);
    expect(retryAfterMsFromHeaders({ 'retry-after-ms': '250', 'retry-after': '9' })).toBe(250);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryAfterMsFromHeaders({ 'retry-after': 'Wed, 01 Jan 2025 00:00:05 GMT' }, now)).toBe(5_000);
    expect(retryAfterMsFromHeaders({ 'retry-after': 'soon' })).toBeUndefined();
    expect(retryAfterMsFromHeaders({})).toBeUndefined();
  });
});

describe('retry policy', () => {
  const policy = defaultRetryPolicy(5);

  it('backs off from 0.5 s, doubling to 8 s, jitter taking up to a quarter off', () => {
    const error = new UpstreamError('api_error', 'x', { status: 500 });
    const noJitter = () => 0;
    expect([1, 2, 3, 4, 5, 6].map((retry) => retryDelayMs(retry, error, policy, noJitter))).toEqual([
      500, 1_000, 2_000, 4_000, 8_000, 8_000,
    ]);
    expect(retryDelayMs(1, error, policy, () => 0.999)).toBeGreaterThanOrEqual(375);
  });

  it('waits what Retry-After asks, up to 60 s, and refuses to wait longer', () => {
    const asks = (ms: number) =>
      new UpstreamError('too_many_requests', 'x', { status: 429, retryAfterMs: ms });
    expect(retryDelayMs(1, asks(3_000), policy)).toBe(3_000);
    expect(retryDelayMs(1, asks(60_000), policy)).toBe(60_000);
    expect(retryDelayMs(1, asks(61_000), policy)).toBeUndefined();
  });

  it('retries 429, 408 and 5xx and connection failures; never 4xx, a cut stream or a first-byte timeout', () => {
    const status = (code: 'api_error', value: number) => new UpstreamError(code, 'x', { status: value });
    expect(isRetryable(status('api_error', 429))).toBe(true);
    expect(isRetryable(status('api_error', 408))).toBe(true);
    expect(isRetryable(status('api_error', 502))).toBe(true);
    expect(isRetryable(status('api_error', 400))).toBe(false);
    expect(isRetryable(status('api_error', 401))).toBe(false);
    expect(
      isRetryable(errorFromTransport({ code: 'ECONNRESET', message: 'reset' }, 'request', timeouts)),
    ).toBe(true);
    expect(isRetryable(errorFromTransport({ code: 'UND_ERR_HEADERS_TIMEOUT' }, 'request', timeouts))).toBe(
      false,
    );
    expect(isRetryable(errorFromTransport({ code: 'UND_ERR_SOCKET' }, 'body', timeouts))).toBe(false);
  });
});

describe('transport failures', () => {
  it('say which timeout ran out', () => {
    expect(errorFromTransport({ code: 'UND_ERR_CONNECT_TIMEOUT' }, 'request', timeouts).message).toMatch(
      /connect .* within 10 s/,
    );
    expect(errorFromTransport({ code: 'UND_ERR_HEADERS_TIMEOUT' }, 'request', timeouts).message).toMatch(
      /no response within 180 s/,
    );
    expect(errorFromTransport({ code: 'UND_ERR_BODY_TIMEOUT' }, 'body', timeouts).message).toMatch(
      /silent for 60 s/,
    );
  });

  it('a broken connection is network before the body and stream_cut during it', () => {
    const reset = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    expect(errorFromTransport(reset, 'request', timeouts).code).toBe('network');
    expect(errorFromTransport(reset, 'body', timeouts).code).toBe('stream_cut');
  });
});

describe('chunks', () => {
  const chunk = (choices: unknown[], usage: unknown = null) =>
    JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices, usage });

  it('the first chunk (empty content, role) yields nothing', () => {
    expect(eventsFromChunk(chunk([{ delta: { content: '', role: 'assistant' }, index: 0 }]))).toEqual([]);
  });

  it('a delta may carry reasoning and content at once; reasoning comes first', () => {
    const data = chunk([
      { delta: { content: 'b', reasoning_content: 'a' }, finish_reason: 'length', index: 0 },
    ]);
    expect(eventsFromChunk(data)).toEqual([
      { type: 'reasoning', text: 'a' },
      { type: 'content', text: 'b' },
      { type: 'finish', reason: 'length' },
    ]);
  });

  it('the usage chunk has empty choices; reasoning tokens come from completion_tokens_details', () => {
    const usage = { prompt_tokens: 8, completion_tokens: 527, total_tokens: 535 };
    const data = chunk([], { ...usage, completion_tokens_details: { reasoning_tokens: 519 } });
    expect(eventsFromChunk(data)).toEqual([
      {
        type: 'usage',
        usage: { promptTokens: 8, completionTokens: 527, reasoningTokens: 519, totalTokens: 535 },
      },
    ]);
    expect(usageFromWire({ prompt_tokens: 2, completion_tokens: 3 })).toEqual({
      promptTokens: 2,
      completionTokens: 3,
      reasoningTokens: 0,
      totalTokens: 5,
    });
  });

  it('an error object in place of a chunk throws its UpstreamError', () => {
    const data = '{"error":{"code":"api_error","message":"boom"},"trace_id":"t-9"}';
    expect(() => eventsFromChunk(data)).toThrow(
      expect.objectContaining({ code: 'api_error', traceId: 't-9' }),
    );
  });

  it('a chunk that is not JSON is a bad_response', () => {
    expect(() => eventsFromChunk('{"choices": [')).toThrow(expect.objectContaining({ code: 'bad_response' }));
  });

  it('a completion without a message is a bad_response', () => {
    const request = { model: 'm', messages: [] };
    expect(() => completionFromBody('{"choices":[]}', request)).toThrow(
      expect.objectContaining({ code: 'bad_response' }),
    );
  });

  it('the request body leaves unset options out', () => {
    expect(JSON.parse(requestBody({ model: 'm', messages: [{ role: 'user', content: 'x' }] }, true))).toEqual(
      {
        model: 'm',
        messages: [{ role: 'user', content: 'x' }],
        stream: true,
      },
    );
  });
});
