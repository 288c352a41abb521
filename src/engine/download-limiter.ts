/**
 * One limit on attachment downloads for the whole process. Every turn of every conversation shares
 * it, so a burst of threads full of images costs at most a few sockets and a few files in memory at
 * a time instead of one download per attachment of every history window at once.
 */

/** Downloads in flight at once in the process; the rest wait their turn, first come first served. */
export const MAX_PARALLEL_DOWNLOADS = 4;

interface Waiter {
  start: () => void;
}

/** A counting semaphore whose waiters leave the queue when their turn is cancelled. */
export class DownloadLimiter {
  private running = 0;
  private readonly queue: Waiter[] = [];

  constructor(private readonly limit: number) {}

  /** Downloads running now. */
  get active(): number {
    return this.running;
  }

  /** Downloads waiting for a slot. */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Runs `task` once a slot is free and frees the slot when it settles. When `signal` aborts while
   * waiting, the task never starts and the signal's reason is thrown.
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    if (this.running < this.limit) {
      this.running += 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const index = this.queue.indexOf(waiter);
        if (index >= 0) this.queue.splice(index, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  private release(): void {
    const next = this.queue.shift();
    // The slot passes straight to the next waiter, so `running` stays the same.
    if (next) next.start();
    else this.running -= 1;
  }
}

/** The process-wide limiter every attachment download goes through. */
export const attachmentDownloads = new DownloadLimiter(MAX_PARALLEL_DOWNLOADS);
