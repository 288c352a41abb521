/**
 * Leases: what a holder or a waiter keeps only while it shows it is alive. A holder that crashes
 * stops renewing, and what it held (a conversation lock, an upstream slot) is free again once its
 * lease runs out; a waiter that stops polling loses its place in the line. Nobody announces a crash,
 * so expiry is the only way the others find out.
 */

/** How long a crashed holder keeps a conversation lock or an upstream slot from everyone else. */
export const LEASE_TTL_MS = 30_000;

/** A waiter that has not polled for this long is presumed dead and leaves the line. */
export const WAITER_TTL_MS = 5_000;

/**
 * The renewal timers of the leases held now: each renewed every third of its TTL, so two renewals
 * can fail (a Redis blip) before it lapses. They do not keep the process alive, and `stopAll` ends
 * them at close; leases still held then lapse on their own.
 */
export class LeaseRenewals {
  private readonly timers = new Set<NodeJS.Timeout>();

  /** Calls `renew` every third of `ttlMs` until the returned function is called. */
  start(ttlMs: number, renew: () => Promise<unknown>): () => void {
    const timer = setInterval(
      () => {
        // A failed renewal is the next one's to make up; the caller decides when a lease is lost.
        renew().catch(() => undefined);
      },
      Math.max(1, Math.floor(ttlMs / 3)),
    );
    timer.unref();
    this.timers.add(timer);
    return () => {
      clearInterval(timer);
      this.timers.delete(timer);
    };
  }

  stopAll(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.clear();
  }
}
