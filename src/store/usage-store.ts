/**
 * Token usage totals per conversation and per (platform, user). Totals are sums, so they are kept
 * behind a tiny `UsageCounters` surface: on Keyv a serialized read-modify-write (exact within one
 * process, which is all memory:// and sqlite:// serve), on Redis atomic HINCRBY so instances that
 * answer the same user at once never lose each other's tokens.
 */
import type { Usage } from '../upstream/types.js';
import type { StoreKeys } from './keys.js';
import type { KeyValueStore } from './kv.js';
import {
  type ConversationKey,
  conversationId,
  type PlatformName,
  type UsageStore,
  type UsageTotals,
} from './types.js';

/** The fields a usage total is made of, in a fixed order. */
export const USAGE_FIELDS = [
  'requests',
  'promptTokens',
  'completionTokens',
  'reasoningTokens',
  'totalTokens',
] as const satisfies ReadonlyArray<keyof UsageTotals>;

/** Named integer counters stored under one key. */
export interface UsageCounters {
  /** Adds each delta to its counter; `ttlMs` (when given) is refreshed on every add. */
  add(key: string, deltas: UsageTotals, ttlMs?: number): Promise<void>;
  /** The counters under `key`; missing ones read as 0. */
  read(key: string): Promise<UsageTotals>;
}

/** Totals with every field 0. */
export function emptyTotals(): UsageTotals {
  return { requests: 0, promptTokens: 0, completionTokens: 0, reasoningTokens: 0, totalTokens: 0 };
}

/** Keeps totals as one JSON value per key on Keyv. */
export class KeyvUsageCounters implements UsageCounters {
  private readonly kv: KeyValueStore;

  constructor(kv: KeyValueStore) {
    this.kv = kv;
  }

  async add(key: string, deltas: UsageTotals, ttlMs?: number): Promise<void> {
    await this.kv.update<UsageTotals>(
      key,
      (current) => {
        const next = { ...emptyTotals(), ...current };
        for (const field of USAGE_FIELDS) next[field] += deltas[field];
        return next;
      },
      ttlMs,
    );
  }

  async read(key: string): Promise<UsageTotals> {
    return { ...emptyTotals(), ...(await this.kv.get<UsageTotals>(key)) };
  }
}

export class CountingUsageStore implements UsageStore {
  private readonly counters: UsageCounters;
  private readonly keys: StoreKeys;
  private readonly conversationTtlMs: number;

  /**
   * @param conversationTtlMs per-conversation totals expire with the conversation's history;
   *   per-user totals are kept (they are what an operator bills or caps on).
   */
  constructor(counters: UsageCounters, keys: StoreKeys, conversationTtlMs: number) {
    this.counters = counters;
    this.keys = keys;
    this.conversationTtlMs = conversationTtlMs;
  }

  async add(key: ConversationKey, userId: string, usage: Usage): Promise<void> {
    const deltas: UsageTotals = {
      requests: 1,
      promptTokens: wholeTokens(usage.promptTokens),
      completionTokens: wholeTokens(usage.completionTokens),
      reasoningTokens: wholeTokens(usage.reasoningTokens),
      totalTokens: wholeTokens(usage.totalTokens),
    };
    await Promise.all([
      this.counters.add(this.keys.usageOfConversation(conversationId(key)), deltas, this.conversationTtlMs),
      this.counters.add(this.keys.usageOfUser(key.platform, userId), deltas),
    ]);
  }

  async forConversation(key: ConversationKey): Promise<UsageTotals> {
    return this.counters.read(this.keys.usageOfConversation(conversationId(key)));
  }

  async forUser(platform: PlatformName, userId: string): Promise<UsageTotals> {
    return this.counters.read(this.keys.usageOfUser(platform, userId));
  }
}

/** HINCRBY takes integers only; a gateway that reports NaN or fractions must not break the sum. */
function wholeTokens(value: number): number {
  return Number.isFinite(value) ? Math.max(0, Math.round(value)) : 0;
}
