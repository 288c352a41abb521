/**
 * Per-conversation locks inside one process: a FIFO line of waiters per id, a fencing token from
 * one counter. No expiry is needed: a holder that dies takes the whole process (and its line) with
 * it. Ids with no holder and no waiters are removed, so the map only holds busy conversations.
 */
import { WaitingQueue } from '../../waiting-queue.js';
import type { ConversationLocks, HeldLock } from '../types.js';

interface LockLine {
  held: boolean;
  waiters: WaitingQueue;
}

export class InProcessLocks implements ConversationLocks {
  private readonly lines = new Map<string, LockLine>();
  private lastToken = 0;

  async acquire(id: string, options: { ttlMs?: number; signal?: AbortSignal } = {}): Promise<HeldLock> {
    const { signal } = options;
    signal?.throwIfAborted();
    let line = this.lines.get(id);
    if (line === undefined) {
      line = { held: false, waiters: new WaitingQueue() };
      this.lines.set(id, line);
    }
    if (!line.held && line.waiters.length === 0) {
      line.held = true;
      return this.heldLock(id);
    }
    try {
      // The lock passes straight from its releaser to this waiter: `held` stays true in between.
      await line.waiters.wait({ signal });
    } catch (error) {
      this.dropIfIdle(id, line);
      throw error;
    }
    return this.heldLock(id);
  }

  async isHeld(id: string): Promise<boolean> {
    return this.lines.get(id)?.held ?? false;
  }

  private heldLock(id: string): HeldLock {
    let held = true;
    const token = ++this.lastToken;
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
        this.handOver(id);
      },
    };
  }

  /** Gives the lock to the next waiter in arrival order, or forgets the id. */
  private handOver(id: string): void {
    const line = this.lines.get(id);
    if (line === undefined) return;
    if (line.waiters.admitNext()) return;
    line.held = false;
    this.lines.delete(id);
  }

  private dropIfIdle(id: string, line: LockLine): void {
    if (!line.held && line.waiters.length === 0 && this.lines.get(id) === line) this.lines.delete(id);
  }
}
