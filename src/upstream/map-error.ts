/**
 * Everything that can go wrong upstream, turned into one `UpstreamError` with a stable code:
 * an error status with its JSON (or not-JSON) body, an error object inside the stream, and the
 * transport failures undici raises (timeouts, refused or reset connections).
 * Codes and statuses: ../../docs/upstream-api.md ("Errors").
 */
import type { IncomingHttpHeaders } from 'node:http';
import { UpstreamError, type UpstreamErrorCode } from '../errors.js';

const DOCUMENTED_CODES = new Set<UpstreamErrorCode>([
  'token_mismatched',
  'api_not_implemented',
  'invalid_token',
  'used_up',
  'forbidden',
  'no_api',
  'too_many_requests',
  'api_error',
  'timeout',
]);

/** Other spellings seen in gateways for documented codes. */
const CODE_ALIASES: Record<string, UpstreamErrorCode> = {
  rate_limited: 'too_many_requests',
  rate_limit_exceeded: 'too_many_requests',
  unauthorized: 'invalid_token',
  invalid_api_key: 'invalid_token',
  insufficient_quota: 'used_up',
  not_found: 'no_api',
};

/** The code to use when the body names none we know. */
function codeForStatus(status: number | undefined): UpstreamErrorCode {
  if (status === undefined) return 'api_error';
  if (status === 400) return 'api_not_implemented';
  if (status === 401) return 'invalid_token';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'no_api';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 429) return 'too_many_requests';
  if (status >= 500) return 'api_error';
  return 'bad_response';
}

function normalizeCode(code: unknown, status: number | undefined): UpstreamErrorCode {
  if (typeof code === 'string') {
    const lower = code.toLowerCase();
    if (DOCUMENTED_CODES.has(lower as UpstreamErrorCode)) return lower as UpstreamErrorCode;
    const alias = CODE_ALIASES[lower];
    if (alias) return alias;
  }
  return codeForStatus(status);
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The upstream's trace id from response headers, if it sent one there. */
export function traceIdFromHeaders(headers: IncomingHttpHeaders): string | undefined {
  return (
    headerValue(headers, 'x-trace-id') ??
    headerValue(headers, 'trace-id') ??
    headerValue(headers, 'x-request-id')
  );
}

/**
 * How long the server asked us to wait: `retry-after-ms`, or `retry-after` as seconds or as an
 * HTTP date. Undefined when absent or unreadable (the API documents none; peers send them).
 */
export function retryAfterMsFromHeaders(headers: IncomingHttpHeaders, now = Date.now()): number | undefined {
  const ms = Number.parseFloat(headerValue(headers, 'retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return Math.round(ms);
  const raw = headerValue(headers, 'retry-after')?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.round(Number.parseFloat(raw) * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

interface ErrorFacts {
  status?: number;
  traceId?: string;
  retryAfterMs?: number;
}

/**
 * The error an error-shaped JSON value describes, or undefined if it is not one. Accepts the
 * documented `{success:false, error:{code,message}, trace_id}`, `error` as a plain string, and
 * `success:false` with no `error` at all.
 */
export function errorFromPayload(payload: unknown, facts: ErrorFacts = {}): UpstreamError | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const record = payload as { success?: unknown; error?: unknown; trace_id?: unknown; message?: unknown };
  if (record.error === undefined || record.error === null) {
    if (record.success !== false) return undefined;
  }
  const traceId = typeof record.trace_id === 'string' ? record.trace_id : facts.traceId;
  let rawCode: unknown;
  let message: unknown = record.message;
  if (typeof record.error === 'string') {
    message = record.error;
  } else if (typeof record.error === 'object' && record.error !== null) {
    const inner = record.error as { code?: unknown; message?: unknown; type?: unknown };
    rawCode = inner.code ?? inner.type;
    message = inner.message ?? message;
  }
  const code = normalizeCode(rawCode, facts.status);
  const named = typeof rawCode === 'string' && rawCode !== code ? ` (${rawCode})` : '';
  const where = facts.status === undefined ? 'in the stream' : `with HTTP ${facts.status}`;
  const text = typeof message === 'string' && message.length > 0 ? `: ${message}` : '';
  return new UpstreamError(code, `Upstream error ${where}, ${code}${named}${text}`, { ...facts, traceId });
}

/** The error for a non-2xx response, whatever its body looks like. */
export function errorFromResponse(
  status: number,
  headers: IncomingHttpHeaders,
  bodyText: string,
): UpstreamError {
  const facts: ErrorFacts = {
    status,
    traceId: traceIdFromHeaders(headers),
    retryAfterMs: retryAfterMsFromHeaders(headers),
  };
  let payload: unknown;
  try {
    payload = JSON.parse(bodyText);
  } catch {
    payload = undefined;
  }
  const fromBody = errorFromPayload(payload, facts);
  if (fromBody) return fromBody;
  const code = codeForStatus(status);
  const excerpt = bodyText.replace(/\s+/g, ' ').trim().slice(0, 200);
  const what = payload === undefined ? 'a body that is not JSON' : 'an error without details';
  return new UpstreamError(
    code,
    `Upstream answered HTTP ${status} (${code}) with ${what}${excerpt ? `: ${excerpt}` : ''}`,
    facts,
  );
}

/** Where a transport failure happened: before the response headers, or while reading the body. */
export type TransportPhase = 'request' | 'body';

/** The timeouts, for messages that say which one ran out. */
export interface TimeoutFacts {
  connectTimeoutMs: number;
  firstByteTimeoutMs: number;
  idleTimeoutMs: number;
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}

/**
 * The error for a failure undici raised (never an abort: callers rethrow the signal's reason).
 * Network trouble while reading the body means the stream was cut.
 */
export function errorFromTransport(
  error: unknown,
  phase: TransportPhase,
  timeouts: TimeoutFacts,
  traceId?: string,
): UpstreamError {
  if (error instanceof UpstreamError) return error;
  const code = (error as { code?: unknown })?.code;
  const detail = error instanceof Error ? error.message : String(error);
  const facts = { traceId, cause: error };
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new UpstreamError(
        'timeout',
        `Could not connect to the upstream within ${seconds(timeouts.connectTimeoutMs)}`,
        facts,
      );
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new UpstreamError(
        'timeout',
        `The upstream sent no response within ${seconds(timeouts.firstByteTimeoutMs)}`,
        facts,
      );
    case 'UND_ERR_BODY_TIMEOUT':
      return new UpstreamError(
        'timeout',
        `The upstream stream went silent for ${seconds(timeouts.idleTimeoutMs)}`,
        facts,
      );
  }
  if (phase === 'body') {
    return new UpstreamError('stream_cut', `The upstream connection broke mid-answer (${detail})`, facts);
  }
  return new UpstreamError('network', `Could not reach the upstream (${detail})`, facts);
}
