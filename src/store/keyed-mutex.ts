/**
 * Runs async work one at a time per key inside this process. The Keyv stores do read-modify-write
 * (settings merges, usage sums, history appends outside the engine's lock), and two interleaved
 * read-modify-writes of one key lose an update; chaining them per key prevents that at no cost to
 * unrelated keys.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `work` after every earlier `run` of the same key has settled. */
  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(work, work);
    // The tail never rejects, so one failure does not poison the chain; it is dropped when idle.
    const tail = current.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
