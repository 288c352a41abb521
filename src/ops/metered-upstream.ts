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

async function* meteredStream(
  client: UpstreamClient,
  metrics: BotMetrics,
  request: ChatRequest,
  options: RequestOptions | undefined,
): AsyncGenerator<StreamEvent> {
  const startedAt = performance.now();
  let sawEvent = false;
  let sawContent = false;
  let outcome = 'ok';
  try {
    for await (const event of client.stream(request, options)) {
      if (!sawEvent) {
        sawEvent = true;
        metrics.upstreamFirstByteSeconds.observe((performance.now() - startedAt) / 1000);
      }
      if (event.type === 'content' && !sawContent && event.text.length > 0) {
        sawContent = true;
        metrics.upstreamFirstContentSeconds.observe((performance.now() - startedAt) / 1000);
      }
      yield event;
    }
  } catch (error) {
    outcome = outcomeOf(error);
    throw error;
  } finally {
    metrics.upstreamRequests.inc({ outcome });
  }
}

function outcomeOf(error: unknown): string {
  if (error instanceof UpstreamError) return error.code;
  if (isAbort(error)) return 'aborted';
  return 'error';
}
