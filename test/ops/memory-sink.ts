/**
 * The simplest real ReplySink: keeps each message's newest text and phase in memory, as a chat
 * would show them, and counts calls. A `rateLimitFirstEdits` count makes the first edits answer
 * like a platform 429 (PlatformRateLimitError), so metrics of rate limits can be observed.
 */
import type { ReplyPhase, ReplySink, SinkLimits } from '../../src/engine/types.js';
import { PlatformRateLimitError } from '../../src/errors.js';

export class MemorySink implements ReplySink {
  readonly limits: SinkLimits;
  readonly messages = new Map<string, { text: string; phase: ReplyPhase }>();
  readonly notices: string[] = [];
  posts = 0;
  edits = 0;
  private nextId = 1;

  constructor(
    limits: Partial<SinkLimits> = {},
    private rateLimitFirstEdits = 0,
  ) {
    this.limits = { maxMessageLength: 2000, editIntervalMs: 20, ...limits };
  }

  async post(text: string, phase: ReplyPhase): Promise<string> {
    this.posts += 1;
    const id = `m${this.nextId++}`;
    this.messages.set(id, { text, phase });
    return id;
  }

  async edit(messageId: string, text: string, phase: ReplyPhase): Promise<void> {
    if (this.rateLimitFirstEdits > 0) {
      this.rateLimitFirstEdits -= 1;
      throw new PlatformRateLimitError(10);
    }
    this.edits += 1;
    this.messages.set(messageId, { text, phase });
  }

  async notice(text: string): Promise<void> {
    this.notices.push(text);
  }

  /** Everything the chat shows, messages in order, joined by newlines. */
  get shown(): string {
    return [...this.messages.values()].map((m) => m.text).join('\n');
  }

  /** The phase of the last message. */
  get lastPhase(): ReplyPhase | undefined {
    return [...this.messages.values()].at(-1)?.phase;
  }
}
