/**
 * What the upstream emulator is told to do for one request: the deltas to stream, their pacing, and
 * an optional fault. Tests queue scripts (`enqueue`) or install a responder; with neither, the
 * default responder echoes the prompt and obeys the magic words listed in default-responder.ts.
 */

/** One scripted answer. Every field is optional; an empty script is a short successful stream. */
export interface UpstreamScript {
  /** `reasoning_content` deltas, sent before content. */
  reasoning?: string[];
  /** `content` deltas. */
  content?: string[];
  /** Pause between chunks (default 0). */
  chunkDelayMs?: number;
  /** Pause before the response headers (drives first-byte timeouts). */
  firstByteDelayMs?: number;
  /** Default `'stop'`; `null` = no finish chunk at all (some gateways send none). */
  finishReason?: string | null;
  /** Overrides the computed usage block. */
  usage?: {
    prompt_tokens: number;
    completion_tokens: number;
    total_tokens: number;
    reasoning_tokens?: number;
  };
  /**
   * A failure to play. `afterChunks` counts `data:` events already written, the first
   * (`role: assistant`) chunk included.
   */
  fault?:
    | {
        kind: 'http';
        status: number;
        code: string;
        message?: string;
        retryAfterSeconds?: number;
        traceId?: string;
      }
    /** Any status (200 too) with a body that is not the API's JSON, e.g. a proxy's HTML page. */
    | { kind: 'non_json_error'; status: number; body: string }
    /**
     * A JSON body of `bytes` bytes with this status (a runaway gateway, a huge error page), written
     * in 64 KiB pieces under back-pressure; `RecordedRequest.bodyBytesSent` counts what went out.
     */
    | { kind: 'huge_body'; status: number; bytes: number }
    /** Destroy the socket mid-stream. */
    | { kind: 'cut'; afterChunks: number }
    /** Stop sending, keep the socket open (until the client gives up or the emulator closes). */
    | { kind: 'hang'; afterChunks: number }
    /** Write an error object as a `data:` event, then end the body without `[DONE]`. */
    | { kind: 'stream_error'; afterChunks: number; code: string; message: string }
    /** End the body cleanly but without `data: [DONE]`. */
    | { kind: 'no_done' };
  /** Write every chunk in tiny pieces that split multi-byte characters. */
  splitUtf8?: boolean;
  /** Interleave `: keep-alive` comment lines. */
  keepAliveComments?: boolean;
  /** Answer plain JSON even to `stream: true`, like a gateway that ignores the flag. */
  ignoreStream?: boolean;
}

/** One request as the emulator received it. */
export interface RecordedRequest {
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary fields of the JSON they sent.
  body: any;
  /** `Date.now()` when the request body had been read. */
  receivedAt: number;
  /** The trace id this request's answer carried (`x-trace-id`, and `trace_id` in error bodies). */
  traceId?: string;
  /** The client's TCP port: equal ports on consecutive requests mean a reused keep-alive socket. */
  remotePort?: number;
  /** For `huge_body`: bytes of the body accepted by the socket so far, and whether all were. */
  bodyBytesSent?: number;
  bodyFinished?: boolean;
}
