/**
 * Discord's answers for requests it refuses: per-route rate-limit buckets with their `X-RateLimit-*`
 * headers and 429 bodies, and the 400 "Invalid Form Body" (code 50035) for content and embeds over
 * the limits. Numbers from ../../../../shared/docs/platforms.md; the header names and body shape are
 * what @discordjs/rest reads (see SequentialHandler.runRequest in node_modules/@discordjs/rest).
 */

/** The classic message send+edit limit: 5 per 5 s per channel. */
export const DEFAULT_MESSAGE_BUCKET = { limit: 5, windowMs: 5_000 };

export const MAX_CONTENT_LENGTH = 2_000;
export const MAX_EMBED_DESCRIPTION = 4_096;
export const MAX_EMBEDS_TOTAL = 6_000;
export const MAX_EMBEDS = 10;

/** A parsed JSON request body; routes read the fields they need and Discord's own checks apply. */
// biome-ignore lint/suspicious/noExplicitAny: request bodies are arbitrary JSON, checked field by field
export type JsonBody = any;

export interface BucketDecision {
  allowed: boolean;
  headers: Record<string, string>;
  /** When refused: seconds until the window resets. */
  retryAfterSeconds: number;
}

/**
 * Fixed-window buckets: a window opens with its first request and resets `windowMs` later, which
 * is how Discord's `Reset-After` behaves for a quiet bucket.
 */
export class RateLimitBuckets {
  private readonly windows = new Map<string, { startedAt: number; used: number }>();

  constructor(private readonly config: { limit: number; windowMs: number } = DEFAULT_MESSAGE_BUCKET) {}

  /** Counts one request against `key` (e.g. `messages:<channelId>`). */
  take(key: string, bucketHash: string): BucketDecision {
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || now >= window.startedAt + this.config.windowMs) {
      window = { startedAt: now, used: 0 };
      this.windows.set(key, window);
    }
    const resetAt = window.startedAt + this.config.windowMs;
    const resetAfter = Math.max(0, resetAt - now) / 1000;
    const allowed = window.used < this.config.limit;
    if (allowed) window.used += 1;
    const headers: Record<string, string> = {
      'x-ratelimit-limit': String(this.config.limit),
      'x-ratelimit-remaining': String(Math.max(0, this.config.limit - window.used)),
      'x-ratelimit-reset': (resetAt / 1000).toFixed(3),
      'x-ratelimit-reset-after': resetAfter.toFixed(3),
      'x-ratelimit-bucket': bucketHash,
    };
    if (!allowed) {
      headers['retry-after'] = resetAfter.toFixed(3);
      headers['x-ratelimit-scope'] = 'user';
    }
    return { allowed, headers, retryAfterSeconds: resetAfter };
  }
}

/** The body of a 429, as Discord sends it. */
export function rateLimitBody(retryAfterSeconds: number): Record<string, unknown> {
  return { message: 'You are being rate limited.', retry_after: retryAfterSeconds, global: false };
}

interface FieldError {
  code: string;
  message: string;
}

/**
 * Checks a message body's content and embeds; returns Discord's 400 body (code 50035) when a limit
 * is exceeded, or code 50006 for an empty message, else undefined.
 */
export function validateMessageBody(
  body: Record<string, JsonBody>,
  options: { requireSomething: boolean },
): Record<string, unknown> | undefined {
  const errors: Record<string, unknown> = {};
  const content = body.content;
  if (typeof content === 'string' && [...content].length > MAX_CONTENT_LENGTH) {
    errors.content = fieldErrors({
      code: 'BASE_TYPE_MAX_LENGTH',
      message: `Must be ${MAX_CONTENT_LENGTH} or fewer in length.`,
    });
  }
  const embeds: JsonBody[] = Array.isArray(body.embeds) ? body.embeds : [];
  if (embeds.length > MAX_EMBEDS) {
    errors.embeds = fieldErrors({
      code: 'BASE_TYPE_MAX_LENGTH',
      message: `Must be ${MAX_EMBEDS} or fewer in length.`,
    });
  } else {
    const embedErrors: Record<string, unknown> = {};
    let total = 0;
    embeds.forEach((embed, index) => {
      const description = typeof embed?.description === 'string' ? embed.description : '';
      total += description.length + (embed?.title?.length ?? 0) + (embed?.footer?.text?.length ?? 0);
      if (description.length > MAX_EMBED_DESCRIPTION) {
        embedErrors[String(index)] = {
          description: fieldErrors({
            code: 'BASE_TYPE_MAX_LENGTH',
            message: `Must be ${MAX_EMBED_DESCRIPTION} or fewer in length.`,
          }),
        };
      }
    });
    if (Object.keys(embedErrors).length > 0) errors.embeds = embedErrors;
    else if (total > MAX_EMBEDS_TOTAL) {
      errors.embeds = fieldErrors({
        code: 'MAX_EMBED_SIZE_EXCEEDED',
        message: 'Embed size exceeds maximum size of 6000',
      });
    }
  }
  if (Object.keys(errors).length > 0) return { code: 50035, errors, message: 'Invalid Form Body' };
  const empty =
    !content && embeds.length === 0 && !(Array.isArray(body.components) && body.components.length > 0);
  if (options.requireSomething && empty) return { code: 50006, message: 'Cannot send an empty message' };
  return undefined;
}

function fieldErrors(error: FieldError): { _errors: FieldError[] } {
  return { _errors: [error] };
}

/**
 * Who a message would notify, given its content and `allowed_mentions` (absent = Discord's
 * default: everything parsed). Tests assert this is empty for model output.
 */
export function pingsOf(
  content: string,
  allowedMentions: JsonBody,
): { everyone: boolean; users: string[]; roles: string[] } {
  const parse: string[] | undefined = allowedMentions?.parse;
  const allows = (kind: string) => (allowedMentions === undefined ? true : (parse ?? []).includes(kind));
  const users = [...content.matchAll(/<@!?(\d+)>/g)].map((m) => m[1]!);
  const roles = [...content.matchAll(/<@&(\d+)>/g)].map((m) => m[1]!);
  const explicitUsers: string[] = allowedMentions?.users ?? [];
  const explicitRoles: string[] = allowedMentions?.roles ?? [];
  return {
    everyone: /@(everyone|here)/.test(content) && allows('everyone'),
    users: users.filter((id) => allows('users') || explicitUsers.includes(id)),
    roles: roles.filter((id) => allows('roles') || explicitRoles.includes(id)),
  };
}
