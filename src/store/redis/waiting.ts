/**
 * Waiting for a Redis-side condition (a lock freed, an upstream slot freed) without wasting it:
 * whoever frees it wakes the waiters, in this process directly and in the other instances through
 * one Redis pub/sub channel (wakeup-channel.ts). A slow poll stays underneath as the safety net:
 * it keeps a waiter's queue entry alive, and it is how a crashed holder's expired lease is noticed
 * (nobody announces a crash).
 *
 * A wake-up that arrives while a waiter is between two polls (its script in flight) is not lost:
 * every wake-up bumps a generation counter, and a waiter that sees it changed polls again at once
 * instead of sleeping. One counter for all topics: a spurious extra poll now and then is cheaper
 * than a counter per conversation kept forever.
 */

/** How a topic's waiters are woken: all of them (a lock), or this instance's earliest (the gate). */
export type WakeMode = 'all' | 'first';

interface Sleeper {
  order: number;
  wake(): void;
}

/** Wakes the waiters of a topic (a lock key, the gate), here and, once connected, everywhere. */
export class LocalWakeups {
  readonly #sleepers = new Map<string, Set<Sleeper>>();
  #generation = 0;
  #broadcast: ((topic: string, mode: WakeMode) => void) | undefined;

  /** Other instances hear this instance's wake-ups through `broadcast` (wakeup-channel.ts). */
  connect(broadcast: (topic: string, mode: WakeMode) => void): void {
    this.#broadcast = broadcast;
  }

  /** Wakes everyone waiting on `topic`, in every instance. */
  wake(topic: string): void {
    this.heard(topic, 'all');
    this.#broadcast?.(topic, 'all');
  }

  /**
   * Wakes, in every instance, the earliest waiter on `topic`: enough when one slot was freed, since
   * the queue admits in arrival order and a later waiter of the same instance cannot be ahead.
   */
  wakeFirst(topic: string): void {
    this.heard(topic, 'first');
    this.#broadcast?.(topic, 'first');
  }

  /** A wake-up for this instance only: another instance's, or the next local waiter's turn to look. */
  heard(topic: string, mode: WakeMode): void {
    this.#generation += 1;
    const sleepers = this.#sleepers.get(topic);
    if (sleepers === undefined || sleepers.size === 0) return;
    if (mode === 'all') {
      for (const sleeper of [...sleepers]) sleeper.wake();
      return;
    }
    let first: Sleeper | undefined;
    for (const sleeper of sleepers) if (first === undefined || sleeper.order < first.order) first = sleeper;
    first?.wake();
  }

  /** Changes whenever any topic is woken; read it before a poll, pass it to `sleep` after. */
  generation(): number {
    return this.#generation;
  }

  /**
   * Waits `delayMs`, or less when `topic` is woken; returns at once when it was woken since
   * `generation` was read. `order` ranks the waiters of one instance for `wakeFirst` (smaller =
   * earlier). Rejects with the signal's reason on abort.
   */
  async sleep(
    topic: string,
    delayMs: number,
    signal?: AbortSignal,
    options: { order?: number; generation?: number } = {},
  ): Promise<void> {
    signal?.throwIfAborted();
    if (options.generation !== undefined && options.generation !== this.#generation) return;
    await new Promise<void>((resolve, reject) => {
      let sleepers = this.#sleepers.get(topic);
      if (sleepers === undefined) {
        sleepers = new Set();
        this.#sleepers.set(topic, sleepers);
      }
      const own = sleepers;
      const finish = (aborted: boolean): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        own.delete(sleeper);
        if (own.size === 0 && this.#sleepers.get(topic) === own) this.#sleepers.delete(topic);
        if (aborted) reject(signal?.reason);
        else resolve();
      };
      const sleeper: Sleeper = { order: options.order ?? 0, wake: () => finish(false) };
      const onAbort = (): void => finish(true);
      const timer = setTimeout(sleeper.wake, delayMs);
      own.add(sleeper);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** The next poll delay: grows by half each time, from `first` up to `max`. */
export function nextDelay(previous: number | undefined, first = 5, max = 100): number {
  return previous === undefined ? first : Math.min(max, Math.ceil(previous * 1.5));
}
