/**
 * A ReplySink that keeps what a chat user would see: every message of the reply with its current
 * text and phase, plus the log of calls. It stands in for a platform in engine tests; the platform
 * adapters have their own tests against their emulators.
 */
import type { ReplyPhase, ReplySink, SinkLimits } from '../../src/engine/types.js';

export interface SinkCall {
  kind: 'post' | 'edit' | 'notice' | 'typing';
  id?: string;
  text?: string;
  phase?: ReplyPhase;
  at: number;
}

export class RecordingSink implements ReplySink {
  readonly limits: SinkLimits;
  readonly calls: SinkCall[] = [];
  readonly messages = new Map<string, { text: string; phase: ReplyPhase }>();
  readonly notices: string[] = [];
  private nextId = 0;

  constructor(limits: Partial<SinkLimits> = {}) {
    this.limits = { maxMessageLength: 2000, editIntervalMs: 20, ...limits };
  }

  async post(text: string, phase: ReplyPhase): Promise<string> {
    this.nextId += 1;
    const id = `m${this.nextId}`;
    this.messages.set(id, { text, phase });
    this.calls.push({ kind: 'post', id, text, phase, at: Date.now() });
    return id;
  }

  async edit(id: string, text: string, phase: ReplyPhase): Promise<void> {
    if (!this.messages.has(id)) throw new Error(`edit of unknown message ${id}`);
    this.messages.set(id, { text, phase });
    this.calls.push({ kind: 'edit', id, text, phase, at: Date.now() });
  }

  async typing(): Promise<void> {
    this.calls.push({ kind: 'typing', at: Date.now() });
  }

  async notice(text: string): Promise<void> {
    this.notices.push(text);
    this.calls.push({ kind: 'notice', text, at: Date.now() });
  }

  /** The texts of the reply's messages, in order. */
  texts(): string[] {
    return [...this.messages.values()].map((message) => message.text);
  }

  /** Everything the reply shows, its messages joined. */
  shown(): string {
    return this.texts().join('');
  }

  lastPhase(): ReplyPhase | undefined {
    return [...this.messages.values()].at(-1)?.phase;
  }
}
