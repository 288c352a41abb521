/**
 * An `UpstreamClient` decorator that times each stream: to its first event (the first byte of
 * the answer that means anything) and to its first content token, and counts outcomes. It sits
 * around the real client, after the engine acquired an upstream slot, so the times are the model
 * service's alone: lock and queue waits are in `gcb_reply_duration_seconds` instead.
 */
import { isAbort, UpstreamError } from '../errors.js';
import type { ChatRequest, RequestOptions, StreamEvent, UpstreamClient } from '../upstream/types.js';
import type { BotMetrics } from './metrics.js';

/** Wraps `client` so every `stream()` feeds `metrics`; `complete()` and `close()` pass through. */
export function meterUpstream(client: UpstreamClient, metrics: BotMetrics): UpstreamClient {
  return {
    stream: (request, options) => meteredStream(client, metrics, request, options),
    complete: (request, options) => client.complete(request, options),
    close: () => client.close(),
  };
}

/**
 * A plain iterator rather than an async generator: a generator step per chunk showed in the
 * 1,000-stream profile (docs/benchmarks.md); this costs one `then` per event. The outcome is
 * counted once: at the end, at the first error, or when the consumer leaves early ('ok', as a
 * generator's `finally` would have it).
 */
function meteredStream(
  client: UpstreamClient,
  metrics: BotMetrics,
  request: ChatRequest,
  options: RequestOptions | undefined,
): AsyncIterableIterator<StreamEvent> {
  const inner = client.stream(request, options)[Symbol.asyncIterator]();
  // Like the client's own request, the clock starts at the first `next()`, not at `stream()`.
  let startedAt: number | undefined;
  let sawEvent = false;
  let sawContent = false;
  let counted = false;
  const count = (outcome: string): void => {
    if (counted) return;
    counted = true;
    metrics.upstreamRequests.inc({ outcome });
  };
  const observe = (result: IteratorResult<StreamEvent>): IteratorResult<StreamEvent> => {
    if (result.done) {
      count('ok');
      return result;
    }
    const event = result.value;
    if (!sawEvent) {
      sawEvent = true;
      metrics.upstreamFirstByteSeconds.observe((performance.now() - startedAt!) / 1000);
    }
    if (!sawContent && event.type === 'content' && event.text.length > 0) {
      sawContent = true;
      metrics.upstreamFirstContentSeconds.observe((performance.now() - startedAt!) / 1000);
    }
    return result;
  };
  const fail = (error: unknown): never => {
    count(outcomeOf(error));
    throw error;
  };
  const iterator: AsyncIterableIterator<StreamEvent> = {
    [Symbol.asyncIterator]: () => iterator,
    next: () => {
      startedAt ??= performance.now();
      return inner.next().then(observe, fail);
    },
    return: async () => {
      count('ok');
      return (await inner.return?.()) ?? { done: true, value: undefined };
    },
  };
  return iterator;
}

function outcomeOf(error: unknown): string {
  if (error instanceof UpstreamError) return error.code;
  if (isAbort(error)) return 'aborted';
  return 'error';
}
