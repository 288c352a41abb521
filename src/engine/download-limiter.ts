/**
 * One limit on attachment downloads for the whole process. Every turn of every conversation shares
 * it, so a burst of threads full of images costs at most a few sockets and a few files in memory at
 * a time instead of one download per attachment of every history window at once.
 */

/** Downloads in flight at once in the process; the rest wait their turn, first come first served. */
export const MAX_PARALLEL_DOWNLOADS = 4;

interface Waiter {
  signal: AbortSignal | undefined;
  start: () => void;
  cancel: (reason: unknown) => void;
}

/**
 * A counting semaphore whose waiters leave the queue when their turn is cancelled. It listens once
 * per signal, not once per waiting download: a turn with dozens of files queued would otherwise trip
 * Node's listener-leak warning on its signal.
 */
export class DownloadLimiter {
  private running = 0;
  private readonly queue: Waiter[] = [];
  private readonly listeners = new Map<AbortSignal, () => void>();

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
      this.queue.push({ signal, start: resolve, cancel: reject });
      if (signal && !this.listeners.has(signal)) {
        const onAbort = () => this.cancelAll(signal);
        this.listeners.set(signal, onAbort);
        signal.addEventListener('abort', onAbort, { once: true });
      }
    });
  }

  private release(): void {
    const next = this.queue.shift();
    if (!next) {
      this.running -= 1;
      return;
    }
    // The slot passes straight to the next waiter, so `running` stays the same.
    if (next.signal && !this.queue.some((waiter) => waiter.signal === next.signal)) {
      this.stopListening(next.signal);
    }
    next.start();
  }

  /** Every waiter of a cancelled turn leaves the queue. */
  private cancelAll(signal: AbortSignal): void {
    this.listeners.delete(signal);
    for (let index = this.queue.length - 1; index >= 0; index--) {
      const waiter = this.queue[index]!;
      if (waiter.signal !== signal) continue;
      this.queue.splice(index, 1);
      waiter.cancel(signal.reason);
    }
  }

  private stopListening(signal: AbortSignal): void {
    const onAbort = this.listeners.get(signal);
    if (onAbort) signal.removeEventListener('abort', onAbort);
    this.listeners.delete(signal);
  }
}

/** The process-wide limiter every attachment download goes through. */
export const attachmentDownloads = new DownloadLimiter(MAX_PARALLEL_DOWNLOADS);
