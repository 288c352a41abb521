/**
 * A ReplySink test double: it keeps the messages as a platform would show them, records every
 * call with its text, phase and (fake) time, and makes each call take `latencyMs` of fake time so
 * the renderer's one-call-in-flight rule is observable. Failures are scripted per call number.
 */

import type { ReplyPhase, ReplySink, SinkLimits } from '../../src/engine/types.js';
import { PlatformRateLimitError } from '../../src/errors.js';

export interface RecordedCall {
  kind: 'post' | 'edit';
  id: string;
  text: string;
  phase: ReplyPhase;
  startedAt: number;
  endedAt: number;
  /** What the call threw, if it did. */
  failed?: 'rate_limited' | 'error';
}

export type ScriptedFailure = { rateLimitMs: number } | { error: string };

export class RecordingSink implements ReplySink {
  readonly limits: SinkLimits;
  readonly calls: RecordedCall[] = [];
  readonly typingAt: number[] = [];
  /** Message id → what the platform shows now. */
  readonly messages = new Map<string, { text: string; phase: ReplyPhase }>();
  inFlight = 0;
  maxInFlight = 0;
  /** Failures by call number (0-based, posts and edits counted together). */
  readonly failures = new Map<number, ScriptedFailure>();
  /** Fail every call from this call number on (a sink that is down). */
  failFrom: number | undefined;
  private callCount = 0;
  private nextId = 1;

  constructor(
    limits: Partial<SinkLimits> = {},
    private readonly latencyMs = 100,
  ) {
    this.limits = { maxMessageLength: 2000, editIntervalMs: 1000, ...limits };
  }

  post(text: string, phase: ReplyPhase): Promise<string> {
    return this.call('post', `m${this.nextId}`, text, phase, () => {
      const id = `m${this.nextId++}`;
      this.messages.set(id, { text, phase });
      return id;
    });
  }

  async edit(messageId: string, text: string, phase: ReplyPhase): Promise<void> {
    if (!this.messages.has(messageId)) throw new Error(`edit of unknown message ${messageId}`);
    await this.call('edit', messageId, text, phase, () => {
      this.messages.set(messageId, { text, phase });
      return messageId;
    });
  }

  async typing(): Promise<void> {
    this.typingAt.push(Date.now());
  }

  /** When `replyEnded` was called, and how many calls had been made by then. */
  readonly finishedAt: Array<{ at: number; callsBefore: number }> = [];

  async replyEnded(): Promise<void> {
    this.finishedAt.push({ at: Date.now(), callsBefore: this.calls.length });
  }

  /** The texts of the reply's messages, in order, as a user would see them. */
  visible(): string[] {
    return [...this.messages.values()].map((message) => message.text);
  }

  phases(): ReplyPhase[] {
    return [...this.messages.values()].map((message) => message.phase);
  }

  /** Successful calls only. */
  applied(): RecordedCall[] {
    return this.calls.filter((call) => !call.failed);
  }

  private async call(
    kind: 'post' | 'edit',
    id: string,
    text: string,
    phase: ReplyPhase,
    apply: () => string,
  ): Promise<string> {
    const number = this.callCount++;
    const record: RecordedCall = { kind, id, text, phase, startedAt: Date.now(), endedAt: Number.NaN };
    this.calls.push(record);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
      const failure =
        this.failures.get(number) ??
        (this.failFrom !== undefined && number >= this.failFrom ? { error: 'sink is down' } : undefined);
      if (failure && 'rateLimitMs' in failure) {
        record.failed = 'rate_limited';
        throw new PlatformRateLimitError(failure.rateLimitMs);
      }
      if (failure) {
        record.failed = 'error';
        throw new Error(failure.error);
      }
      return apply();
    } finally {
      record.endedAt = Date.now();
      this.inFlight--;
    }
  }
}
