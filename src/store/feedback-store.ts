/**
 * Ratings of answers on Keyv, the same code on memory, SQLite and Redis. One value per user and
 * answer message (`feedback:rating:<platform>:<messageId>:<userId>`), so a second click replaces
 * the first; it lives for the retention after its last change. Keyv cannot list keys on every
 * backend, so each write also adds the rating's key to the index of its UTC day
 * (`feedback:day:<YYYY-MM-DD>`), which lives a day longer than the ratings it names; `list` walks
 * the days of the retention window and reads the ratings still kept.
 */
import type { StoreKeys } from './keys.js';
import type { KeyValueStore } from './kv.js';
import type { FeedbackRecord, FeedbackStore, FeedbackWrite } from './types.js';

/** Ninety days, as FEEDBACK_RETENTION_DAYS defaults to. */
export const DEFAULT_FEEDBACK_RETENTION_MS = 90 * 24 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** What one day's index holds: the rating keys written that day. */
interface DayIndex {
  keys: string[];
}

export class KeyvFeedbackStore implements FeedbackStore {
  private readonly kv: KeyValueStore;
  private readonly keys: StoreKeys;
  private readonly retentionMs: number;
  private readonly now: () => number;

  constructor(
    kv: KeyValueStore,
    keys: StoreKeys,
    retentionMs = DEFAULT_FEEDBACK_RETENTION_MS,
    now: () => number = () => Date.now(),
  ) {
    this.kv = kv;
    this.keys = keys;
    this.retentionMs = retentionMs;
    this.now = now;
  }

  async record(record: FeedbackRecord): Promise<FeedbackWrite> {
    const key = this.keys.feedback(record.platform, record.messageId, record.userId);
    let previous: FeedbackRecord | undefined;
    await this.kv.update<FeedbackRecord>(
      key,
      (current) => {
        previous = current;
        return record;
      },
      this.retentionMs,
    );
    // Indexed under today even when an older day names it too: that day's index may expire first.
    await this.kv.update<DayIndex>(
      this.keys.feedbackDay(utcDay(this.now())),
      (current) => {
        const keys = current?.keys ?? [];
        return keys.includes(key) ? current : { keys: [...keys, key] };
      },
      this.retentionMs + DAY_MS,
    );
    if (!previous) return 'new';
    return previous.rating === record.rating ? 'unchanged' : 'changed';
  }

  async list(): Promise<FeedbackRecord[]> {
    const now = this.now();
    const days = Math.ceil(this.retentionMs / DAY_MS) + 1;
    const seen = new Set<string>();
    const records: FeedbackRecord[] = [];
    for (let back = days; back >= 0; back -= 1) {
      const index = await this.kv.get<DayIndex>(this.keys.feedbackDay(utcDay(now - back * DAY_MS)));
      for (const key of index?.keys ?? []) {
        if (seen.has(key)) continue;
        seen.add(key);
        const record = await this.kv.get<FeedbackRecord>(key);
        if (record) records.push(record);
      }
    }
    return records.sort((a, b) => a.time.localeCompare(b.time));
  }
}

/** `YYYY-MM-DD` of a time, in UTC. */
function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
