/**
 * Response bodies read whole (a non-streaming answer, a gateway's JSON reply to a stream request,
 * an error body) are read only up to a byte cap: a 50 MB body from the upstream is not read to
 * its end, the socket is closed, and the caller gets one clear UpstreamError.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UpstreamError } from '../../src/errors.js';
import { createUpstreamClient, MAX_RESPONSE_BODY_BYTES } from '../../src/upstream/client.js';
import type { ChatRequest, UpstreamClient } from '../../src/upstream/types.js';
import { startUpstreamEmulator, type UpstreamEmulator } from '../emulators/upstream/server.js';

const FIFTY_MB = 50 * 1024 * 1024;
let upstream: UpstreamEmulator;
let client: UpstreamClient;

const ask: ChatRequest = { model: 'gemini-2.5-pro', messages: [{ role: 'user', content: 'hello' }] };

beforeAll(async () => {
  upstream = await startUpstreamEmulator();
  client = createUpstreamClient({ baseUrl: upstream.url, apiToken: upstream.token, maxRetries: 0 });
});
afterAll(async () => {
  await client.close();
  await upstream.close();
});
beforeEach(() => upstream.reset());

/** The request's body was cut off by the client, far short of its 50 MB. */
function expectCutShort(): void {
  const sent = upstream.requests[0]!;
  expect(sent.bodyFinished).toBe(false);
  expect(sent.bodyBytesSent!).toBeLessThan(FIFTY_MB / 2);
}

describe('response body size caps', () => {
  it('a 50 MB non-streaming answer is read only up to MAX_RESPONSE_BODY_BYTES', async () => {
    expect(MAX_RESPONSE_BODY_BYTES).toBeLessThan(FIFTY_MB / 4);
    upstream.enqueue({ fault: { kind: 'huge_body', status: 200, bytes: FIFTY_MB } });
    const error = await client.complete(ask).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ code: 'bad_response' });
    expect((error as Error).message).toMatch(/larger than 8 MiB/);
    expectCutShort();
  }, 30_000);

  it('a 50 MB JSON answer to a stream request is read only up to the cap', async () => {
    upstream.enqueue({ fault: { kind: 'huge_body', status: 200, bytes: FIFTY_MB } });
    const error = await (async () => {
      for await (const _event of client.stream(ask)) {
        // nothing arrives
      }
    })().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'bad_response' });
    expectCutShort();
  }, 30_000);

  it('a 50 MB error body is read only up to the error-body cap and still becomes the status error', async () => {
    upstream.enqueue({ fault: { kind: 'huge_body', status: 500, bytes: FIFTY_MB } });
    const error = await client.complete(ask).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'api_error', status: 500 });
    expect((error as Error).message.length).toBeLessThan(1_000);
    expectCutShort();
  }, 30_000);
});
