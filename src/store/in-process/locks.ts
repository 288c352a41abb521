/**
 * Per-conversation locks inside one process: a FIFO queue of waiters per id, a fencing token from
 * one counter. No expiry is needed: a holder that dies takes the whole process (and its queue) with
 * it. Ids with no holder and no waiters are removed, so the map only holds busy conversations.
 */
import type { ConversationLocks, HeldLock } from '../types.js';

interface Waiter {
  grant: () => void;
}

interface LockQueue {
  held: boolean;
  waiters: Waiter[];
}

export class InProcessLocks implements ConversationLocks {
  readonly #queues = new Map<string, LockQueue>();
  #lastToken = 0;

  async acquire(id: string, options: { ttlMs?: number; signal?: AbortSignal } = {}): Promise<HeldLock> {
    const { signal } = options;
    signal?.throwIfAborted();
    let queue = this.#queues.get(id);
    if (queue === undefined) {
      queue = { held: false, waiters: [] };
      this.#queues.set(id, queue);
    }
    if (!queue.held && queue.waiters.length === 0) {
      queue.held = true;
      return this.#heldLock(id);
    }
    const waitingIn = queue;
    return new Promise<HeldLock>((resolve, reject) => {
      const onAbort = (): void => {
        const index = waitingIn.waiters.indexOf(waiter);
        if (index !== -1) waitingIn.waiters.splice(index, 1);
        this.#dropIfIdle(id, waitingIn);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.#heldLock(id));
        },
      };
      waitingIn.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async isHeld(id: string): Promise<boolean> {
    return this.#queues.get(id)?.held ?? false;
  }

  /** Conversations with a holder or waiters (for tests and leak checks). */
  get busyCount(): number {
    return this.#queues.size;
  }

  #heldLock(id: string): HeldLock {
    let held = true;
    const token = ++this.#lastToken;
    return {
      token,
      fence: { key: id, holder: String(token), token },
      // Nothing takes a lock from its holder in one process: this signal never aborts. One per lock,
      // not one shared, so listeners of many concurrent turns never pile up on a single signal.
      signal: new AbortController().signal,
      get held() {
        return held;
      },
      confirm: async () => held,
      release: async () => {
        if (!held) return;
        held = false;
        this.#handOver(id);
      },
    };
  }

  /** Gives the lock to the next waiter in arrival order, or forgets the id. */
  #handOver(id: string): void {
    const queue = this.#queues.get(id);
    if (queue === undefined) return;
    const next = queue.waiters.shift();
    if (next === undefined) {
      queue.held = false;
      this.#queues.delete(id);
      return;
    }
    next.grant();
  }

  #dropIfIdle(id: string, queue: LockQueue): void {
    if (!queue.held && queue.waiters.length === 0 && this.#queues.get(id) === queue) this.#queues.delete(id);
  }
}
