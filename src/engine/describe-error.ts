/**
 * The one place where any error becomes the sentence a chat user reads. Adapters and the renderer
 * never word errors themselves: they call `describeError`. Operators get the details (status,
 * code, trace id, cause) from the log line written where the error was caught.
 */
import {
  AppError,
  AttachmentError,
  BudgetExceededError,
  ConfigError,
  InterruptedByShutdownError,
  isAbort,
  LockLostError,
  PlatformRateLimitError,
  RefusedError,
  SseOverflowError,
  StoreUnavailableError,
  TurnTimeoutError,
  UpstreamError,
  UserInputError,
} from '../errors.js';
import { exceedsRetryAfterCap } from '../retry-after.js';
import { resetMoment, spaceName } from './budgets.js';

const UPSTREAM_SENTENCES: Record<UpstreamError['code'], string> = {
  invalid_token:
    "The model service refused this bot's API token. An operator needs to check ACEDATA_API_TOKEN.",
  token_mismatched:
    'The model service rejected the request (token_mismatched). An operator needs to check the bot.',
  api_not_implemented:
    'The model service does not support this request; the model or a setting may not be available.',
  no_api: 'The model service does not know this endpoint. An operator needs to check ACEDATA_BASE_URL.',
  used_up: "The bot's AceData credit is used up. An operator needs to top it up.",
  forbidden: 'The model service does not allow this request for this bot.',
  too_many_requests: 'The model service is rate limiting the bot right now. Please try again in a minute.',
  api_error: 'The model service failed to answer.',
  timeout: 'The model took too long to answer.',
  network: 'The bot could not reach the model service.',
  stream_cut: 'The connection to the model service was cut off mid-answer.',
  bad_response: 'The model service sent an answer the bot could not read.',
};

/** A short, readable sentence for `error`, with the upstream trace id when there is one. */
export function describeError(error: unknown): string {
  if (error instanceof UpstreamError) {
    const sentence = UPSTREAM_SENTENCES[error.code] ?? UPSTREAM_SENTENCES.api_error;
    return error.traceId ? `${sentence} (trace id ${error.traceId})` : sentence;
  }
  if (error instanceof SseOverflowError) return UPSTREAM_SENTENCES.bad_response;
  if (error instanceof RefusedError && error.code === 'shutting_down') {
    return 'The bot is restarting. Please send your message again in a minute.';
  }
  // Lower case: the renderer shows it after "⚠️ Interrupted: ". Before isAbort, which says "Stopped."
  if (error instanceof InterruptedByShutdownError) {
    return 'the bot restarted before this answer was finished. Please ask again.';
  }
  if (error instanceof StoreUnavailableError) {
    return 'Storage is unavailable right now, so the bot cannot keep this conversation. Please try again shortly.';
  }
  if (error instanceof LockLostError) {
    return 'This conversation was taken over by another answer before this one was finished. Please ask again.';
  }
  if (error instanceof AttachmentError) {
    const why: Record<AttachmentError['code'], string> = {
      too_large: 'is too large to send to the model',
      unsupported: 'is a file type the model cannot read',
      download_failed: 'could not be downloaded',
      not_a_file: 'is not a file',
      blocked: 'was skipped: it is not stored where the bot may download files from',
      content_mismatch: 'was skipped: its content is not the image, video or text its name says',
    };
    return `${error.fileName} ${why[error.code]}.`;
  }
  if (error instanceof BudgetExceededError) return budgetSentence(error);
  if (error instanceof UserInputError || error instanceof RefusedError || error instanceof ConfigError) {
    return error.message;
  }
  if (error instanceof PlatformRateLimitError && exceedsRetryAfterCap(error.retryAfterMs)) {
    return 'The chat platform is rate limiting the bot for a long while, so this reply stopped updating and could not be finished here.';
  }
  if (error instanceof PlatformRateLimitError) {
    return 'The chat platform is rate limiting the bot. Please try again shortly.';
  }
  if (error instanceof TurnTimeoutError) {
    return `The answer took longer than ${spokenDuration(error.limitMs)} and was stopped.`;
  }
  if (isAbort(error)) return 'Stopped.';
  if (error instanceof AppError) return `Something went wrong (${error.code}).`;
  return 'Something went wrong inside the bot. The operator can find the details in the log.';
}

/** "You have used your daily limit of 10,000 tokens; it resets at 00:00 UTC on 2 December 2026." */
function budgetSentence(error: BudgetExceededError): string {
  const who =
    error.scope === 'user' ? 'You have used your' : `This ${spaceName(error.platform)} has used its`;
  const period = error.period === 'day' ? 'daily' : 'monthly';
  return `${who} ${period} limit of ${error.limitTokens.toLocaleString('en-US')} tokens; it resets at ${resetMoment(error.resetsAt)}.`;
}

/** 600000 → "10 minutes", 1500 → "1.5 seconds". */
function spokenDuration(ms: number): string {
  const [amount, unit] = ms >= 60_000 ? [ms / 60_000, 'minute'] : [ms / 1000, 'second'];
  const rounded = Math.round(amount * 10) / 10;
  return `${rounded} ${unit}${rounded === 1 ? '' : 's'}`;
}
