/**
 * The API's JSON → the seam's types: one `chat.completion.chunk` → `StreamEvent`s, the
 * non-streaming `chat.completion` → `ChatCompletion`, the usage block → `Usage`. Shapes follow the
 * API (../../docs/upstream-api.md); anything else is a `bad_response`, and an
 * error object where a chunk should be becomes the `UpstreamError` it describes.
 */
import { UpstreamError } from '../errors.js';
import { errorFromPayload } from './map-error.js';
import type { ChatCompletion, ChatRequest, StreamEvent, Usage } from './types.js';

/** The data of the event that ends a stream. */
export const DONE = '[DONE]';

interface WireUsage {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
  total_tokens?: unknown;
  completion_tokens_details?: { reasoning_tokens?: unknown } | null;
}

interface WireChoice {
  index?: number;
  delta?: { content?: unknown; reasoning_content?: unknown } | null;
  message?: { content?: unknown; reasoning_content?: unknown } | null;
  finish_reason?: unknown;
}

interface WireChunk {
  model?: unknown;
  choices?: WireChoice[] | null;
  usage?: WireUsage | null;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** The API's usage block → `Usage` (reasoning tokens live in `completion_tokens_details`). */
export function usageFromWire(raw: WireUsage): Usage {
  const promptTokens = count(raw.prompt_tokens);
  const completionTokens = count(raw.completion_tokens);
  return {
    promptTokens,
    completionTokens,
    reasoningTokens: count(raw.completion_tokens_details?.reasoning_tokens),
    totalTokens: count(raw.total_tokens) || promptTokens + completionTokens,
  };
}

function parseJson(data: string, what: string, traceId: string | undefined): unknown {
  try {
    return JSON.parse(data);
  } catch (error) {
    const excerpt = data.length > 120 ? `${data.slice(0, 120)}…` : data;
    throw new UpstreamError('bad_response', `The upstream sent ${what} that is not JSON: ${excerpt}`, {
      traceId,
      cause: error,
    });
  }
}

/** The first choice, which is the only one: the bot never asks for `n > 1`. */
function firstChoice(chunk: WireChunk): WireChoice | undefined {
  if (!Array.isArray(chunk.choices)) return undefined;
  return chunk.choices.find((choice) => (choice?.index ?? 0) === 0);
}

/**
 * The events one stream chunk carries, in the order the engine wants them: reasoning, content,
 * finish, usage. The first chunk (`content: ""`) and the usage chunk (`choices: []`) are normal.
 * Throws the `UpstreamError` an error object describes.
 */
export function eventsFromChunk(data: string, traceId?: string): StreamEvent[] {
  const payload = parseJson(data, 'a stream chunk', traceId);
  const error = errorFromPayload(payload, { traceId });
  if (error) throw error;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new UpstreamError(
      'bad_response',
      `The upstream sent a stream chunk that is not an object: ${data}`,
      {
        traceId,
      },
    );
  }
  const chunk = payload as WireChunk;
  const events: StreamEvent[] = [];
  const choice = firstChoice(chunk);
  // Some gateways put `message` instead of `delta` into chunks; read both.
  const delta = choice?.delta ?? choice?.message;
  if (delta) {
    if (typeof delta.reasoning_content === 'string' && delta.reasoning_content.length > 0) {
      events.push({ type: 'reasoning', text: delta.reasoning_content });
    }
    if (typeof delta.content === 'string' && delta.content.length > 0) {
      events.push({ type: 'content', text: delta.content });
    }
  }
  if (typeof choice?.finish_reason === 'string' && choice.finish_reason.length > 0) {
    events.push({ type: 'finish', reason: choice.finish_reason });
  }
  if (chunk.usage && typeof chunk.usage === 'object') {
    events.push({ type: 'usage', usage: usageFromWire(chunk.usage) });
  }
  return events;
}

/** The non-streaming answer → `ChatCompletion`. Throws on an error body or a missing message. */
export function completionFromBody(bodyText: string, request: ChatRequest, traceId?: string): ChatCompletion {
  const payload = parseJson(bodyText, 'a completion', traceId);
  const error = errorFromPayload(payload, { traceId });
  if (error) throw error;
  const body = (payload ?? {}) as WireChunk;
  const choice = firstChoice(body);
  const message = choice?.message ?? choice?.delta;
  if (!message) {
    throw new UpstreamError('bad_response', 'The upstream sent a completion without a message', { traceId });
  }
  return {
    model: typeof body.model === 'string' ? body.model : request.model,
    content: typeof message.content === 'string' ? message.content : '',
    reasoning: typeof message.reasoning_content === 'string' ? message.reasoning_content : '',
    finishReason: typeof choice?.finish_reason === 'string' ? choice.finish_reason : undefined,
    usage: body.usage && typeof body.usage === 'object' ? usageFromWire(body.usage) : undefined,
  };
}

/** A whole completion as the events a stream would have yielded (a gateway that ignored `stream`). */
export function eventsFromCompletion(completion: ChatCompletion): StreamEvent[] {
  const events: StreamEvent[] = [];
  if (completion.reasoning) events.push({ type: 'reasoning', text: completion.reasoning });
  if (completion.content) events.push({ type: 'content', text: completion.content });
  if (completion.finishReason) events.push({ type: 'finish', reason: completion.finishReason });
  if (completion.usage) events.push({ type: 'usage', usage: completion.usage });
  return events;
}

/** The request body: camelCase options mapped to the API's snake_case, unset ones left out. */
export function requestBody(request: ChatRequest, stream: boolean): string {
  const body: Record<string, unknown> = { model: request.model, messages: request.messages, stream };
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
  if (request.reasoningEffort !== undefined) body.reasoning_effort = request.reasoningEffort;
  return JSON.stringify(body);
}
