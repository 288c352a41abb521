/**
 * Per-conversation locks shared by every instance (see scripts.ts for the atomic parts):
 * - a FIFO ticket queue per conversation, so turns are answered in the order they arrived;
 * - `SET lock <ticket> NX PX ttl` to hold it, renewed every ttl/3 while held (compare-and-PEXPIRE),
 *   released by compare-and-DEL, so a holder never frees a lock that expired and passed on;
 * - a release wakes the waiters at once, in every instance (wakeup-channel.ts); waiters also poll
 *   slowly, which keeps their ticket alive and notices an expired lock;
 * - a crashed holder stops renewing and its lock expires after `ttlMs`; a crashed waiter stops
 *   polling and drops out of the queue after `waiterTtlMs`;
 * - a fencing token from one counter, larger for every later holder;
 * - a renewal that finds the lock gone marks it lost and aborts `HeldLock.signal`, and the lock's
 *   `fence` (lock key + ticket) lets a write check atomically that it is still held.
 */
import { randomUUID } from 'node:crypto';
import { LockLostError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { StoreKeys } from '../keys.js';
import { LEASE_TTL_MS, LeaseRenewals, WAITER_TTL_MS } from '../leases.js';
import type { ConversationLocks, HeldLock } from '../types.js';
import type { RedisConnection } from './connection.js';
import { LOCK_RELEASE, LOCK_RENEW, LOCK_TRY_ACQUIRE } from './scripts.js';
import { type LocalWakeups, nextDelay } from './waiting.js';

/** Polls between wake-ups: soon at first, then every second at most (< WAITER_TTL_MS). */
const FIRST_POLL_MS = 5;
const MAX_POLL_MS = 1_000;

export class RedisLocks implements ConversationLocks {
  /** Renewals of the locks held now, stopped on release and on close. */
  private readonly renewals = new LeaseRenewals();

  constructor(
    private readonly redis: RedisConnection,
    private readonly keys: StoreKeys,
    private readonly wakeups: LocalWakeups,
    private readonly logger?: Logger,
  ) {}

  async acquire(id: string, options: { ttlMs?: number; signal?: AbortSignal } = {}): Promise<HeldLock> {
    const { signal } = options;
    const ttlMs = options.ttlMs ?? LEASE_TTL_MS;
    const ticket = randomUUID();
    const lockKey = this.keys.lock(id);
    const keys = [
      lockKey,
      `${lockKey}:queue`,
      `${lockKey}:waiters`,
      this.keys.lock('sequence'),
      this.keys.lock('fence'),
    ];
    let delay: number | undefined;
    signal?.throwIfAborted();
    try {
      for (;;) {
        const generation = this.wakeups.generation();
        const token = Number(
          await this.redis.script('a lock acquire', LOCK_TRY_ACQUIRE, keys, [ticket, ttlMs, WAITER_TTL_MS]),
        );
        if (token > 0) return this.heldLock(id, lockKey, ticket, token, ttlMs);
        // A release anywhere wakes this waiter (wakeup-channel.ts); the poll is the safety net.
        delay = nextDelay(delay, FIRST_POLL_MS, MAX_POLL_MS);
        await this.wakeups.sleep(lockKey, delay, signal, { generation });
      }
    } catch (error) {
      // Leave the queue so the ones behind do not wait for a ticket that will never poll again.
      await this.redis
        .run('a lock queue exit', (client) =>
          client.multi().zRem(keys[1]!, ticket).zRem(keys[2]!, ticket).exec(),
        )
        .catch(() => undefined);
      throw error;
    }
  }

  async isHeld(id: string): Promise<boolean> {
    return (await this.redis.run('a lock check', (client) => client.exists(this.keys.lock(id)))) > 0;
  }

  /** Stops every renewal; locks still held then expire on their own after their TTL. */
  close(): void {
    this.renewals.stopAll();
  }

  private heldLock(id: string, lockKey: string, ticket: string, token: number, ttlMs: number): HeldLock {
    let held = true;
    let released = false;
    let lastRenewedAt = Date.now();
    const lost = new AbortController();
    const markLost = (why: string): void => {
      if (!held) return;
      held = false;
      stopRenewing();
      this.logger?.warn({ lock: id }, `conversation lock lost: ${why}`);
      lost.abort(new LockLostError());
    };
    /** One renewal; true while held. Throws when Redis cannot be asked. */
    const extend = async (): Promise<boolean> => {
      const extended = Number(
        await this.redis.script('a lock renewal', LOCK_RENEW, [lockKey], [ticket, ttlMs]),
      );
      if (extended === 1) {
        lastRenewedAt = Date.now();
        return true;
      }
      markLost('it expired before renewal');
      return false;
    };
    const renew = async (): Promise<void> => {
      try {
        await extend();
      } catch {
        // Redis unreachable: the lock is only known lost once its TTL has passed unrenewed.
        if (Date.now() - lastRenewedAt >= ttlMs) markLost('Redis was unreachable for its whole TTL');
      }
    };
    const stopRenewing = this.renewals.start(ttlMs, renew);
    return {
      token,
      fence: { key: lockKey, holder: ticket, token },
      signal: lost.signal,
      get held() {
        return held && !released;
      },
      confirm: async () => {
        if (released || !held) return false;
        return extend();
      },
      release: async () => {
        if (released) return;
        released = true;
        stopRenewing();
        try {
          if (held) await this.redis.script('a lock release', LOCK_RELEASE, [lockKey], [ticket]);
        } finally {
          held = false;
          this.wakeups.wake(lockKey);
        }
      },
    };
  }
}
