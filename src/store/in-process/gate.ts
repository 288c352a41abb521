/**
 * A counting semaphore with a FIFO line: at most `capacity` upstream requests at once in this
 * process. Waiters hear their position when they start waiting and again each time it improves,
 * so a user sees "queued (3rd)" count down instead of silence.
 */
import { WaitingQueue } from '../../waiting-queue.js';
import type { ConcurrencyGate } from '../types.js';

export class InProcessGate implements ConcurrencyGate {
  private readonly capacity: number;
  private readonly waiters = new WaitingQueue();
  private active = 0;

  constructor(capacity: number) {
    this.capacity = Math.max(1, capacity);
  }

  async acquire(
    options: { signal?: AbortSignal; onQueued?: (position: number) => void } = {},
  ): Promise<() => Promise<void>> {
    const { signal, onQueued } = options;
    signal?.throwIfAborted();
    if (this.active < this.capacity && this.waiters.length === 0) {
      this.active += 1;
      return this.releaser();
    }
    await this.waiters.wait({ signal, onPosition: onQueued });
    return this.releaser();
  }

  queueLength(): number {
    return this.waiters.length;
  }

  /** A release function that frees the slot once, however often it is called. */
  private releaser(): () => Promise<void> {
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      // The slot passes straight to the first waiter, so a newcomer cannot jump the line.
      if (!this.waiters.admitNext()) this.active -= 1;
    };
  }
}
