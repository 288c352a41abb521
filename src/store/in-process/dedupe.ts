/**
 * Set-if-absent with expiry inside one process. memory:// and sqlite:// serve exactly one process,
 * so an in-memory map is exact; expired ids are swept lazily so the map stays bounded by the ids
 * seen within one TTL.
 */
import type { Deduplicator } from '../types.js';

/** How often (in claims) expired entries are swept. */
const SWEEP_EVERY = 1_000;

export class InProcessDeduplicator implements Deduplicator {
  private readonly expiresAt = new Map<string, number>();
  private claimsSinceSweep = 0;

  async claim(id: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    if (++this.claimsSinceSweep >= SWEEP_EVERY) this.sweep(now);
    const expiresAt = this.expiresAt.get(id);
    if (expiresAt !== undefined && expiresAt > now) return false;
    this.expiresAt.set(id, now + ttlMs);
    return true;
  }

  private sweep(now: number): void {
    this.claimsSinceSweep = 0;
    for (const [id, expiresAt] of this.expiresAt) if (expiresAt <= now) this.expiresAt.delete(id);
  }
}
