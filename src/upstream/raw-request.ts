/**
 * One HTTP request on the shared undici dispatcher, read through undici's own handler callbacks
 * rather than its `request()` API. Why: `request()` wraps every body in a Node Readable, and reading
 * that with `for await` costs a stream push, an async-iterator step and several promises per
 * network read; at a thousand concurrent streams that was a third of the bot's CPU per chunk
 * (docs/benchmarks.md). Here each read goes straight to whoever consumes the body, synchronously.
 *
 * Errors are undici's own (UND_ERR_*), so `errorFromTransport` maps them as before; an abort
 * rejects with the signal's reason.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { abortReason } from './retry.js';

/** What receives a body's reads, in order, as undici hands them over. */
export interface BodyConsumer {
  data(chunk: Buffer): void;
  end(): void;
  error(error: Error): void;
}

/** Response status and headers; the body is read through `body`. */
export interface RawResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: ResponseBody;
}

/** Reads arriving before a consumer attaches are held; past this many, the socket is paused. */
const HELD_READS_BEFORE_PAUSE = 16;

/** A response body: reads held until a consumer attaches, then handed to it one by one. */
export class ResponseBody implements AsyncIterable<Buffer> {
  private held: Buffer[] = [];
  private consumer: BodyConsumer | undefined;
  private ended = false;
  private failure: Error | undefined;
  private controller: Dispatcher.DispatchController;
  private onSettled: () => void;

  constructor(controller: Dispatcher.DispatchController, onSettled: () => void) {
    this.controller = controller;
    this.onSettled = onSettled;
  }

  /** Hands every read (held ones first), then the end or the error, to `consumer`. Once. */
  attach(consumer: BodyConsumer): void {
    this.consumer = consumer;
    const held = this.held;
    this.held = [];
    for (const chunk of held) consumer.data(chunk);
    if (this.failure) consumer.error(this.failure);
    else if (this.ended) consumer.end();
    else this.resume();
  }

  /** Stops reading the socket until `resume` (back-pressure from a slow consumer). */
  pause(): void {
    this.controller.pause();
  }

  resume(): void {
    this.controller.resume();
  }

  /** Closes the connection; the consumer hears `reason` (if it has not ended yet). */
  destroy(reason: Error = new Error('the response body was discarded')): void {
    if (this.ended || this.failure) return;
    this.controller.abort(reason);
  }

  /** Reads the body as async chunks (small bodies: errors, whole JSON answers). */
  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    const queue: Buffer[] = [];
    let finished = false;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const notify = () => {
      wake?.();
      wake = undefined;
    };
    this.attach({
      data: (chunk) => {
        queue.push(chunk);
        notify();
      },
      end: () => {
        finished = true;
        notify();
      },
      error: (error) => {
        failure = error;
        notify();
      },
    });
    try {
      for (;;) {
        const chunk = queue.shift();
        if (chunk) {
          yield chunk;
          continue;
        }
        if (failure) throw failure;
        if (finished) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      // Leaving early (a size cap, say) closes the connection, as a destroyed Readable would.
      if (!finished && !failure) this.destroy();
    }
  }

  /** @internal undici's side. */
  push(chunk: Buffer): void {
    if (this.consumer) {
      this.consumer.data(chunk);
      return;
    }
    this.held.push(chunk);
    if (this.held.length >= HELD_READS_BEFORE_PAUSE) this.pause();
  }

  /** @internal */
  finish(): void {
    this.ended = true;
    this.onSettled();
    this.consumer?.end();
  }

  /** @internal */
  fail(error: Error): void {
    if (this.ended || this.failure) return;
    this.failure = error;
    this.onSettled();
    this.consumer?.error(error);
  }
}

/**
 * Sends one request; resolves with the response once its headers arrive. Rejects with undici's
 * error (connect, headers timeout, socket) or, when `signal` aborts first, with its reason.
 */
export function dispatchRequest(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  signal?: AbortSignal,
): Promise<RawResponse> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise<RawResponse>((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let body: ResponseBody | undefined;
    let aborted: Error | undefined;
    const onAbort = (): void => {
      aborted = abortReason(signal!) as Error;
      controller?.abort(aborted);
    };
    const cleanup = (): void => signal?.removeEventListener('abort', onAbort);
    signal?.addEventListener('abort', onAbort, { once: true });
    dispatcher.dispatch(options, {
      onRequestStart(started) {
        controller = started;
        if (aborted) started.abort(aborted);
      },
      onResponseStart(started, statusCode, headers) {
        body = new ResponseBody(started, cleanup);
        resolve({ statusCode, headers, body });
      },
      onResponseData(_controller, chunk) {
        body?.push(chunk);
      },
      onResponseEnd() {
        cleanup();
        body?.finish();
      },
      onResponseError(_controller, error) {
        cleanup();
        const reason = aborted ?? error;
        if (body) body.fail(reason);
        else reject(reason);
      },
    });
  });
}
