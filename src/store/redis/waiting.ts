/**
 * Waiting for a Redis-side condition (a lock freed, an upstream slot freed) without wasting it:
 * whoever frees it wakes the waiters, in this process directly and in the other instances through
 * one Redis pub/sub channel (wakeup-channel.ts). A slow poll stays underneath as the safety net:
 * it keeps a waiter's queue entry alive, and it is how a crashed holder's expired lease is noticed
 * (nobody announces a crash).
 *
 * A wake-up that arrives while a waiter is between two polls (its script in flight) is not lost:
 * every wake-up bumps a generation counter, and a waiter that sees it changed polls again at once
 * instead of sleeping. One counter for all topics: a spurious extra poll now and then is cheaper
 * than a counter per conversation kept forever.
 */
import { WaitingQueue } from '../../waiting-queue.js';

/** Wakes the waiters of a topic (a lock key, the gate), here and, once connected, everywhere. */
export class LocalWakeups {
  /** The callers sleeping on each topic now; a topic nobody sleeps on has no entry. */
  private readonly sleepers = new Map<string, WaitingQueue>();
  private wakeCount = 0;
  private broadcast: ((topic: string) => void) | undefined;
  /** Set once connected: what Redis scripts need to announce wake-ups themselves (GATE_RELEASE). */
  channel: { name: string; origin: string } | undefined;

  /** Other instances hear this instance's wake-ups through `broadcast` (wakeup-channel.ts). */
  connect(broadcast: (topic: string) => void, channel: { name: string; origin: string }): void {
    this.broadcast = broadcast;
    this.channel = channel;
  }

  /** Wakes everyone waiting on `topic`, in every instance. */
  wake(topic: string): void {
    this.heard(topic);
    this.broadcast?.(topic);
  }

  /** A wake-up for this instance only (another instance's, or one a script announced). */
  heard(topic: string): void {
    this.wakeCount += 1;
    this.sleepers.get(topic)?.admitAll();
  }

  /** Changes whenever any topic is woken; read it before a poll, pass it to `sleep` after. */
  generation(): number {
    return this.wakeCount;
  }

  /**
   * Waits `delayMs`, or less when `topic` is woken: resolves true when woken, false when the time
   * ran out, or at once (false) when anything was woken since `generation` was read. Rejects with
   * the signal's reason on abort.
   */
  async sleep(
    topic: string,
    delayMs: number,
    signal?: AbortSignal,
    options: { generation?: number } = {},
  ): Promise<boolean> {
    signal?.throwIfAborted();
    if (options.generation !== undefined && options.generation !== this.wakeCount) return false;
    let sleepers = this.sleepers.get(topic);
    if (sleepers === undefined) {
      sleepers = new WaitingQueue();
      this.sleepers.set(topic, sleepers);
    }
    try {
      return await sleepers.wait({ signal, timeoutMs: delayMs });
    } finally {
      if (sleepers.length === 0 && this.sleepers.get(topic) === sleepers) this.sleepers.delete(topic);
    }
  }
}

/** The next poll delay: grows by half each time, from `first` up to `max`. */
export function nextDelay(previous: number | undefined, first = 5, max = 100): number {
  return previous === undefined ? first : Math.min(max, Math.ceil(previous * 1.5));
}
