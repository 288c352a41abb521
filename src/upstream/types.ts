/**
 * The seam between the engine and the AceData Gemini Chat Completions API
 * (see ../../docs/upstream-api.md). The engine depends on `UpstreamClient` only, so tests and
 * benchmarks plug in the real client pointed at the loopback emulator in test/emulators/upstream.
 */

export type ContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ContentPart[];
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  reasoningEffort?: 'low' | 'medium' | 'high';
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  totalTokens: number;
}

/** What a streaming completion yields, in order: any reasoning/content deltas, then finish and usage. */
export type StreamEvent =
  | { type: 'reasoning'; text: string }
  | { type: 'content'; text: string }
  /** `finish_reason` from the upstream (`stop`, `length`, …). Some gateways never send one. */
  | { type: 'finish'; reason: string }
  | { type: 'usage'; usage: Usage };

export interface ChatCompletion {
  model: string;
  content: string;
  reasoning: string;
  finishReason: string | undefined;
  usage: Usage | undefined;
}

export interface RequestOptions {
  /** Aborting cancels the request and closes its socket at once. */
  signal?: AbortSignal;
  /** Called before each retry, so a user can be told the bot is waiting (e.g. on a 429). */
  onRetry?: (info: { attempt: number; delayMs: number; error: Error }) => void;
  /** Called once the upstream accepted the request (2xx headers), with its trace id for the turn's log. */
  onResponse?: (info: { status: number; traceId: string | undefined; headersMs: number }) => void;
}

export interface UpstreamClient {
  /**
   * Streams one completion. The iterator completes only after `data: [DONE]`; anything else
   * (a cut connection, an error object in the stream, a timeout) throws an `UpstreamError`.
   */
  stream(request: ChatRequest, options?: RequestOptions): AsyncIterable<StreamEvent>;
  /** One completion without streaming. */
  complete(request: ChatRequest, options?: RequestOptions): Promise<ChatCompletion>;
  /** Closes the shared connection pool. */
  close(): Promise<void>;
}
