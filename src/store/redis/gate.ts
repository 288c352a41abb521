/**
 * Caps concurrent upstream requests across every instance sharing the Redis (scripts.ts has the
 * atomic parts): holders are a sorted set of leases that expire unless renewed (a crashed
 * instance's slots come back after `leaseMs`), waiters hold tickets in a FIFO queue; the first
 * `free` tickets are admitted, so nobody overtakes an earlier caller. A release wakes the earliest
 * waiter of every instance at once (waiting.ts, wakeup-channel.ts); an admitted waiter wakes the
 * next one of its instance, in case more than one slot is free. Waiters also poll, slowly: that
 * keeps their ticket alive and notices a crashed holder's lease running out.
 */
import { randomUUID } from 'node:crypto';
import type { StoreKeys } from '../keys.js';
import type { ConcurrencyGate } from '../types.js';
import type { RedisConnection } from './connection.js';
import { GATE_RENEW, GATE_TRY_ACQUIRE } from './scripts.js';
import { type LocalWakeups, nextDelay } from './waiting.js';

/** A slot whose holder stopped renewing (crashed) is free again after this long. */
const LEASE_MS = 30_000;
/** A waiter that has not polled for this long is presumed dead and leaves the queue. */
const WAITER_TTL_MS = 5_000;
const WAKEUP_TOPIC = 'gate';
/** Polls between wake-ups: the first soon after queueing, then every second at most (< WAITER_TTL_MS). */
const FIRST_POLL_MS = 50;
const MAX_POLL_MS = 1_000;

export class RedisGate implements ConcurrencyGate {
  readonly #redis: RedisConnection;
  readonly #capacity: number;
  readonly #wakeups: LocalWakeups;
  readonly #keys: { holders: string; queue: string; waiters: string; sequence: string };
  readonly #renewals = new Set<NodeJS.Timeout>();
  #waiting = 0;
  /** Arrival order of this instance's callers, for waking the earliest first. */
  #arrivals = 0;

  constructor(redis: RedisConnection, keys: StoreKeys, capacity: number, wakeups: LocalWakeups) {
    this.#redis = redis;
    this.#capacity = Math.max(1, capacity);
    this.#wakeups = wakeups;
    this.#keys = {
      holders: keys.gate('holders'),
      queue: keys.gate('queue'),
      waiters: keys.gate('waiters'),
      sequence: keys.gate('sequence'),
    };
  }

  async acquire(
    options: { signal?: AbortSignal; onQueued?: (position: number) => void } = {},
  ): Promise<() => Promise<void>> {
    const { signal, onQueued } = options;
    signal?.throwIfAborted();
    const ticket = randomUUID();
    const { holders, queue, waiters, sequence } = this.#keys;
    let delay: number | undefined;
    let lastPosition = 0;
    let counted = false;
    const order = this.#arrivals++;
    try {
      for (;;) {
        const generation = this.#wakeups.generation();
        const position = Number(
          await this.#redis.script(
            'an upstream slot request',
            GATE_TRY_ACQUIRE,
            [holders, queue, waiters, sequence],
            [ticket, this.#capacity, LEASE_MS, WAITER_TTL_MS],
          ),
        );
        if (position === 0) {
          // Another slot may be free too: let this instance's next waiter look (it is not told otherwise).
          if (counted) this.#wakeups.heard(WAKEUP_TOPIC, 'first');
          return this.#releaser(ticket);
        }
        if (!counted) {
          counted = true;
          this.#waiting += 1;
        }
        if (position !== lastPosition) {
          lastPosition = position;
          notify(onQueued, position);
        }
        delay = nextDelay(delay, FIRST_POLL_MS, MAX_POLL_MS);
        await this.#wakeups.sleep(WAKEUP_TOPIC, delay, signal, { order, generation });
      }
    } catch (error) {
      await this.#redis
        .run('an upstream queue exit', (client) =>
          client.multi().zRem(queue, ticket).zRem(waiters, ticket).exec(),
        )
        .catch(() => undefined);
      throw error;
    } finally {
      if (counted) this.#waiting -= 1;
    }
  }

  /** Callers of this instance waiting now. */
  queueLength(): number {
    return this.#waiting;
  }

  /** Stops every lease renewal; slots still held then expire after their lease. */
  close(): void {
    for (const timer of this.#renewals) clearInterval(timer);
    this.#renewals.clear();
  }

  #releaser(ticket: string): () => Promise<void> {
    const { holders } = this.#keys;
    const timer = setInterval(() => {
      void this.#redis
        .script('an upstream lease renewal', GATE_RENEW, [holders], [ticket, LEASE_MS])
        .catch(() => undefined);
    }, LEASE_MS / 3);
    timer.unref();
    this.#renewals.add(timer);
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      clearInterval(timer);
      this.#renewals.delete(timer);
      try {
        await this.#redis.run('an upstream slot release', (client) => client.zRem(holders, ticket));
      } finally {
        this.#wakeups.wakeFirst(WAKEUP_TOPIC);
      }
    };
  }
}

/** A listener's failure must not break the queue. */
function notify(onQueued: ((position: number) => void) | undefined, position: number): void {
  try {
    onQueued?.(position);
  } catch {
    // The caller's display problem, not the gate's.
  }
}
