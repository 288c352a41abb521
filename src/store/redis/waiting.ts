/**
 * Waiting for a Redis-side condition: poll with a growing delay, and wake at once when this process
 * itself frees what others wait for (a release here is the common case: one instance serving a
 * busy thread). Other instances' waiters notice within one poll interval.
 */

/** Wakes the waiters of a topic (a lock id, the gate) inside this process. */
export class LocalWakeups {
  readonly #listeners = new Map<string, Set<() => void>>();

  /** Wakes everyone currently waiting on `topic`. */
  wake(topic: string): void {
    const listeners = this.#listeners.get(topic);
    if (listeners === undefined) return;
    this.#listeners.delete(topic);
    for (const listener of [...listeners]) listener();
  }

  /** Waits `delayMs`, or less when `topic` is woken; rejects with the signal's reason on abort. */
  async sleep(topic: string, delayMs: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      let listeners = this.#listeners.get(topic);
      if (listeners === undefined) {
        listeners = new Set();
        this.#listeners.set(topic, listeners);
      }
      const own = listeners;
      const finish = (aborted: boolean): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        own.delete(wake);
        if (own.size === 0 && this.#listeners.get(topic) === own) this.#listeners.delete(topic);
        if (aborted) reject(signal?.reason);
        else resolve();
      };
      const wake = (): void => finish(false);
      const onAbort = (): void => finish(true);
      const timer = setTimeout(wake, delayMs);
      own.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** The next poll delay: grows by half each time, from `first` up to `max`. */
export function nextDelay(previous: number | undefined, first = 5, max = 100): number {
  return previous === undefined ? first : Math.min(max, Math.ceil(previous * 1.5));
}
