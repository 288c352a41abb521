/**
 * Tells "the network did not get us there" apart from "the platform answered no" for start-up
 * errors: a DNS failure or a refused connection must not read as a refused token, and deserves one
 * line naming the host rather than a stack trace.
 */
import { isAbort } from '../errors.js';

/** Error codes of Node, undici and axios that mean the request never got an answer. */
const NETWORK_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_SOCKET',
  'CERT_HAS_EXPIRED',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
]);

/** How deep to follow `cause`, `original` and AggregateError `errors` links. */
const MAX_DEPTH = 5;

/**
 * The network error code behind `error` (ENOTFOUND, ECONNREFUSED, …), found on it or on its causes
 * (undici's `cause`, the Slack WebClient's `original`, an AggregateError's `errors`); an aborted
 * request counts as `timeout`. Undefined when the platform did answer.
 */
export function networkFailureCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > MAX_DEPTH) return undefined;
  const candidate = error as {
    code?: unknown;
    name?: unknown;
    cause?: unknown;
    original?: unknown;
    errors?: unknown;
  };
  if (typeof candidate.code === 'string' && NETWORK_CODES.has(candidate.code)) return candidate.code;
  if (isAbort(error) || candidate.name === 'TimeoutError') return 'timeout';
  for (const nested of [
    candidate.cause,
    candidate.original,
    ...(Array.isArray(candidate.errors) ? candidate.errors : []),
  ]) {
    const code = networkFailureCode(nested, depth + 1);
    if (code) return code;
  }
  return undefined;
}

/** `host[:port]` of a URL, for the one line an operator reads; the URL itself when it does not parse. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
