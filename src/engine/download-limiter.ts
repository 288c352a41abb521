/**
 * One limit on attachment downloads for the whole process. Every turn of every conversation shares
 * it, so a burst of threads full of images costs at most a few sockets and a few files in memory at
 * a time instead of one download per attachment of every history window at once.
 */
import { WaitingQueue } from '../waiting-queue.js';

/** Downloads in flight at once in the process; the rest wait their turn, first come first served. */
export const MAX_PARALLEL_DOWNLOADS = 4;

/**
 * A counting semaphore whose waiters leave the line when their turn is cancelled (the line listens
 * once per turn's signal however many of its files wait).
 */
export class DownloadLimiter {
  private running = 0;
  private readonly waiters = new WaitingQueue();

  constructor(private readonly limit: number) {}

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

  private async acquire(signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    if (this.running < this.limit) {
      this.running += 1;
      return;
    }
    await this.waiters.wait({ signal });
  }

  private release(): void {
    // The slot passes straight to the next waiter, so `running` stays the same.
    if (!this.waiters.admitNext()) this.running -= 1;
  }
}

/** The process-wide limiter every attachment download goes through. */
export const attachmentDownloads = new DownloadLimiter(MAX_PARALLEL_DOWNLOADS);
