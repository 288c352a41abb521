/**
 * Slack's native streaming as a reply sink: chat.startStream, then chat.appendStream with only the
 * new part of the answer, then chat.stopStream with the Regenerate button. The renderer still drives
 * it (one call in flight, newest text), so splitting, pacing and 429 back-off work as for any sink.
 *
 * Native streams only append, so whenever the renderer's new text does not extend what was streamed
 * (a split moved a paragraph to the next message, a fence was closed at the cut) that one message
 * is stopped and from then on updated with chat.update. When chat.startStream itself fails the whole
 * reply falls back to post-then-update, and a workspace that lacks the method is remembered.
 * Slack stops accepting appends after about 5 minutes (`message_not_in_streaming_state`, observed),
 * so an older stream is stopped and the answer continues in a new streamed message in the thread.
 * See ../shared/docs/platforms.md ("native streaming").
 */
import { findCodeFences } from '../../engine/split.js';
import type { ReplyPhase, ReplySink, SinkLimits } from '../../engine/types.js';
import { replyBlocks } from './reply-blocks.js';
import type { WorkspaceBudget } from './update-budget.js';
import {
  type ReplyTarget,
  SLACK_EDIT_INTERVAL_MS,
  SLACK_MAX_MESSAGE_LENGTH,
  SlackUpdateSink,
} from './update-sink.js';
import { asSinkError, rateLimitRetryMs, slackErrorCode } from './web-api.js';

/** Errors that mean "this workspace (or token) cannot stream natively", not "this call failed". */
const UNSUPPORTED = new Set([
  'unknown_method',
  'not_allowed_token_type',
  'missing_scope',
  'feature_not_enabled',
  'not_allowed',
  'method_deprecated',
]);

/** Remembers which workspaces turned out not to offer native streaming. */
export class NativeStreamingSupport {
  private readonly lacking = new Set<string>();
  isAvailable(workspace: string): boolean {
    return !this.lacking.has(workspace);
  }
  markUnavailable(workspace: string): void {
    this.lacking.add(workspace);
  }
}

export interface NativeStreamOptions {
  /** Team of the person who asked (Slack wants recipient_team_id with recipient_user_id). */
  recipientTeamId: string;
  support: NativeStreamingSupport;
  appendBudget: WorkspaceBudget;
  updateBudget: WorkspaceBudget;
  /** A stream older than this is finished and continued in a new message (default 4.5 minutes). */
  maxStreamAgeMs?: number;
  now?: () => number;
}

interface StreamedMessage {
  /** The message Slack shows now (differs from the renderer's id after a 5-minute continuation). */
  ts: string;
  mode: 'stream' | 'update';
  /** The renderer-side text streamed so far into this logical message. */
  appended: string;
  startedAt: number;
}

export class SlackNativeStreamSink implements ReplySink {
  readonly limits: SinkLimits = {
    maxMessageLength: SLACK_MAX_MESSAGE_LENGTH,
    editIntervalMs: SLACK_EDIT_INTERVAL_MS,
  };
  private readonly fallback: SlackUpdateSink;
  private readonly messages = new Map<string, StreamedMessage>();
  private wholeReplyFallback = false;
  private contentSeen = false;
  private readonly now: () => number;
  private readonly maxAgeMs: number;

  constructor(
    private readonly target: ReplyTarget & { threadTs: string },
    private readonly options: NativeStreamOptions,
  ) {
    this.fallback = new SlackUpdateSink(target, options.updateBudget);
    this.now = options.now ?? Date.now;
    this.maxAgeMs = options.maxStreamAgeMs ?? 4.5 * 60_000;
  }

  /** Fed from the engine's `onContent`: until the first content, the renderer's texts are statuses. */
  noteContent(delta: string): void {
    if (/\S/.test(delta)) this.contentSeen = true;
  }

  /** Whether this reply streams natively (false once it fell back to post-then-update). */
  get streamingNatively(): boolean {
    return !this.wholeReplyFallback;
  }

  async post(text: string, phase: ReplyPhase): Promise<string> {
    if (this.wholeReplyFallback || phase !== 'streaming') return this.postPlain(text, phase);
    // A status ("Thinking…") is not part of the answer: start the stream empty and append the answer.
    const initial = this.contentSeen ? withoutPings(streamablePart(text)) : '';
    try {
      const ts = await this.startStream(initial);
      this.messages.set(ts, { ts, mode: 'stream', appended: initial, startedAt: this.now() });
      return ts;
    } catch (error) {
      if (rateLimitRetryMs(error) !== undefined) throw asSinkError(error);
      const code = slackErrorCode(error);
      if (code && UNSUPPORTED.has(code)) this.options.support.markUnavailable(this.target.key.workspace);
      this.target.logger.info({ code }, 'native streaming unavailable; posting and updating instead');
      this.wholeReplyFallback = true;
      return this.postPlain(text, phase);
    }
  }

