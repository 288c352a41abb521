/**
 * Model fallback (MODEL_FALLBACKS): when the chosen model fails before its first stream event
 * with a 429 or a 5xx (the client has already spent its retries), the turn is tried once more on
 * that model's fallback. Once anything was streamed, a failure is the turn's: a second model
 * would repeat or contradict what the user already saw.
 */
import { UpstreamError } from '../errors.js';
import type { ChatRequest, RequestOptions, StreamEvent, UpstreamClient } from '../upstream/types.js';

/** Whether `error` says the model is overloaded or down, not that the request is wrong. */
export function warrantsFallback(error: unknown): error is UpstreamError {
  if (!(error instanceof UpstreamError) || error.status === undefined) return false;
  return error.status === 429 || (error.status >= 500 && error.status <= 599);
}

/**
 * Streams `request`, or its fallback model's answer (see the file comment). `onFallback` is told
 * before the second request, with the failure that caused it, so the caller can say which model
 * answered and count the usage under it.
 *
 * Written as a plain iterator rather than an async generator: once the first event has arrived,
 * `next()` is the upstream stream's own, so an event costs no generator step and no extra promise
 * (a generator's `yield` per chunk showed in the 1,000-stream profile, docs/benchmarks.md).
 */
export function streamWithFallback(
  upstream: UpstreamClient,
  request: ChatRequest,
  options: RequestOptions,
  fallbacks: Readonly<Record<string, string>>,
  onFallback: (to: string, error: UpstreamError) => void,
): AsyncIterableIterator<StreamEvent> {
  let inner = upstream.stream(request, options)[Symbol.asyncIterator]();
  let streamed = false;
  const first = async (): Promise<IteratorResult<StreamEvent>> => {
    try {
      const result = await inner.next();
      streamed = true;
      return result;
    } catch (error) {
      const fallback = fallbacks[request.model];
      if (fallback === undefined || options.signal?.aborted || !warrantsFallback(error)) throw error;
      onFallback(fallback, error);
      inner = upstream.stream({ ...request, model: fallback }, options)[Symbol.asyncIterator]();
      streamed = true;
      return inner.next();
    }
  };
  const iterator: AsyncIterableIterator<StreamEvent> = {
    [Symbol.asyncIterator]: () => iterator,
    next: () => (streamed ? inner.next() : first()),
    return: async () => (await inner.return?.()) ?? { done: true, value: undefined },
  };
  return iterator;
}
