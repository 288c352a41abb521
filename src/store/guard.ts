/**
 * Turns every backend failure into a `StoreUnavailableError` that arrives in bounded time. A store
 * that hangs is worse than one that fails: the engine holds a conversation lock and a user waits,
 * so each operation races a timer and the caller hears "store unavailable" within seconds.
 */
import { StoreUnavailableError } from '../errors.js';

/** Default bound on one store operation once the store is running. */
export const DEFAULT_OPERATION_TIMEOUT_MS = 2_000;

/**
 * Runs `operation`, rejecting with `StoreUnavailableError` when it throws or takes longer than
 * `timeoutMs`. `backend` names the store in the message ("redis at 127.0.0.1:6379"); it must never
 * carry a password, which is why callers pass a redacted description rather than the URL.
 */
export async function guarded<T>(
  backend: string,
  what: string,
  timeoutMs: number,
  operation: () => Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StoreUnavailableError(`${backend} did not answer ${what} within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([operation(), timeout]);
  } catch (error) {
    throw toStoreUnavailable(backend, what, error);
  } finally {
    clearTimeout(timer);
  }
}

/** Wraps any failure as `StoreUnavailableError`, keeping the original as `cause`. */
export function toStoreUnavailable(backend: string, what: string, error: unknown): StoreUnavailableError {
  if (error instanceof StoreUnavailableError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new StoreUnavailableError(`${backend} failed ${what}: ${reason}`, { cause: error });
}

/**
 * The description of a store URL that is safe to log and show: scheme, host, port and database,
 * never the user name or password.
 */
export function describeStoreUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const scheme = parsed.protocol.replace(/:$/, '');
    if (scheme === 'sqlite') return `sqlite at ${sqlitePathOf(url)}`;
    if (scheme === 'memory') return 'memory store';
    const database = parsed.pathname.replace(/^\//, '');
    return `${scheme} at ${parsed.host}${database ? `/${database}` : ''}`;
  } catch {
    return 'the store (unparseable STORE_URL)';
  }
}

/** The file path of a `sqlite://` URL: `sqlite://./data/x.sqlite` → `./data/x.sqlite`. */
export function sqlitePathOf(url: string): string {
  return url.replace(/^sqlite:\/\//, '');
}
