/**
 * The seams of the storage layer. Every backend (memory, SQLite file, Redis) implements the same
 * interfaces, so one code path serves one process and many. See src/store/create-store.ts.
 */
import type { Usage } from '../upstream/types.js';

export type PlatformName = 'discord' | 'slack' | 'console';

/** One conversation = one thread on one platform. */
export interface ConversationKey {
  platform: PlatformName;
  /** Discord guild id (or `@dm`), Slack team id, console session id. */
  workspace: string;
  channel: string;
  /** Thread id (Discord thread channel, Slack thread_ts); for a DM without threads, the channel again. */
  thread: string;
}

/** `platform:workspace:channel:thread`, the id used in store keys and logs. */
export function conversationId(key: ConversationKey): string {
  return `${key.platform}:${key.workspace}:${key.channel}:${key.thread}`;
}

/**
 * An attachment as history keeps it: a reference, never the bytes. It is resolved into something
 * downloadable only when a request is built (Discord CDN URLs expire; Slack files need the token).
 */
export interface AttachmentRef {
  platform: PlatformName;
  /** Platform file id (Slack `F…`, Discord attachment id) or, for the console, an absolute path. */
  id: string;
  /** The URL seen when the message arrived; may have expired by the time it is resolved. */
  url?: string;
  /** Where the file lives on the platform (Discord channel + message id), for URL refresh. */
  location?: { channel: string; message: string };
  name: string;
  mimeType: string;
  size: number;
}

export interface TurnAuthor {
  id: string;
  name: string;
}

export interface Turn {
  role: 'user' | 'assistant';
  text: string;
  attachments: AttachmentRef[];
  author?: TurnAuthor;
  /** Platform message ids: the user's message, or every message the reply was split into. */
  messageIds: string[];
  createdAt: number;
  /** On assistant turns: which model answered and what it cost. */
  model?: string;
  usage?: Usage;
  /** On assistant turns: the upstream's trace id of the answering request, for feedback and support. */
  traceId?: string;
}

/** Where a setting applies; a thread's setting overrides its channel's. */
export interface SettingsScope {
  platform: PlatformName;
  workspace: string;
  channel: string;
  thread?: string;
}

export interface ConversationSettings {
  model?: string;
  systemPrompt?: string;
}

export interface AppendOptions {
  replaceLastAssistant?: boolean;
  replaceFromMessage?: string;
  /**
   * The conversation lock the writer holds: the append is written only if it is still held, checked
   * atomically with the write, and rejects with `LockLostError` (writing nothing) otherwise.
   */
  lock?: HeldLock;
}

export interface HistoryStore {
  load(key: ConversationKey): Promise<Turn[]>;
  /**
   * Appends whole turns in one write (the user turn and its answer together), so a failed or
   * cancelled reply never leaves half a turn. `replaceLastAssistant` drops the last assistant turn
   * first (Regenerate); `replaceFromMessage` drops the turn with that user message id and
   * everything after it (the user edited their prompt); `lock` fences the write (see AppendOptions).
   */
  append(key: ConversationKey, turns: Turn[], options?: AppendOptions): Promise<void>;
  reset(key: ConversationKey): Promise<void>;
  /** Which conversation a platform message (user's or bot's) belongs to, for reply chains. */
  findByMessage(platform: PlatformName, messageId: string): Promise<ConversationKey | undefined>;
  /** Records that a platform message belongs to a conversation (done by `append` for its turns). */
  linkMessage(platform: PlatformName, messageId: string, key: ConversationKey): Promise<void>;
}

export interface SettingsStore {
  /** The settings stored at exactly this scope. */
  get(scope: SettingsScope): Promise<ConversationSettings>;
  /** Thread settings over channel settings; undefined fields fall back to configuration. */
  resolve(scope: SettingsScope): Promise<ConversationSettings>;
  /** Merges `patch`; a field set to `null` is cleared. */
  set(
    scope: SettingsScope,
    patch: { [K in keyof ConversationSettings]?: ConversationSettings[K] | null },
  ): Promise<void>;
}

export interface UsageTotals extends Usage {
  requests: number;
}

export interface UsageStore {
  add(key: ConversationKey, userId: string, usage: Usage): Promise<void>;
  forConversation(key: ConversationKey): Promise<UsageTotals>;
  forUser(platform: PlatformName, userId: string): Promise<UsageTotals>;
}

/** One period counter of a spend budget: its id (scope, subject, period) and when it may be forgotten. */
export interface SpendCounterRef {
  /** e.g. `user:slack:U1:day:2026-12-01`; the period is part of the id, so a new period starts at 0. */
  id: string;
  /** Epoch ms after which the counter is no longer needed (its period's end, plus a margin). */
  expiresAt: number;
}

/**
 * Token counters per budget period, shared by every instance sharing the store: atomic INCRBY on
 * Redis, a serialized read-modify-write in one process otherwise.
 */
export interface SpendCounters {
  /** Adds `tokens` to each counter in one step and returns the new totals, in the same order. */
  add(counters: readonly SpendCounterRef[], tokens: number): Promise<number[]>;
  /** The totals of these counters (0 for one never written or expired), in the same order. */
  read(ids: readonly string[]): Promise<number[]>;
}

export type FeedbackRating = 'positive' | 'negative';

