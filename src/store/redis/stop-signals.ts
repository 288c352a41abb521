/**
 * Stop requests between instances over Redis pub/sub: Stop pressed on one instance reaches the one
 * streaming the answer. Published on the store's connection; heard on a second connection that
 * does nothing but subscribe (a subscribed Redis connection can run no other command).
 */
import type { Logger } from '../../log.js';
import type { StopRequest, StopSignals } from '../types.js';
import type { RedisConnection, Subscription } from './connection.js';

export class RedisStopSignals implements StopSignals {
  private readonly redis: RedisConnection;
  private readonly channel: string;
  private readonly subscription: Subscription;
  private readonly listeners = new Set<(request: StopRequest) => void>();
  private readonly logger: Logger | undefined;

  private constructor(redis: RedisConnection, channel: string, subscription: Subscription, logger?: Logger) {
    this.redis = redis;
    this.channel = channel;
    this.subscription = subscription;
    this.logger = logger;
  }

  /** Subscribes to `channel`; rejects with `StoreUnavailableError` when Redis cannot be reached. */
  static async open(redis: RedisConnection, channel: string, logger?: Logger): Promise<RedisStopSignals> {
    let signals: RedisStopSignals | undefined;
    const subscription = await redis.subscribe(channel, (message) => signals?.dispatch(message));
    signals = new RedisStopSignals(redis, channel, subscription, logger);
    return signals;
  }

  async publish(request: StopRequest): Promise<void> {
    await this.redis.run('a stop request', (client) => client.publish(this.channel, JSON.stringify(request)));
  }

  subscribe(listener: (request: StopRequest) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.subscription.close();
  }

  private dispatch(message: string): void {
    let request: StopRequest;
    try {
      request = JSON.parse(message) as StopRequest;
    } catch {
      this.logger?.warn({ channel: this.channel }, 'unreadable stop request ignored');
      return;
    }
    if (typeof request?.conversation !== 'string' || typeof request.origin !== 'string') return;
    for (const listener of [...this.listeners]) {
      try {
        listener(request);
      } catch (err) {
        this.logger?.warn({ err }, 'a stop request listener failed');
      }
    }
  }
}
