/**
 * Discord's answers for requests it refuses: per-route rate-limit buckets with their `X-RateLimit-*`
 * headers and 429 bodies, and the 400 "Invalid Form Body" (code 50035) for content and embeds over
 * the limits. Numbers from ../../../docs/platform-limits.md; the header names and body shape are
 * what @discordjs/rest reads (see SequentialHandler.runRequest in node_modules/@discordjs/rest).
 */

/** The classic message send+edit limit: 5 per 5 s per channel. */
export const DEFAULT_MESSAGE_BUCKET = { limit: 5, windowMs: 5_000 };

export const MAX_CONTENT_LENGTH = 2_000;
export const MAX_EMBED_DESCRIPTION = 4_096;
export const MAX_EMBEDS_TOTAL = 6_000;
export const MAX_EMBEDS = 10;
/** Message components: rows per message, buttons per row, options per select menu, id and label lengths. */
export const COMPONENT_LIMITS = { rows: 5, buttonsPerRow: 5, selectOptions: 25, customId: 100, label: 80 };

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
  const componentErrors = validateComponents(body.components);
  if (componentErrors) errors.components = componentErrors;
  if (Object.keys(errors).length > 0) return { code: 50035, errors, message: 'Invalid Form Body' };
  const empty =
    !content && embeds.length === 0 && !(Array.isArray(body.components) && body.components.length > 0);
  if (options.requireSomething && empty) return { code: 50006, message: 'Cannot send an empty message' };
  return undefined;
}

/**
 * Discord's checks on message components: at most 5 action rows; a row holds up to 5 buttons or
 * exactly one select menu; a select menu has 1 to 25 options; custom ids up to 100 characters,
 * labels up to 80, option labels and values up to 100, values unique.
 */
function validateComponents(rows: JsonBody): Record<string, unknown> | undefined {
  if (!Array.isArray(rows)) return undefined;
  const tooLong = (max: number) =>
    fieldErrors({ code: 'BASE_TYPE_MAX_LENGTH', message: `Must be ${max} or fewer in length.` });
  if (rows.length > COMPONENT_LIMITS.rows) return tooLong(COMPONENT_LIMITS.rows);
  const errors: Record<string, unknown> = {};
  rows.forEach((row: JsonBody, rowIndex: number) => {
    const children: JsonBody[] = Array.isArray(row?.components) ? row.components : [];
    const rowErrors: Record<string, unknown> = {};
    const selects = children.filter((c) => c?.type === 3);
    if (row?.type !== 1 || children.length === 0) {
      rowErrors.components = fieldErrors({
        code: 'BASE_TYPE_BAD_LENGTH',
        message: 'Must be between 1 and 5 in length.',
      });
    } else if (selects.length > 0 && children.length > 1) {
      rowErrors.components = fieldErrors({
        code: 'COMPONENT_LAYOUT_WIDTH_EXCEEDED',
        message: 'The specified component exceeds the maximum width',
      });
    } else if (children.length > COMPONENT_LIMITS.buttonsPerRow) {
      rowErrors.components = tooLong(COMPONENT_LIMITS.buttonsPerRow);
    }
    children.forEach((child, index) => {
      const childErrors: Record<string, unknown> = {};
      if (typeof child?.custom_id === 'string' && child.custom_id.length > COMPONENT_LIMITS.customId)
        childErrors.custom_id = tooLong(COMPONENT_LIMITS.customId);
      if (typeof child?.label === 'string' && child.label.length > COMPONENT_LIMITS.label)
        childErrors.label = tooLong(COMPONENT_LIMITS.label);
      if (child?.type === 3) {
        const options: JsonBody[] = Array.isArray(child.options) ? child.options : [];
        const values = options.map((o) => o?.value);
        if (options.length < 1 || options.length > COMPONENT_LIMITS.selectOptions) {
          childErrors.options = fieldErrors({
            code: 'BASE_TYPE_BAD_LENGTH',
            message: `Must be between 1 and ${COMPONENT_LIMITS.selectOptions} in length.`,
          });
        } else if (new Set(values).size !== values.length) {
          childErrors.options = fieldErrors({
            code: 'SELECT_COMPONENT_OPTION_VALUE_DUPLICATED',
            message: 'Duplicate value',
          });
        } else if (
          options.some((o) => String(o?.label ?? '').length > 100 || String(o?.value ?? '').length > 100)
        ) {
          childErrors.options = tooLong(100);
        }
      }
      if (Object.keys(childErrors).length > 0) rowErrors[String(index)] = childErrors;
    });
    if (Object.keys(rowErrors).length > 0) errors[String(rowIndex)] = rowErrors;
  });
  return Object.keys(errors).length > 0 ? errors : undefined;
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
