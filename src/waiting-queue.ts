/**
 * A line of callers waiting their turn for something scarce (a conversation lock, an upstream slot,
 * a download slot, a wake-up), first come first served. Whoever frees the thing admits the head of
 * the line; a caller whose signal aborts leaves the line at once, rejected with the signal's
 * reason, and the ones behind it move up.
 *
 * It listens once per signal, not once per waiter: one turn with dozens of files queued would
 * otherwise trip Node's listener-leak warning on its signal.
 */

export interface WaitOptions {
  /** Leaves the line when it aborts; the wait rejects with its reason. */
  signal?: AbortSignal | undefined;
  /** Gives up after this long: the wait resolves false instead of true. */
  timeoutMs?: number | undefined;
  /**
   * Hears the caller's 1-based place when it joins and again each time it moves up, so a user can
   * see "queued (3rd)" count down. A throwing listener is ignored: the line must keep moving.
   */
  onPosition?: ((position: number) => void) | undefined;
}

interface Waiter {
  signal: AbortSignal | undefined;
  onPosition: ((position: number) => void) | undefined;
  timer: NodeJS.Timeout | undefined;
  settle: (admitted: boolean) => void;
  reject: (reason: unknown) => void;
}

interface SignalListener {
  onAbort: () => void;
  waiters: number;
}

export class WaitingQueue {
  private readonly waiters: Waiter[] = [];
  private readonly listeners = new Map<AbortSignal, SignalListener>();

  /** Callers waiting now. */
  get length(): number {
    return this.waiters.length;
  }

  /**
   * Joins the end of the line. Resolves true once admitted, false when `timeoutMs` ran out first;
   * rejects with the signal's reason when it aborts first (or had already).
   */
  wait(options: WaitOptions = {}): Promise<boolean> {
    const { signal, timeoutMs, onPosition } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<boolean>((resolve, reject) => {
      const waiter: Waiter = {
        signal,
        onPosition,
        timer: undefined,
        settle: resolve,
        reject,
      };
      if (timeoutMs !== undefined) {
        waiter.timer = setTimeout(() => {
          const index = this.waiters.indexOf(waiter);
          if (index !== -1) this.leave(index, false);
        }, timeoutMs);
      }
      this.waiters.push(waiter);
      if (signal) this.listen(signal);
      announce(waiter, this.waiters.length);
    });
  }

  /** Admits the head of the line; false when nobody waits. */
  admitNext(): boolean {
    if (this.waiters.length === 0) return false;
    this.leave(0, true);
    return true;
  }

  /** Admits everyone waiting now (a wake-up); how many that was. */
  admitAll(): number {
    const admitted = this.waiters.splice(0);
    for (const waiter of admitted) this.settle(waiter, true);
    return admitted.length;
  }

  /** Takes the waiter at `index` out of the line and tells the ones behind their new places. */
  private leave(index: number, admitted: boolean): void {
    const [waiter] = this.waiters.splice(index, 1);
    this.settle(waiter!, admitted);
    this.announceFrom(index);
  }

  private settle(waiter: Waiter, admitted: boolean): void {
    clearTimeout(waiter.timer);
    if (waiter.signal) this.unlisten(waiter.signal);
    waiter.settle(admitted);
  }

  private listen(signal: AbortSignal): void {
    const existing = this.listeners.get(signal);
    if (existing) {
      existing.waiters += 1;
      return;
    }
    const listener: SignalListener = { onAbort: () => this.abortAll(signal), waiters: 1 };
    this.listeners.set(signal, listener);
    signal.addEventListener('abort', listener.onAbort, { once: true });
  }

  private unlisten(signal: AbortSignal): void {
    const listener = this.listeners.get(signal);
    if (!listener) return;
    listener.waiters -= 1;
    if (listener.waiters > 0) return;
    signal.removeEventListener('abort', listener.onAbort);
    this.listeners.delete(signal);
  }

  /** Every waiter of an aborted signal leaves the line; the rest move up. */
  private abortAll(signal: AbortSignal): void {
    this.listeners.delete(signal);
    let firstGap = -1;
    for (let index = this.waiters.length - 1; index >= 0; index -= 1) {
      const waiter = this.waiters[index]!;
      if (waiter.signal !== signal) continue;
      this.waiters.splice(index, 1);
      clearTimeout(waiter.timer);
      waiter.reject(signal.reason);
      firstGap = index;
    }
    if (firstGap !== -1) this.announceFrom(firstGap);
  }

  private announceFrom(index: number): void {
    for (let behind = index; behind < this.waiters.length; behind += 1) {
      announce(this.waiters[behind]!, behind + 1);
    }
  }
}

function announce(waiter: Waiter, position: number): void {
  try {
    waiter.onPosition?.(position);
  } catch {
    // The caller's display problem, not the line's.
  }
}
