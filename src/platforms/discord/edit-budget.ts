/**
 * The per-channel message budget shared by every reply streaming in one channel. Discord limits
 * message sends and edits per channel (the long-standing figure: 5 per 5 s, see
 * ../../../docs/platform-limits.md), not per reply, so three replies that each edit once a
 * second would take 429s. All sinks writing to a channel take a slot here first; the slots are
 * granted in arrival order, so replies share the channel fairly and none starves.
 */

export interface EditBudgetOptions {
  /** Sends+edits allowed per window (default 5). */
  limit?: number;
  /** Window length in milliseconds (default 5,000). */
  windowMs?: number;
  /**
   * Added to the window: Discord's window starts when it receives the first request, ours when we
   * send it, and request latencies differ. Without the margin a fast sixth request can land inside
   * Discord's window.
   */
  marginMs?: number;
}

/** One channel's sliding window of granted slots. */
class ChannelWindow {
  private readonly granted: number[] = [];
  private readonly waiting: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limit: number,
    private readonly spanMs: number,
  ) {}

  acquire(signal?: AbortSignal): Promise<void> {
    if (this.waiting.length === 0 && this.tryGrant()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const index = this.waiting.indexOf(grant);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(signal?.reason ?? new DOMException('Aborted', 'AbortError'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(grant);
      this.schedule();
    });
  }

  /** Whether a slot is in use or anyone waits (idle windows are dropped from the registry). */
  get busy(): boolean {
    this.expire(Date.now());
    return this.granted.length > 0 || this.waiting.length > 0;
  }

  private tryGrant(): boolean {
    const now = Date.now();
    this.expire(now);
    if (this.granted.length >= this.limit) return false;
    this.granted.push(now);
    return true;
  }

  private expire(now: number): void {
    while (this.granted.length > 0 && this.granted[0]! + this.spanMs <= now) this.granted.shift();
  }

  private schedule(): void {
    if (this.timer || this.waiting.length === 0) return;
    const oldest = this.granted[0];
    const delay = oldest === undefined ? 0 : Math.max(0, oldest + this.spanMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      while (this.waiting.length > 0 && this.tryGrant()) this.waiting.shift()!();
      this.schedule();
    }, delay);
    this.timer.unref?.();
  }
}

/**
 * Budgets by key: a channel id for channel messages, `interaction:<token>` for an interaction's
 * webhook messages (Discord counts those per webhook token).
 */
export class ChannelEditBudget {
  private readonly windows = new Map<string, ChannelWindow>();
  private readonly limit: number;
  private readonly spanMs: number;

  constructor(options: EditBudgetOptions = {}) {
    this.limit = options.limit ?? 5;
    this.spanMs = (options.windowMs ?? 5_000) + (options.marginMs ?? 250);
  }

  /** Resolves when a send or edit in `key` may go out now; counts it against the window. */
  acquire(key: string, signal?: AbortSignal): Promise<void> {
    let window = this.windows.get(key);
    if (!window) {
      window = new ChannelWindow(this.limit, this.spanMs);
      this.windows.set(key, window);
      this.sweep();
    }
    return window.acquire(signal);
  }

  /** Drops idle windows so a long-running bot does not keep one per channel it ever wrote to. */
  private sweep(): void {
    if (this.windows.size < 1_000) return;
    for (const [key, window] of this.windows) if (!window.busy) this.windows.delete(key);
  }
}
