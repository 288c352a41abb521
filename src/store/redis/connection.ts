/**
 * One Redis connection for the whole store, configured to fail fast rather than queue forever.
 *
 * @redis/client reconnects forever and, by default, queues commands while offline, so a dead Redis
 * turns every call into a hang. Here: the first connection gets `connectTimeoutMs` and no retries
 * (start-up must say "Redis is down" promptly); once connected, the client keeps reconnecting with
 * a capped back-off, the offline queue is off (commands reject at once while disconnected), and
 * every command races a timer (a frozen server rejects within `operationTimeoutMs`). When Redis
 * comes back, the next command simply works.
 */
import { createClient } from '@redis/client';
import { StoreUnavailableError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { guarded, toStoreUnavailable } from '../guard.js';

export type RedisClient = ReturnType<typeof buildClient>;

/** Upper bound on the wait between two reconnection attempts after the store was up. */
const MAX_RECONNECT_DELAY_MS = 2_000;

export interface RedisConnectionOptions {
  url: string;
  /** Redacted name of the backend for messages ("redis at 127.0.0.1:6379"). */
  backend: string;
  connectTimeoutMs: number;
  operationTimeoutMs: number;
  logger?: Logger | undefined;
}

/** A second connection listening to one channel; `close` ends it. */
export interface Subscription {
  close(): Promise<void>;
}

/** A connected client plus the bounded way to call it. */
export class RedisConnection {
  readonly client: RedisClient;
  readonly backend: string;
  private readonly operationTimeoutMs: number;

  private constructor(client: RedisClient, backend: string, operationTimeoutMs: number) {
    this.client = client;
    this.backend = backend;
    this.operationTimeoutMs = operationTimeoutMs;
  }

  /** Connects or rejects with `StoreUnavailableError` within about `connectTimeoutMs`. */
  static async open(options: RedisConnectionOptions): Promise<RedisConnection> {
    let everReady = false;
    const client = buildClient(options, () => everReady);
    let lastLogged = 0;
    client.on('error', (error: unknown) => {
      // An unhandled 'error' event would crash the process; while Redis is down the client emits
      // one per attempt, so the log gets at most one line every ten seconds.
      if (Date.now() - lastLogged < 10_000) return;
      lastLogged = Date.now();
      const reason = error instanceof Error ? error.message : String(error);
      options.logger?.warn({ backend: options.backend, reason }, 'store connection error');
    });
    client.on('ready', () => {
      everReady = true;
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        // A PING after connecting: a port that accepts TCP but never speaks Redis must fail too.
        client.connect().then(() => client.ping()),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no connection within ${options.connectTimeoutMs} ms`)),
            options.connectTimeoutMs,
          );
        }),
      ]);
    } catch (error) {
      destroyQuietly(client);
      const reason = error instanceof Error ? error.message : String(error);
      throw new StoreUnavailableError(`Cannot reach ${options.backend}: ${reason}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
    return new RedisConnection(client, options.backend, options.operationTimeoutMs);
  }

  /** Runs one command (or a few) bounded in time; failures become `StoreUnavailableError`. */
  async run<T>(what: string, operation: (client: RedisClient) => Promise<T>): Promise<T> {
    return guarded(this.backend, what, this.operationTimeoutMs, () => operation(this.client));
  }

  /** Evaluates a Lua script by body (cached by Redis; EVALSHA would save bytes, not round trips). */
  async script(what: string, body: string, keys: string[], args: Array<string | number>): Promise<unknown> {
    return this.run(what, (client) => client.eval(body, { keys, arguments: args.map(String) }));
  }

  /**
   * Opens a second connection (same server and options) subscribed to `channel`, within the
   * operation timeout. It reconnects and re-subscribes on its own after an outage.
   */
  async subscribe(channel: string, onMessage: (message: string) => void): Promise<Subscription> {
    const subscriber = this.client.duplicate();
    // Without a listener an 'error' event would crash the process; the main connection logs outages.
    subscriber.on('error', () => undefined);
    try {
      await guarded(this.backend, 'a subscription', this.operationTimeoutMs, async () => {
        await subscriber.connect();
        await subscriber.subscribe(channel, onMessage);
      });
    } catch (error) {
      destroyQuietly(subscriber);
      throw error;
    }
    return {
      close: async () => {
        try {
          await guarded(this.backend, 'close', this.operationTimeoutMs, () => subscriber.close());
        } catch {
          destroyQuietly(subscriber);
        }
      },
    };
  }

  async ping(): Promise<void> {
    await this.run('a ping', (client) => client.ping());
  }

  /** Closes the connection; never hangs (a dead server gets the socket destroyed instead). */
  async close(): Promise<void> {
    if (!this.client.isOpen) return;
    try {
      await guarded(this.backend, 'close', this.operationTimeoutMs, () => this.client.close());
    } catch (error) {
      destroyQuietly(this.client);
      if (!(error instanceof StoreUnavailableError)) throw toStoreUnavailable(this.backend, 'close', error);
    }
  }
}

/**
 * No retries before the first connection (start-up reports the failure), a capped back-off forever
 * after it, and no offline queue so commands fail at once while reconnecting.
 */
function buildClient(options: RedisConnectionOptions, wasEverReady: () => boolean) {
  return createClient({
    url: options.url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: options.connectTimeoutMs,
      reconnectStrategy: (retries, cause) =>
        wasEverReady() ? Math.min(100 * 2 ** retries, MAX_RECONNECT_DELAY_MS) : cause,
    },
  });
}

function destroyQuietly(client: { isOpen: boolean; destroy(): void }): void {
  try {
    if (client.isOpen) client.destroy();
  } catch {
    // Already closed: nothing left to release.
  }
}
