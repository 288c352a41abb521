/**
 * Conversation history on Keyv: one value per conversation (`history:<conversationId>` →
 * `{ turns }`), plus `msg:<platform>:<messageId>` links so a reply to any message of a thread finds
 * its conversation. One value per conversation makes `append` a single read-modify-write, atomic
 * across instances on Redis; the engine passes its conversation lock, so a holder whose lock expired
 * and passed on cannot write after the new holder.
 */
import type { StoreKeys } from './keys.js';
import type { KeyValueStore } from './kv.js';
import {
  type AppendOptions,
  type ConversationKey,
  conversationId,
  type HistoryStore,
  type PlatformName,
  type Turn,
} from './types.js';

/** What one history key holds. */
interface StoredConversation {
  turns: Turn[];
}

/** Limits that keep one conversation's keys bounded. */
export interface HistoryLimits {
  /** Turns kept per conversation; the oldest beyond it are dropped on write. */
  maxStoredTurns: number;
  /** How long a conversation (and its message links) lives after its last write. */
  ttlMs: number;
}

/** Enough for any prompt window the engine builds (HISTORY_MAX_TURNS defaults to 40). */
export const DEFAULT_MAX_STORED_TURNS = 500;
/** Ninety days: a thread nobody touched for a quarter starts afresh. */
export const DEFAULT_HISTORY_TTL_MS = 90 * 24 * 60 * 60 * 1000;

export class KeyvHistoryStore implements HistoryStore {
  private readonly kv: KeyValueStore;
  private readonly keys: StoreKeys;
  private readonly limits: HistoryLimits;

  constructor(kv: KeyValueStore, keys: StoreKeys, limits: Partial<HistoryLimits> = {}) {
    this.kv = kv;
    this.keys = keys;
    this.limits = {
      maxStoredTurns: limits.maxStoredTurns ?? DEFAULT_MAX_STORED_TURNS,
      ttlMs: limits.ttlMs ?? DEFAULT_HISTORY_TTL_MS,
    };
  }

  async load(key: ConversationKey): Promise<Turn[]> {
    const stored = await this.kv.get<StoredConversation>(this.keys.history(conversationId(key)));
    return stored?.turns ?? [];
  }

  async append(key: ConversationKey, turns: Turn[], options: AppendOptions = {}): Promise<void> {
    const historyKey = this.keys.history(conversationId(key));
    await this.kv.update<StoredConversation>(
      historyKey,
      (current) => {
        let kept = current?.turns ?? [];
        if (options.replaceFromMessage !== undefined) {
          kept = dropFromMessage(kept, options.replaceFromMessage);
        }
        if (options.replaceLastAssistant) kept = dropLastAssistant(kept);
        const all = [...kept, ...turns];
        return { turns: all.slice(Math.max(0, all.length - this.limits.maxStoredTurns)) };
      },
      this.limits.ttlMs,
      options.lock ? { lock: options.lock } : {},
    );
    // Links are written after the history so a link never points at turns that were not saved.
    const messageIds = turns.flatMap((turn) => turn.messageIds);
    await Promise.all(messageIds.map((messageId) => this.linkMessage(key.platform, messageId, key)));
  }

  async reset(key: ConversationKey): Promise<void> {
    // Message links are left to expire: a reply to an old message then finds an empty history,
    // which is what a reset means.
    await this.kv.delete(this.keys.history(conversationId(key)));
  }

  async findByMessage(platform: PlatformName, messageId: string): Promise<ConversationKey | undefined> {
    return this.kv.get<ConversationKey>(this.keys.message(platform, messageId));
  }

  async linkMessage(platform: PlatformName, messageId: string, key: ConversationKey): Promise<void> {
    const { platform: p, workspace, channel, thread } = key;
    await this.kv.set(
      this.keys.message(platform, messageId),
      { platform: p, workspace, channel, thread },
      this.limits.ttlMs,
    );
  }
}

/** Removes the last assistant turn and anything after it (Regenerate answers the last prompt again). */
export function dropLastAssistant(turns: Turn[]): Turn[] {
  for (let index = turns.length - 1; index >= 0; index -= 1) {
    if (turns[index]!.role === 'assistant') return turns.slice(0, index);
  }
  return turns;
}

/**
 * Removes the user turn carrying `messageId` and everything after it (the user edited that prompt).
 * An unknown id removes nothing: the edited prompt is then answered as a new turn.
 */
export function dropFromMessage(turns: Turn[], messageId: string): Turn[] {
  const index = turns.findIndex((turn) => turn.role === 'user' && turn.messageIds.includes(messageId));
  return index === -1 ? turns : turns.slice(0, index);
}
