/**
 * The one error family of the bot. Every failure a user or an operator must hear about is one of
 * these, carrying a stable `code` to branch on and the facts an operator needs (status, trace id).
 * They become words for the user in exactly one place: `describeError` in src/engine/describe-error.ts.
 */
export class AppError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Codes the upstream API documents, plus the ones the client raises itself. */
export type UpstreamErrorCode =
  | 'token_mismatched'
  | 'api_not_implemented'
  | 'invalid_token'
  | 'used_up'
  | 'forbidden'
  | 'no_api'
  | 'too_many_requests'
  | 'api_error'
  | 'timeout'
  | 'network'
  /** The body ended before `data: [DONE]`: a cut stream, never a silent success. */
  | 'stream_cut'
  /** The upstream answered something that is not the documented format. */
  | 'bad_response';

export class UpstreamError extends AppError {
  declare readonly code: UpstreamErrorCode;
  /** HTTP status, when the upstream answered one. */
  readonly status: number | undefined;
  /** The upstream's `trace_id`, for the operator and for support requests. */
  readonly traceId: string | undefined;
  /** From a Retry-After header, when there was one. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: UpstreamErrorCode,
    message: string,
    details: { status?: number; traceId?: string; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(code, message, { cause: details.cause });
    this.status = details.status;
    this.traceId = details.traceId;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** The history store (SQLite, Redis) could not be reached or answered an error. */
export class StoreUnavailableError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('store_unavailable', message, options);
  }
}

export type AttachmentErrorCode =
  | 'too_large'
  | 'unsupported'
  | 'download_failed'
  | 'not_a_file'
  /** The outbound-fetch policy refused the address (host, private address, redirect, credentials). */
  | 'blocked'
  /** The bytes are not what the name or type claims (an HTML page called cat.png, text that is not UTF-8). */
  | 'content_mismatch';

/** An attachment that cannot be sent upstream; the turn goes on without it and the user is told. */
export class AttachmentError extends AppError {
  declare readonly code: AttachmentErrorCode;
  readonly fileName: string;

  constructor(code: AttachmentErrorCode, fileName: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.fileName = fileName;
  }
}

export type UserInputErrorCode =
  | 'empty_prompt'
  | 'unknown_command'
  | 'model_not_allowed'
  | 'bad_argument'
  | 'not_permitted'
  /** A platform window closed before the bot could act on it (Slack's 3-second trigger_id). */
  | 'expired_action'
  /** A rating button on a message that is no kept answer (regenerated, reset, expired). */
  | 'answer_gone';

/** The user asked for something the bot will not do as asked; `message` is already user-facing. */
export class UserInputError extends AppError {
  declare readonly code: UserInputErrorCode;

  constructor(code: UserInputErrorCode, message: string) {
    super(code, message);
  }
}

export type RefusedCode = 'rate_limited' | 'blocked' | 'dms_disabled' | 'shutting_down' | 'budget_exceeded';

/**
 * Access control, a quota or shutdown refused the turn before any upstream call. `describeError`
 * words `shutting_down` itself; the other codes' `message` is already user-facing.
 */
export class RefusedError extends AppError {
  declare readonly code: RefusedCode;
  readonly retryAfterMs: number | undefined;
  /** The user was already told in this window: adapters show nothing or a reaction, not the sentence. */
  readonly quiet: boolean;

  constructor(code: RefusedCode, message: string, retryAfterMs?: number, options: { quiet?: boolean } = {}) {
    super(code, message);
    this.retryAfterMs = retryAfterMs;
    this.quiet = options.quiet ?? false;
  }
}

/**
 * A spend budget (BUDGET_*_TOKENS) is used up for this period: the turn is refused before any
 * upstream call. `describeError` words it from these facts (which limit, when it resets).
 */