  async edit(messageId: string, text: string, phase: ReplyPhase): Promise<void> {
    const message = this.messages.get(messageId);
    if (!message || message.mode === 'update')
      return this.fallback.edit(message?.ts ?? messageId, text, phase);
    // Status changes while the model thinks show in the assistant status, not in the stream.
    if (!this.contentSeen && phase === 'streaming') return;

    const streamable = withoutPings(phase === 'streaming' ? streamablePart(text) : text);
    if (!streamable.startsWith(message.appended)) {
      await this.switchToUpdates(message, text, phase);
      return;
    }
    const delta = streamable.slice(message.appended.length);
    if (delta) {
      if (this.now() - message.startedAt > this.maxAgeMs) await this.continueInNewMessage(message, delta);
      else await this.append(message, delta);
      message.appended = streamable;
    }
    if (phase !== 'streaming') await this.finish(message, phase);
  }

  notice(text: string): Promise<void> {
    return this.fallback.notice(text);
  }

  private async postPlain(text: string, phase: ReplyPhase): Promise<string> {
    const ts = await this.fallback.post(text, phase);
    this.messages.set(ts, { ts, mode: 'update', appended: text, startedAt: this.now() });
    return ts;
  }

  private async startStream(markdown: string): Promise<string> {
    const result = await this.target.client.chat.startStream({
      channel: this.target.channel,
      thread_ts: this.target.threadTs,
      recipient_user_id: this.target.userId,
      recipient_team_id: this.options.recipientTeamId,
      ...(markdown ? { markdown_text: markdown } : {}),
    });
    return result.ts!;
  }

  private async append(message: StreamedMessage, delta: string): Promise<void> {
    await this.options.appendBudget.take(this.target.key.workspace);
    try {
      await this.target.client.chat.appendStream({
        channel: this.target.channel,
        ts: message.ts,
        markdown_text: delta,
      });
    } catch (error) {
      if (slackErrorCode(error) === 'message_not_in_streaming_state') {
        // Slack closed the stream (age): the answer goes on in a new message.
        await this.continueInNewMessage(message, delta);
        return;
      }
      throw asSinkError(error);
    }
  }

  private async continueInNewMessage(message: StreamedMessage, delta: string): Promise<void> {
    await this.stopQuietly(message.ts);
    try {
      message.ts = await this.startStream(delta);
      message.startedAt = this.now();
    } catch (error) {
      throw asSinkError(error);
    }
  }

  private async finish(message: StreamedMessage, phase: ReplyPhase): Promise<void> {
    try {
      await this.target.client.chat.stopStream({
        channel: this.target.channel,
        ts: message.ts,
        blocks: replyBlocks('', phase, this.target.key, true, this.target.models).filter(
          (block) => block.type === 'actions' || block.type === 'context_actions',
        ),
      });
    } catch (error) {
      throw asSinkError(error);
    }
    message.mode = 'update';
    this.fallback.adopt(message.ts);
  }

  /** The new text does not extend the stream: end the stream and show the text with chat.update. */
  private async switchToUpdates(message: StreamedMessage, text: string, phase: ReplyPhase): Promise<void> {
    await this.stopQuietly(message.ts);
    message.mode = 'update';
    this.fallback.adopt(message.ts);
    await this.fallback.edit(message.ts, text, phase);
  }

  private async stopQuietly(ts: string): Promise<void> {
    try {
      await this.target.client.chat.stopStream({ channel: this.target.channel, ts });
    } catch (error) {
      if (rateLimitRetryMs(error) !== undefined) throw asSinkError(error);
      // Already stopped (or too old to stop): the message keeps what it showed.
      this.target.logger.debug({ code: slackErrorCode(error) }, 'stopping a native stream failed');
    }
  }
}

/**
 * The part of a streaming snapshot that is really the answer: without the renderer's streaming
 * indicator, and without a closing fence line it added only for display of a still-open code block.
 */
export function streamablePart(text: string): string {
  let result = text.replace(/\n?\s?▌$/, '');
  const closer = /\n[ \t]*(`{3,}|~{3,})[ \t]*$/.exec(result);
  if (closer) {
    const withoutCloser = result.slice(0, closer.index);
    if (findCodeFences(withoutCloser).at(-1)?.closed === false) result = withoutCloser;
  }
  return result;
}

/**
 * Model output must never ping: Slack reads `<!channel>`, `<!here>`, `<@U…>` and `<#C…>` in
 * markdown_text too, so a zero-width space after the `<` keeps them as plain text. The change sits
 * right after the `<`, so the result of a prefix is a prefix of the result: appends stay appends.
 */
export function withoutPings(markdown: string): string {
  return markdown.replace(/<(?=[!@#])/g, '<\u200B');
}
