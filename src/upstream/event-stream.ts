/**
 * A streamed completion's body → `StreamEvent`s, as a hand-written async iterator. Each network
 * read is decoded (SSE, then JSON) synchronously as undici hands it over, and its events wait in a
 * small queue; `next()` returns a settled promise while the queue has events, so the consumer's
 * `for await` costs one promise per event and no generator machinery.
 *
 * The rules the client promises (src/upstream/client.ts): the stream completes only after
 * `data: [DONE]`; a body that ends without it is `stream_cut` (a last `data: [DONE]` without its
 * blank line still counts); a 200 that is not an event stream is `bad_response`; after `[DONE]` the
 * rest of the body is read (so the socket can be reused) for at most `AFTER_DONE_GRACE_MS`.
 */
import { UpstreamError } from '../errors.js';
import { DONE, eventsFromChunk } from './chunks.js';
import type { BodyConsumer, ResponseBody } from './raw-request.js';
import { SseDecoder } from './sse.js';
import type { StreamEvent } from './types.js';

/** After `[DONE]` the body should end at once; wait this long for it so the socket can be reused. */
const AFTER_DONE_GRACE_MS = 1_000;
/** Events queued ahead of a slow consumer before the socket is paused. */
const HIGH_WATER_EVENTS = 64;

/** How the iterator reports to the client: the outcome, and errors to map before they are thrown. */
export interface EventStreamHooks {
  traceId: string | undefined;
  statusCode: number;
  contentType: string;
  /** Maps what went wrong (a transport error, an abort) to what the consumer sees. */
  settle(error: unknown): unknown;
  /** Called once: 'done' after [DONE], 'error', or 'stopped' when the consumer left early. */
  finished(outcome: 'done' | 'error' | 'stopped'): void;
  /** Called once, when the first content event is decoded. */
  firstContent(): void;
}

export class SseEventStream implements AsyncIterableIterator<StreamEvent>, BodyConsumer {
  private readonly body: ResponseBody;
  private readonly hooks: EventStreamHooks;
  private readonly decoder = new SseDecoder();
  private queue: StreamEvent[] = [];
  private head = 0;
  private paused = false;
  /** `[DONE]` seen: the answer is complete, whatever the socket does next. */
  private done = false;
  private sawEvent = false;
  private sawContent = false;
  /** The body is over (ended, failed, or given up on); no more events will come. */
  private closed = false;
  private failure: unknown;
  /** What the consumer is thrown, mapped once. */
  private thrown: { error: unknown } | undefined;
  private reported = false;
  private graceTimer: NodeJS.Timeout | undefined;
  private waiter:
    | { resolve: (result: IteratorResult<StreamEvent>) => void; reject: (error: unknown) => void }
    | undefined;

  constructor(body: ResponseBody, hooks: EventStreamHooks) {
    this.body = body;
    this.hooks = hooks;
    body.attach(this);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<StreamEvent>> {
    if (this.head < this.queue.length) return Promise.resolve(this.take());
    if (this.closed) return this.settled();
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** The consumer left the loop early: close the connection, the rest is not read. */
  return(): Promise<IteratorResult<StreamEvent>> {
    if (!this.closed) {
      this.closed = true;
      clearTimeout(this.graceTimer);
      this.body.destroy();
    }
    this.report(this.done ? 'done' : 'stopped');
    return Promise.resolve({ done: true, value: undefined });
  }

  /** @internal One network read. */
  data(chunk: Buffer): void {
    // Keep reading after [DONE] until the body ends, so the socket goes back to the pool.
    if (this.done || this.closed) return;
    try {
      for (const data of this.decoder.push(chunk)) {
        if (data === DONE) {
          this.done = true;
          this.graceTimer = setTimeout(() => this.body.destroy(), AFTER_DONE_GRACE_MS);
          break;
        }
        this.sawEvent = true;
        for (const event of eventsFromChunk(data, this.hooks.traceId)) this.enqueue(event);
      }
    } catch (error) {
      this.close(error);
      this.body.destroy();
      return;
    }
    if (this.queue.length - this.head >= HIGH_WATER_EVENTS && !this.paused) {
      this.paused = true;
      this.body.pause();
    }
    this.wake();
  }

  /** @internal The body ended. */
  end(): void {
    clearTimeout(this.graceTimer);
    if (this.closed) return;
    if (this.done) {
      this.close(undefined);
      return;
    }
    try {
      this.finishWithoutDone();
    } catch (error) {
      this.close(error);
    }
  }

  /** @internal The transport failed (or was aborted, or destroyed by us). */
  error(error: Error): void {
    clearTimeout(this.graceTimer);
    if (this.closed) return;
    // The answer was complete; what happened to the bytes after [DONE] does not matter.
    this.close(this.done ? undefined : error);
  }

  /**
   * The body ended without a `[DONE]` followed by a blank line. A last `data: [DONE]` without its
   * blank line still completes the stream; anything else means the stream was cut.
   */
  private finishWithoutDone(): void {
    const { contentType, traceId, statusCode } = this.hooks;
    if (!this.sawEvent && !contentType.includes('text/event-stream')) {
      // A proxy's HTML page with status 200, say: not a cut stream but not the API either.
      throw new UpstreamError(
        'bad_response',
        `The upstream answered ${contentType || 'no content type'} instead of an event stream`,
        { status: statusCode, traceId },
      );
    }
    for (const data of this.decoder.end()) {
      if (data === DONE) {
        this.done = true;
        this.close(undefined);
        return;
      }
      let events: StreamEvent[];
      try {
        events = eventsFromChunk(data, traceId);
      } catch (error) {
        // A half-written chunk is the mark of a cut stream, not of a malformed one.
        if (error instanceof UpstreamError && error.code === 'bad_response') break;
        throw error;
      }
      for (const event of events) this.enqueue(event);
    }
    throw new UpstreamError('stream_cut', 'The upstream stream ended before data: [DONE]', { traceId });
  }

  private enqueue(event: StreamEvent): void {
    if (event.type === 'content' && !this.sawContent) {
      this.sawContent = true;
      this.hooks.firstContent();
    }
    this.queue.push(event);
  }

  private take(): IteratorResult<StreamEvent> {
    const value = this.queue[this.head]!;
    this.head += 1;
    if (this.head === this.queue.length) {
      // Reuse the array: most reads carry one event, so it stays at length one.
      this.queue.length = 0;
      this.head = 0;
      if (this.paused) {
        this.paused = false;
        this.body.resume();
      }
    }
    return { done: false, value };
  }

  private close(failure: unknown): void {
    this.closed = true;
    this.failure = failure;
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    if (waiter === undefined) return;
    if (this.head < this.queue.length) {
      this.waiter = undefined;
      waiter.resolve(this.take());
    } else if (this.closed) {
      this.waiter = undefined;
      this.settled().then(waiter.resolve, waiter.reject);
    }
  }

  /** Every queued event was taken and the body is over: complete, or throw what went wrong. */
  private settled(): Promise<IteratorResult<StreamEvent>> {
    if (this.done && this.failure === undefined) {
      this.report('done');
      return Promise.resolve({ done: true, value: undefined });
    }
    this.thrown ??= { error: this.hooks.settle(this.failure) };
    this.report('error');
    return Promise.reject(this.thrown.error);
  }

  private report(outcome: 'done' | 'error' | 'stopped'): void {
    if (this.reported) return;
    this.reported = true;
    this.hooks.finished(outcome);
  }
}
