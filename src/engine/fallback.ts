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
 */
export async function* streamWithFallback(
  upstream: UpstreamClient,
  request: ChatRequest,
  options: RequestOptions,
  fallbacks: Readonly<Record<string, string>>,
  onFallback: (to: string, error: UpstreamError) => void,
): AsyncGenerator<StreamEvent> {
  let streamed = false;
  let fallback: string | undefined;
  try {
    for await (const event of upstream.stream(request, options)) {
      streamed = true;
      yield event;
    }
    return;
  } catch (error) {
    fallback = fallbacks[request.model];
    if (streamed || fallback === undefined || options.signal?.aborted || !warrantsFallback(error))
      throw error;
    onFallback(fallback, error);
  }
  yield* upstream.stream({ ...request, model: fallback }, options);
}
