/**
 * The AceData Gemini Chat Completions client (../../docs/upstream-api.md): one shared undici
 * Agent with keep-alive for every conversation, SSE decoding, retries before the first body byte,
 * three timeouts (connect, first byte, silence between chunks), and cancellation by AbortSignal.
 *
 * Guarantees the engine relies on:
 * - a stream completes only after `data: [DONE]`; a body that ends without it throws `stream_cut`;
 * - an abort throws the signal's own reason (a DOMException named 'AbortError' by default) and
 *   closes the socket at once; a consumer that breaks out of the loop closes it too;
 * - nothing is retried once the body of a successful response has started.
 */
import { Agent } from 'undici';
import type { Config } from '../config.js';
import { UpstreamError } from '../errors.js';
import { type Logger, silentLogger } from '../log.js';
import { completionFromBody, eventsFromCompletion, requestBody } from './chunks.js';
import { SseEventStream } from './event-stream.js';
import { errorFromResponse, errorFromTransport, type TimeoutFacts, traceIdFromHeaders } from './map-error.js';
import { dispatchRequest, type RawResponse } from './raw-request.js';
import { abortReason, defaultRetryPolicy, type RetryPolicy, withRetries } from './retry.js';
import { SseOverflowError } from './sse.js';
import type { ChatCompletion, ChatRequest, RequestOptions, StreamEvent, UpstreamClient } from './types.js';

/** How to reach the API and how patient to be. Timeouts of 0 disable that timeout. */
export interface UpstreamClientOptions {
  /** e.g. https://api.acedata.cloud (a path prefix is kept). */
  baseUrl: string;
  /** Sent as `authorization: Bearer …`; never logged. */
  apiToken: string;
  /** TCP (and TLS) connect timeout. Default 10 s. */
  connectTimeoutMs?: number;
  /** From the request to the response headers. Generous: reasoning models think first. Default 180 s. */
  firstByteTimeoutMs?: number;
  /** The longest silence between two body chunks. Default 60 s. */
  idleTimeoutMs?: number;
  /** Retries before the first body byte, on 429, 408, 5xx and connection failures. Default 2. */
  maxRetries?: number;
  /** First backoff delay, doubling up to 16×. Default 500 ms; tests use small values. */
  retryBaseDelayMs?: number;
  logger?: Logger;
  userAgent?: string;
  /** Connections the shared pool may open (the API allows 20 concurrent chats per token). Default 256. */
  maxConnections?: number;
}

/** The client options a `Config` describes. */
export function upstreamOptionsFromConfig(config: Config, logger?: Logger): UpstreamClientOptions {
  return {
    baseUrl: config.upstream.baseUrl,
    apiToken: config.upstream.apiToken,
    connectTimeoutMs: config.upstream.connectTimeoutMs,
    firstByteTimeoutMs: config.upstream.firstByteTimeoutMs,
    idleTimeoutMs: config.upstream.idleTimeoutMs,
    maxRetries: config.upstream.maxRetries,
    logger,
  };
}

/** Builds the client; call `close()` at shutdown to release the connection pool. */
export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  return new AceDataUpstreamClient(options);
}

export const COMPLETIONS_PATH = '/gemini/chat/completions';
/**
 * A body read whole (a non-streaming completion, a gateway's JSON answer to a stream request) is
 * refused past this size: a 200,000-character answer with its reasoning fits many times over, a
 * runaway body is not held in memory.
 */
