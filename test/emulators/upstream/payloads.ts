/**
 * The JSON shapes the AceData Gemini API answers with, copied from the API's own page
 * (../../../docs/upstream-api.md): stream chunks, the usage chunk, the non-streaming
 * completion and the error body. Key order and `null` fields follow the seed's SSE example so the
 * emulator's bytes look like the real thing.
 */

/** Token counts as the emulator reports them (snake_case, as on the wire). */
export interface WireUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  reasoning_tokens?: number;
}

/** The fields every chunk of one response shares. */
export interface ChunkIdentity {
  id: string;
  created: number;
  model: string;
}

/** A fresh identity in the seed's style (`chatcmpl-<timestamp><random>`). */
export function newChunkIdentity(model: string): ChunkIdentity {
  const random = Math.random().toString(36).slice(2, 12);
  return {
    id: `chatcmpl-${Date.now()}${random}`,
    created: Math.floor(Date.now() / 1000),
    model,
  };
}

/** One `chat.completion.chunk` with a single choice. */
export function deltaChunk(
  identity: ChunkIdentity,
  delta: Record<string, string>,
  finishReason: string | null = null,
): object {
  return {
    id: identity.id,
    object: 'chat.completion.chunk',
    created: identity.created,
    model: identity.model,
    system_fingerprint: null,
    choices: [{ delta, logprobs: null, finish_reason: finishReason, index: 0 }],
    usage: null,
  };
}

/** The last chunk before `[DONE]`: empty `choices`, the usage block (sent even without stream_options). */
export function usageChunk(identity: ChunkIdentity, usage: WireUsage): object {
  return {
    id: identity.id,
    object: 'chat.completion.chunk',
    created: identity.created,
    model: identity.model,
    system_fingerprint: '',
    choices: [],
    usage: fullUsage(usage),
  };
}

/** The non-streaming answer (`stream: false`). */
export function completionBody(
  identity: ChunkIdentity,
  content: string,
  reasoning: string,
  finishReason: string | null,
  usage: WireUsage,
): object {
  return {
    id: identity.id,
    model: identity.model,
    object: 'chat.completion',
    created: identity.created,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, reasoning_content: reasoning },
        finish_reason: finishReason,
      },
    ],
    usage: fullUsage(usage),
  };
}

/** The documented error body: `{"success": false, "error": {code, message}, "trace_id"}`. */
export function errorBody(code: string, message: string, traceId: string): object {
  return { success: false, error: { code, message }, trace_id: traceId };
}

function fullUsage(usage: WireUsage): object {
  return {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    total_tokens: usage.total_tokens,
    prompt_tokens_details: {
      cached_tokens: 0,
      text_tokens: usage.prompt_tokens,
      audio_tokens: 0,
      image_tokens: 0,
    },
    completion_tokens_details: {
      text_tokens: 0,
      audio_tokens: 0,
      reasoning_tokens: usage.reasoning_tokens ?? 0,
    },
    input_tokens: 0,
    output_tokens: 0,
    input_tokens_details: null,
    claude_cache_creation_5_m_tokens: 0,
    claude_cache_creation_1_h_tokens: 0,
  };
}

/** Roughly four characters per token, like the tokenizers of the Gemini family on English text. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** The text of a message's content: a string, or the text parts of a content array joined. */
export function textOfContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((part): part is { type: 'text'; text: string } => part?.type === 'text')
    .map((part) => String(part.text ?? ''))
    .join(' ');
}

/** How many `image_url` parts (images or videos) a content array carries. */
export function mediaCountOf(content: unknown): number {
  if (!Array.isArray(content)) return 0;
  return content.filter((part) => part?.type === 'image_url').length;
}
