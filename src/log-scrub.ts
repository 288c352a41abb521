/**
 * What the logger may write, whoever logs what. pino's `redact` paths are exact and case-sensitive
 * (`headers.Authorization` slipped through), and its error serializer copies every enumerable field
 * of an error (a DiscordAPIError's `requestBody` is the reply text; an axios error inside a Slack
 * WebClient error carries the request's headers and form body). So every logged object is walked
 * here instead: credentials are redacted by key name in any letter case, bodies and raw chunks are
 * dropped, and errors keep only the fields that identify a failure.
 */

export const REDACTED = '[redacted]';
export const DROPPED = '[dropped]';

/** Keys whose values are credentials, in any letter case. */
const SECRET_KEY =
  /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api[-_]?key|password|(api|bot|app|access|refresh|auth)?[-_]?token|.*secret.*)$/i;

/** Keys whose values are message text or wire payloads: request/response bodies, raw stream chunks. */
const PAYLOAD_KEY = /^(body|raw_?body|request_?body|response_?body|raw_?chunk|chunks?|raw|form_?data)$/i;

/** Error fields worth a log line: what failed, where, with which status. Only primitives are kept. */
const ERROR_FIELDS = [
  'code',
  'status',
  'statusCode',
  'method',
  'url',
  'traceId',
  'retryAfterMs',
  'retryAfter',
  'variable',
  'fileName',
  'errno',
  'syscall',
  'hostname',
  'address',
  'port',
] as const;

/** Nested errors worth following (the cause chain, a Slack error's `original`, an AggregateError's `errors`). */
const NESTED_ERRORS = ['cause', 'original'] as const;

const MAX_DEPTH = 6;
const MAX_ARRAY = 20;

/** `Bearer abc…` / `Bot abc…` inside free text (an error message that quotes a header). */
const INLINE_CREDENTIAL = /\b(Bearer|Bot|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g;
/** Interaction and webhook tokens are path segments of Discord URLs: `/webhooks/:id/:token/…`. */
const URL_TOKEN = /\/(webhooks|interactions)\/(\d+)\/[^/?#]+/g;

function scrubText(text: string): string {
  return text.replace(INLINE_CREDENTIAL, `$1 ${REDACTED}`).replace(URL_TOKEN, `/$1/$2/${REDACTED}`);
}

function isErrorLike(value: unknown): value is Error {
  return (
    value instanceof Error ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as Error).message === 'string' &&
      typeof (value as Error).stack === 'string')
  );
}

/** An error as a log field: type, message, stack, the identifying fields, and its nested causes. */
export function serializeError(
  error: Error,
  depth = 0,
  seen = new WeakSet<object>(),
): Record<string, unknown> {
  seen.add(error);
  const out: Record<string, unknown> = {
    type: error.constructor?.name ?? error.name ?? 'Error',
    message: scrubText(String(error.message)),
  };
  if (typeof error.stack === 'string') out.stack = scrubText(error.stack);
  const fields = error as unknown as Record<string, unknown>;
  for (const field of ERROR_FIELDS) {
    const value = fields[field];
    if (typeof value === 'string') out[field] = scrubText(value);
    else if (typeof value === 'number' || typeof value === 'boolean') out[field] = value;
  }
  if (depth >= MAX_DEPTH) return out;
  for (const field of NESTED_ERRORS) {
    const nested = fields[field];
    if (isErrorLike(nested) && !seen.has(nested)) out[field] = serializeError(nested, depth + 1, seen);
  }
  const { errors } = fields;
  if (Array.isArray(errors)) {
    const nested = errors.filter(isErrorLike).slice(0, MAX_ARRAY);
    if (nested.length > 0) out.errors = nested.map((each) => serializeError(each, depth + 1, seen));
  }
  return out;
}

/** A copy of `value` that is safe to log: secrets redacted, payloads dropped, errors serialized. */
export function scrubForLog(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return '[circular]';
  if (isErrorLike(value)) return serializeError(value, depth, seen);
  if (depth >= MAX_DEPTH) return '[nested too deep]';
  seen.add(value);
  if (Array.isArray(value))
    return value.slice(0, MAX_ARRAY).map((each) => scrubForLog(each, depth + 1, seen));
  if (value instanceof Date) return value.toISOString();
  // Buffers, streams, sockets, requests: class instances carry payloads and credentials, not facts.
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null)
    return `[${prototype.constructor?.name ?? 'object'}]`;
  const out: Record<string, unknown> = {};
  for (const [key, nested] of Object.entries(value)) {
    if (SECRET_KEY.test(key)) out[key] = REDACTED;
    else if (PAYLOAD_KEY.test(key)) out[key] = DROPPED;
    else out[key] = scrubForLog(nested, depth + 1, seen);
  }
  return out;
}