export const MAX_RESPONSE_BODY_BYTES = 8 * 1024 * 1024;
/** Error bodies are short; a gateway's HTML page is cut here rather than read whole. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

interface OpenedResponse {
  response: RawResponse;
  traceId: string | undefined;
  attempts: number;
  headersMs: number;
}

class AceDataUpstreamClient implements UpstreamClient {
  private readonly agent: Agent;
  private readonly origin: string;
  private readonly path: string;
  private readonly timeouts: TimeoutFacts;
  private readonly retryPolicy: RetryPolicy;
  private readonly logger: Logger;
  private readonly headers: Record<string, string>;

  constructor(options: UpstreamClientOptions) {
    const url = new URL(`${options.baseUrl.replace(/\/+$/, '')}${COMPLETIONS_PATH}`);
    this.origin = url.origin;
    this.path = `${url.pathname}${url.search}`;
    this.timeouts = {
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      firstByteTimeoutMs: options.firstByteTimeoutMs ?? 180_000,
      idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
    };
    this.retryPolicy = defaultRetryPolicy(options.maxRetries ?? 2, options.retryBaseDelayMs ?? 500);
    this.logger = options.logger ?? silentLogger;
    this.headers = {
      authorization: `Bearer ${options.apiToken}`,
      'content-type': 'application/json',
      'user-agent': options.userAgent ?? 'gemini-chat-bot',
    };
    // One pool for all conversations: keep-alive saves a TLS handshake per turn. Pipelining 1,
    // because a long stream would hold up every request queued behind it on the same socket.
    this.agent = new Agent({
      connections: options.maxConnections ?? 256,
      pipelining: 1,
      connect: { timeout: this.timeouts.connectTimeoutMs },
      headersTimeout: this.timeouts.firstByteTimeoutMs,
      bodyTimeout: this.timeouts.idleTimeoutMs,
    });
  }

  stream(request: ChatRequest, options: RequestOptions = {}): AsyncIterable<StreamEvent> {
    return this.streamEvents(request, options);
  }

  async complete(request: ChatRequest, options: RequestOptions = {}): Promise<ChatCompletion> {
    const startedAt = performance.now();
    const log: RequestLog = { model: request.model, stream: false };
    try {
      const opened = await this.open(request, false, options, log);
      const text = await this.readWholeBody(opened, options.signal);
      const completion = completionFromBody(text, request, opened.traceId);
      log.outcome = 'done';
      return completion;
    } catch (error) {
      throw this.settle(error, log, options.signal);
    } finally {
      this.logRequest(log, startedAt);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /**
   * Opens the request on the first `next()`, then hands over to `SseEventStream` (or, for a
   * gateway that answered plain JSON, to the events of that one completion).
   */
  private streamEvents(request: ChatRequest, options: RequestOptions): AsyncIterableIterator<StreamEvent> {
    const startedAt = performance.now();
    const log: RequestLog = { model: request.model, stream: true, outcome: 'stopped' };
    let inner: AsyncIterator<StreamEvent> | undefined;
    let opening: Promise<AsyncIterator<StreamEvent>> | undefined;
    const open = async (): Promise<AsyncIterator<StreamEvent>> => {
      try {
        const opened = await this.open(request, true, options, log);
        const { headers, statusCode } = opened.response;
        const contentType = String(headers['content-type'] ?? '');
        // A gateway that ignored `stream: true` (or reports an error with 200) answers plain JSON.
        if (contentType.includes('application/json')) {
          const text = await this.readWholeBody(opened, options.signal);
          const events = eventsFromCompletion(completionFromBody(text, request, opened.traceId));
          log.outcome = 'done';
          this.logRequest(log, startedAt);
          return iteratorOver(events);
        }
        return new SseEventStream(opened.response.body, {
          traceId: opened.traceId,
          statusCode,
          contentType,
          settle: (error) => this.settle(error, log, options.signal),
          finished: (outcome) => {
            if (outcome === 'done') log.outcome = 'done';
            this.logRequest(log, startedAt);
          },
          firstContent: () => {
            log.firstContentMs = Math.round(performance.now() - startedAt);
          },
        });
      } catch (error) {
        const mapped = this.settle(error, log, options.signal);
        this.logRequest(log, startedAt);
        throw mapped;
      }
    };
    const iterator: AsyncIterableIterator<StreamEvent> = {
      [Symbol.asyncIterator]: () => iterator,
      next: () => {
        if (inner) return Promise.resolve(inner.next());
        opening ??= open().then((opened) => {
          inner = opened;
          return opened;
        });
        return opening.then((opened) => opened.next());
      },
      return: async () => {
        await inner?.return?.();
        return { done: true, value: undefined };
      },
    };
    return iterator;
  }

  /** Sends the request until a 2xx arrives, retrying what may be retried. */
  private open(
    request: ChatRequest,
    stream: boolean,
    options: RequestOptions,
    log: RequestLog,
  ): Promise<OpenedResponse> {
    const body = requestBody(request, stream);
    const headers = { ...this.headers, accept: stream ? 'text/event-stream' : 'application/json' };
    const startedAt = performance.now();
    return withRetries(
      async (attempt) => {
        log.attempts = attempt;
        let response: RawResponse;
        try {
          response = await dispatchRequest(
            this.agent,
            { origin: this.origin, path: this.path, method: 'POST', headers, body },
            options.signal,
          );
        } catch (error) {
          if (options.signal?.aborted) throw abortReason(options.signal);
          throw errorFromTransport(error, 'request', this.timeouts);
        }
        const traceId = traceIdFromHeaders(response.headers);
        log.status = response.statusCode;
        log.traceId = traceId;
        const opened = { response, traceId, attempts: attempt, headersMs: performance.now() - startedAt };
        log.headersMs = Math.round(opened.headersMs);
        if (response.statusCode >= 200 && response.statusCode < 300) {
          options.onResponse?.({ status: response.statusCode, traceId, headersMs: opened.headersMs });
          return opened;
        }
        const { text } = await this.readBody(opened, options.signal, MAX_ERROR_BODY_BYTES).catch(() => ({
          text: '',
        }));
        const error = errorFromResponse(response.statusCode, response.headers, text);
        log.traceId = error.traceId;
        throw error;
      },
      this.retryPolicy,
      {
        signal: options.signal,
        onRetry: (info) => {
          const error = info.error as UpstreamError;
          this.logger.info(
            {
              attempt: info.attempt,
              delayMs: info.delayMs,
              code: error.code,
              status: error.status,
              traceId: error.traceId,
            },
            'upstream retry',
          );
          options.onRetry?.(info);
        },
      },
    );
  }

  /** A successful body read whole: past MAX_RESPONSE_BODY_BYTES it is refused, not parsed. */
  private async readWholeBody(opened: OpenedResponse, signal: AbortSignal | undefined): Promise<string> {
    const { text, truncated } = await this.readBody(opened, signal, MAX_RESPONSE_BODY_BYTES);
    if (truncated) {
      throw new UpstreamError(
        'bad_response',
        `The upstream response body is larger than ${MAX_RESPONSE_BODY_BYTES / 1024 / 1024} MiB; it was not read`,
        { status: opened.response.statusCode, traceId: opened.traceId },
      );
    }
    return text;
  }

  /**
   * Reads a body as text, at most `limitBytes` of it (the rest is never read: the socket is closed);
   * transport failures become UpstreamErrors.
   */
  private async readBody(
    opened: OpenedResponse,
    signal: AbortSignal | undefined,
    limitBytes: number,
  ): Promise<{ text: string; truncated: boolean }> {
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    try {
      for await (const bytes of opened.response.body) {
        chunks.push(bytes.subarray(0, limitBytes - size));
        size += bytes.length;
        if (size > limitBytes) {
          truncated = true;
          break; // leaving the loop destroys the rest of the body
        }
      }
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal);
      throw errorFromTransport(error, 'body', this.timeouts, opened.traceId);
    }
    return { text: Buffer.concat(chunks).toString('utf8'), truncated };
  }

  /** The error to throw: the abort reason when aborted, else an UpstreamError; notes the outcome. */
  private settle(error: unknown, log: RequestLog, signal: AbortSignal | undefined): unknown {
    if (signal?.aborted) {
      log.outcome = 'aborted';
      return abortReason(signal);
    }
    const mapped =
      error instanceof SseOverflowError
        ? new UpstreamError('bad_response', `The upstream stream is malformed: ${error.message}`, {
            traceId: log.traceId,
            cause: error,
          })
        : errorFromTransport(error, 'body', this.timeouts, log.traceId);
    log.outcome = 'error';
    log.code = mapped.code;
    log.traceId = mapped.traceId ?? log.traceId;
    return mapped;
  }

  private logRequest(log: RequestLog, startedAt: number): void {
    // Model, status, trace id and timings only: never the token, never message text.
    this.logger.debug({ ...log, totalMs: Math.round(performance.now() - startedAt) }, 'upstream request');
  }
}

/** The events of an answer read whole, one by one. */
function iteratorOver(events: StreamEvent[]): AsyncIterator<StreamEvent> {
  let index = 0;
  return {
    next: async () =>
      index < events.length ? { done: false, value: events[index++]! } : { done: true, value: undefined },
  };
}

/** The one debug line per request. */
interface RequestLog {
  model: string;
  stream: boolean;
  attempts?: number;
  status?: number;
  traceId?: string | undefined;
  headersMs?: number;
  firstContentMs?: number;
  outcome?: 'done' | 'error' | 'aborted' | 'stopped';
  code?: string;
}