/** One user's rating of one answer, with what an operator needs to judge it. */
export interface FeedbackRecord {
  platform: PlatformName;
  /** `conversationId` of the conversation the answer belongs to. */
  conversationId: string;
  /** The platform message id the rating was given on (a message of the answer). */
  messageId: string;
  userId: string;
  rating: FeedbackRating;
  /** The model that answered and the upstream trace id of that request, when known. */
  model?: string;
  traceId?: string;
  /** The prompt the answer answered (the preceding user turn) and the answer itself. */
  prompt: string;
  answer: string;
  /** When the rating was given or last changed, ISO 8601 UTC. */
  time: string;
}

/** What storing a rating did: a first rating, a changed one, or the same rating again. */
export type FeedbackWrite = 'new' | 'changed' | 'unchanged';

/**
 * Ratings of answers, one per user and answer message, each kept for the feedback retention after
 * its last change. `list` returns every rating still kept (for `npm run feedback:export`).
 */
export interface FeedbackStore {
  record(record: FeedbackRecord): Promise<FeedbackWrite>;
  list(): Promise<FeedbackRecord[]>;
}

/** Set-if-absent with a TTL: the first caller for an id gets true, every later one false. */
export interface Deduplicator {
  claim(id: string, ttlMs: number): Promise<boolean>;
}

/**
 * What a guarded write checks atomically with the write itself: that the key `key` of the lock
 * still holds `holder`. The holder and the fencing token are issued together, so "this holder"
 * means "the holder with this token".
 */
export interface LockFence {
  readonly key: string;
  readonly holder: string;
  readonly token: number;
}

export interface HeldLock {
  /** Monotonic fencing token: a later holder always has a larger one. */
  readonly token: number;
  /** False once the lock was lost (expired and taken by another holder) or released. */
  readonly held: boolean;
  /** Aborted, with a `LockLostError`, as soon as the lock is known lost (a renewal found it gone). */
  readonly signal: AbortSignal;
  /** For writes that must only happen while this lock is held (`HistoryStore.append`'s `lock`). */
  readonly fence: LockFence;
  /** Asks the backend now (renewing the lock): true while still held; false marks it lost. */
  confirm(): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * One holder at a time per conversation, waiting in arrival order. The lock is renewed while held
 * and expires `ttlMs` after a crashed holder stopped renewing it.
 */
export interface ConversationLocks {
  acquire(id: string, options?: { ttlMs?: number; signal?: AbortSignal }): Promise<HeldLock>;
  /** Whether anyone (in any instance sharing the store) holds the lock of `id` now. */
  isHeld(id: string): Promise<boolean>;
}

/** A request to cancel a turn, seen by every instance sharing the store. */
export interface StopRequest {
  /** `conversationId` of the conversation. */
  conversation: string;
  /** Only the turn answering this prompt message (an edited prompt); otherwise the streaming one. */
  messageId?: string;
  /** The engine that sent it, which has already acted on it and ignores its echo. */
  origin: string;
}

/** Stop across instances: Redis pub/sub on Redis, listeners in this process otherwise. */
export interface StopSignals {
  publish(request: StopRequest): Promise<void>;
  /** Calls `listener` for every request published by anyone; returns the unsubscribe. */
  subscribe(listener: (request: StopRequest) => void): () => void;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** When refused: how long until the next request would be allowed. */
  retryAfterMs: number;
}

/** A sliding-window limit, e.g. requests per user per minute, shared by every instance. */
export interface RateLimiter {
  hit(id: string, limit: number, windowMs: number): Promise<RateLimitDecision>;
}

/**
 * Caps concurrent upstream requests per API token across instances. Excess callers wait in a fair
 * queue; `onQueued` tells them their place so the user sees "queued" rather than an error.
 */
export interface ConcurrencyGate {
  acquire(options?: {
    signal?: AbortSignal;
    onQueued?: (position: number) => void;
  }): Promise<() => Promise<void>>;
  /** How many callers are waiting now (for metrics). */
  queueLength(): number;
}

/**
 * What each person was last seen looking at in their chat app (Slack's app_context_changed: the
 * channel open beside the agent), so a request in a DM such as "summarize this channel" can act on it.
 * Entries expire: a context days old says nothing about what the person looks at now.
 */
export interface ViewingContextStore {
  /** Remembers `channel` as what `userId` is viewing; undefined forgets it (they view nothing we know). */
  remember(
    platform: PlatformName,
    workspace: string,
    userId: string,
    channel: string | undefined,
  ): Promise<void>;
  /** The channel `userId` was last seen viewing, if still remembered. */
  channelOf(platform: PlatformName, workspace: string, userId: string): Promise<string | undefined>;
}

/** Everything the bot keeps, built from STORE_URL by `createStore`. */
export interface Store {
  readonly kind: 'memory' | 'sqlite' | 'redis';
  readonly history: HistoryStore;
  readonly settings: SettingsStore;
  readonly usage: UsageStore;
  /** Period totals of the spend budgets (BUDGET_*_TOKENS). */
  readonly spend: SpendCounters;
  readonly viewing: ViewingContextStore;
  readonly feedback: FeedbackStore;
  readonly dedupe: Deduplicator;
  readonly locks: ConversationLocks;
  readonly rateLimiter: RateLimiter;
  readonly upstreamGate: ConcurrencyGate;
  readonly stopSignals: StopSignals;
  /** Round-trips to the backend; throws `StoreUnavailableError` fast when it cannot. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
