/**
 * A counting semaphore with a FIFO queue: at most `capacity` upstream requests at once in this
 * process. Waiters hear their position when they start waiting and again each time it improves,
 * so a user sees "queued (3rd)" count down instead of silence.
 */
import type { ConcurrencyGate } from '../types.js';

interface GateWaiter {
  admit: () => void;
  onQueued: ((position: number) => void) | undefined;
}

export class InProcessGate implements ConcurrencyGate {
  readonly #capacity: number;
  readonly #waiters: GateWaiter[] = [];
  #active = 0;

  constructor(capacity: number) {
    this.#capacity = Math.max(1, capacity);
  }

  async acquire(
    options: { signal?: AbortSignal; onQueued?: (position: number) => void } = {},
  ): Promise<() => Promise<void>> {
    const { signal, onQueued } = options;
    signal?.throwIfAborted();
    if (this.#active < this.#capacity && this.#waiters.length === 0) {
      this.#active += 1;
      return this.#releaser();
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#waiters.indexOf(waiter);
        if (index !== -1) {
          this.#waiters.splice(index, 1);
          this.#announcePositions(index);
        }
        reject(signal?.reason);
      };
      const waiter: GateWaiter = {
        admit: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.#releaser());
        },
        onQueued,
      };
      this.#waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      notify(waiter, this.#waiters.length);
    });
  }

  queueLength(): number {
    return this.#waiters.length;
  }

  /** Requests holding a slot now (for tests and metrics). */
  get activeCount(): number {
    return this.#active;
  }

  /** A release function that frees the slot once, however often it is called. */
  #releaser(): () => Promise<void> {
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      if (next === undefined) {
        this.#active -= 1;
        return;
      }
      // The slot passes straight to the first waiter, so a newcomer cannot jump the queue.
      next.admit();
      this.#announcePositions(0);
    };
  }

  /** Tells every waiter from `fromIndex` on its new (1-based) position. */
  #announcePositions(fromIndex: number): void {
    for (let index = fromIndex; index < this.#waiters.length; index += 1) {
      notify(this.#waiters[index]!, index + 1);
    }
  }
}

/** A listener's failure must not break the queue. */
function notify(waiter: GateWaiter, position: number): void {
  try {
    waiter.onQueued?.(position);
  } catch {
    // The caller's display problem, not the gate's.
  }
}