export class BudgetExceededError extends RefusedError {
  readonly scope: 'user' | 'space';
  readonly period: 'day' | 'month';
  readonly limitTokens: number;
  /** Epoch ms of the next UTC day or month, when the counter starts again from 0. */
  readonly resetsAt: number;
  /** The platform of the turn (`discord`, `slack`, …): whose "space" it is, a server or a workspace. */
  readonly platform: string;

  constructor(details: {
    platform: string;
    scope: 'user' | 'space';
    period: 'day' | 'month';
    limitTokens: number;
    resetsAt: number;
    now: number;
  }) {
    super(
      'budget_exceeded',
      `the ${details.scope} ${details.period} budget of ${details.limitTokens} tokens is used up`,
      Math.max(0, details.resetsAt - details.now),
    );
    this.scope = details.scope;
    this.period = details.period;
    this.limitTokens = details.limitTokens;
    this.resetsAt = details.resetsAt;
    this.platform = details.platform;
  }
}

/**
 * A platform refused a send or an edit for rate limiting. Reply sinks throw it so the renderer can
 * wait `retryAfterMs`, widen its interval and try again with the newest text.
 */
export class PlatformRateLimitError extends AppError {
  readonly retryAfterMs: number;

  constructor(retryAfterMs: number, message = 'rate limited by the platform', options?: { cause?: unknown }) {
    super('platform_rate_limited', message, options);
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * A whole turn ran longer than TURN_TIMEOUT_MS (an endless reasoning phase, say). The engine aborts
 * the turn's controller with it, so the upstream request, the lock and the upstream slot are let go.
 */
export class TurnTimeoutError extends AppError {
  readonly limitMs: number;

  constructor(limitMs: number) {
    super('turn_timeout', `The turn ran longer than TURN_TIMEOUT_MS (${limitMs} ms) and was aborted`);
    this.limitMs = limitMs;
  }
}

/**
 * The conversation lock expired and may have passed to another holder before this turn was saved
 * (the instance froze past the lock's TTL, or lost Redis). Its answer must not be written.
 */
export class LockLostError extends AppError {
  constructor(message = 'the conversation lock was lost before the turn was saved') {
    super('lock_lost', message);
  }
}

/**
 * Shutdown past its grace period cancels every turn in flight with this reason. It is named
 * AbortError, like a signal's own reasons, so every abort-aware wait (lock, gate, request, download)
 * ends the turn as cancelled rather than failed; `describeError` words it apart from a Stop.
 */
export class InterruptedByShutdownError extends AppError {
  constructor() {
    super('interrupted_by_shutdown', 'the bot is shutting down');
    this.name = 'AbortError';
  }
}

/**
 * One event of an upstream event stream ran past its size cap without ending: a server streaming
 * garbage. The client turns it into an UpstreamError `bad_response`; on its own it reads the same.
 */
export class SseOverflowError extends AppError {
  readonly limitChars: number;

  constructor(limitChars: number) {
    super('sse_overflow', `an event-stream event exceeded ${limitChars} characters without ending`);
    this.limitChars = limitChars;
  }
}

/** Configuration is missing or malformed; `message` is the one line printed at start-up. */
export class ConfigError extends AppError {
  readonly variable: string;

  constructor(variable: string, message: string) {
    super('config_invalid', message);
    this.variable = variable;
  }
}

/** A platform's API could not be reached at start-up (DNS, refused connection, timeout). */
export class PlatformUnreachableError extends AppError {
  constructor(platform: string, host: string, networkCode: string, options?: { cause?: unknown }) {
    super('platform_unreachable', `could not reach ${platform} at ${host}: ${networkCode}`, options);
  }
}

/**
 * True for what a cancelled operation throws: an AbortSignal's DOMException, Node's AbortError
 * (code ABORT_ERR), or any error object named AbortError (another realm's, a library's). The one
 * test for "cancelled, not failed": the engine, the metering decorators and start-up checks share it.
 */
export function isAbort(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { name?: unknown; code?: unknown };
  return candidate.name === 'AbortError' || candidate.code === 'ABORT_ERR';
}
