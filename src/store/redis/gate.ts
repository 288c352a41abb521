/**
 * Caps concurrent upstream requests across every instance sharing the Redis (scripts.ts has the
 * atomic parts): holders are a sorted set of leases that expire unless renewed (a crashed
 * instance's slots come back after `leaseMs`), waiters hold tickets in a FIFO queue. A release
 * hands the freed slot to the queue's head in the same script and announces it on the wake-up
 * channel (wakeup-channel.ts), so the admitted waiter, on whatever instance, starts at once and no
 * slot sits idle until someone polls. Waiters still poll, slowly: that keeps their ticket alive,
 * notices a crashed holder's lease running out, and covers a lost announcement.
 */
import { randomUUID } from 'node:crypto';
import type { StoreKeys } from '../keys.js';
import { LEASE_TTL_MS, LeaseRenewals, WAITER_TTL_MS } from '../leases.js';
import type { ConcurrencyGate } from '../types.js';
import type { RedisConnection } from './connection.js';
import { GATE_RELEASE, GATE_RENEW, GATE_TRY_ACQUIRE } from './scripts.js';
import { type LocalWakeups, nextDelay } from './waiting.js';

/** Polls between announcements: the first soon after queueing, then every second at most (< WAITER_TTL_MS). */
const FIRST_POLL_MS = 50;
const MAX_POLL_MS = 1_000;

/** The wake-up topic that tells a queued ticket a release handed it a slot. */
const admittedTopic = (ticket: string): string => `gate:${ticket}`;

export class RedisGate implements ConcurrencyGate {
  private readonly capacity: number;
  private readonly keys: { holders: string; queue: string; waiters: string; sequence: string };
  /** Renewals of the slots this instance holds now, stopped on release and on close. */
  private readonly renewals = new LeaseRenewals();
  private waiting = 0;

  constructor(
    private readonly redis: RedisConnection,
    keys: StoreKeys,
    capacity: number,
    private readonly wakeups: LocalWakeups,
  ) {
    this.capacity = Math.max(1, capacity);
    this.keys = {
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
    const { holders, queue, waiters, sequence } = this.keys;
    let delay: number | undefined;
    let lastPosition = 0;
    let counted = false;
    try {
      for (;;) {
        const generation = this.wakeups.generation();
        const position = Number(
          await this.redis.script(
            'an upstream slot request',
            GATE_TRY_ACQUIRE,
            [holders, queue, waiters, sequence],
            [ticket, this.capacity, LEASE_TTL_MS, WAITER_TTL_MS],
          ),
        );
        if (position === 0) return this.releaser(ticket);
        if (!counted) {
          counted = true;
          this.waiting += 1;
        }
        if (position !== lastPosition) {
          lastPosition = position;
          notify(onQueued, position);
        }
        delay = nextDelay(delay, FIRST_POLL_MS, MAX_POLL_MS);
        // Woken on this ticket's topic = a release already made it a holder: no poll needed.
        if (await this.wakeups.sleep(admittedTopic(ticket), delay, signal, { generation })) {
          return this.releaser(ticket);
        }
      }
    } catch (error) {
      // Out of the queue, and out of the holders if a release admitted it meanwhile (passing the slot on).
      await this.free(ticket).catch(() => undefined);
      throw error;
    } finally {
      if (counted) this.waiting -= 1;
    }
  }

  /** Callers of this instance waiting now. */
  queueLength(): number {
    return this.waiting;
  }

  /** Stops every lease renewal; slots still held then expire after their lease. */
  close(): void {
    this.renewals.stopAll();
  }

  /** Frees `ticket`'s slot or queue place; the slots now free go to the queue's head at once. */
  private async free(ticket: string): Promise<void> {
    const { holders, queue, waiters } = this.keys;
    const channel = this.wakeups.channel;
    const admitted = await this.redis.script(
      'an upstream slot release',
      GATE_RELEASE,
      [holders, queue, waiters],
      [ticket, this.capacity, LEASE_TTL_MS, channel?.name ?? '', channel?.origin ?? ''],
    );
    // The script told the other instances; this one's own waiters are woken here, without a round trip.
    if (Array.isArray(admitted)) for (const next of admitted) this.wakeups.heard(admittedTopic(String(next)));
  }

  private releaser(ticket: string): () => Promise<void> {
    const { holders } = this.keys;
    const stopRenewing = this.renewals.start(LEASE_TTL_MS, () =>
      this.redis.script('an upstream lease renewal', GATE_RENEW, [holders], [ticket, LEASE_TTL_MS]),
    );
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      stopRenewing();
      await this.free(ticket);
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
