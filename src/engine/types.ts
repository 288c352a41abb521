/**
 * The seams between the platform-neutral engine and each platform adapter. Adapters normalize a
 * platform message into an `IncomingTurn`, and implement a `ReplySink` (how to post and edit a
 * message there) and an `AttachmentResolver` (how to fetch a file the platform stores).
 * The engine never imports a platform library.
 */
import type { AttachmentRef, ConversationKey, TurnAuthor } from '../store/types.js';
import type { OutboundPolicy } from './outbound-policy.js';

export interface IncomingTurn {
  key: ConversationKey;
  author: TurnAuthor;
  /** The prompt with the bot mention stripped. */
  text: string;
  /**
   * What history keeps of the prompt when it must not keep `text` itself (a summary: a one-line
   * note, not a copy of the channel's messages). The model still gets `text`.
   */
  historyText?: string;
  attachments: AttachmentRef[];
  /** Platform id(s) of the user's message; interactions without a message use a synthetic id. */
  messageIds: string[];
  /** Per-turn overrides (e.g. /ask model:…); otherwise thread, channel, then configuration decide. */
  model?: string;
  /**
   * `new`: a fresh turn. `regenerate`: answer the last user turn again, replacing the last answer.
   * `edit`: the user edited the prompt whose message id is `messageIds[0]`; answer it again and
   * drop that turn and everything after it from history.
   */
  mode?: 'new' | 'regenerate' | 'edit';
}

/**
 * Rewrites the answer as it streams, before the renderer shows it (a summary's citations become
 * links). `push` gets each content delta and returns what may be shown now: it may hold back a
 * trailing piece it cannot judge yet, but never changes text it already returned, so the reply
 * stays prefix-stable. `end` returns whatever it still held once the stream is over.
 */
export interface ContentTransform {
  push(delta: string): string;
  end(): string;
}

/** What a reply message shows: the sink decides how (buttons, colours, a marker). */
export type ReplyPhase = 'streaming' | 'done' | 'stopped' | 'interrupted';

export interface SinkLimits {
  /** Longest text one message may hold on this platform (after the sink's own formatting headroom). */
  maxMessageLength: number;
  /** Smallest gap between two edits of one reply; the renderer widens it after a rate limit. */
  editIntervalMs: number;
}

/**
 * How one reply reaches a platform. The renderer calls these one at a time (never two in flight)
 * and always with the newest text. Throw `PlatformRateLimitError` for a 429: the renderer waits
 * and retries with newer text, dropping nothing.
 */
export interface ReplySink {
  readonly limits: SinkLimits;
  /** Posts a new message of this reply (the first one or a continuation); returns its platform id. */
  post(text: string, phase: ReplyPhase): Promise<string>;
  /** Replaces the text of a message this sink posted. */
  edit(messageId: string, text: string, phase: ReplyPhase): Promise<void>;
  /** Shows the platform's typing/working indicator; called while nothing visible changes. */
  typing?(): Promise<void>;
  /** Tells the user something outside the reply itself (an attachment skipped, a queue position). */
  notice?(text: string): Promise<void>;
  /**
   * The reply ended (done, stopped or interrupted): no post or edit follows. A sink that cannot
   * tell its last message from a finished earlier one (both phase `done`) sends what it held back.
   */
  replyEnded?(): Promise<void>;
}

/** Where an attachment's bytes can be downloaded from right now. */
export interface AttachmentSource {
  /** http(s) URL, or file:// for the console adapter. */
  url: string;
  /** Sent with the download (Slack's bot token); a source with headers is never passed upstream as a URL. */
  headers?: Record<string, string>;
  /**
   * Where the bytes may come from and who may see `headers`; every download and every URL passed
   * upstream is checked against it. Without one: public http(s) hosts only, and no headers.
   */
  policy?: OutboundPolicy;
}

/** Supplied by each adapter: turns a stored reference into a fresh download location. */
export type AttachmentResolver = (ref: AttachmentRef, signal?: AbortSignal) => Promise<AttachmentSource>;

/** How reasoning is shown while the model thinks before its first content token. */
export type ReasoningDisplay = 'status' | 'text' | 'hidden';

export type TurnOutcome =
  | { status: 'done'; messageIds: string[]; text: string }
  | { status: 'stopped'; messageIds: string[] }
  | { status: 'failed'; messageIds: string[]; error: Error }
  | { status: 'refused'; error: Error };
