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
 *
 * Until the answer's first content the stream shows one task, "Thinking…" (a task_update chunk, in
 * progress from chat.startStream on, so the user sees the bot working at once, in channels as in
 * DMs); with REASONING_DISPLAY=text the reasoning's tail is its details. The call that carries the
 * answer's first text completes it (an error if the turn failed first); the answer text itself is
 * streamed exactly as before.
 */
import type { ChatStartStreamArguments } from '@slack/web-api';
import { findCodeFences } from '../../engine/split.js';
import type { ReplyPhase, ReplySink, SinkLimits } from '../../engine/types.js';
import { withoutPings } from './markdown-blocks.js';
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
  /** chat.startStream and chat.stopStream (Tier 2): one token each, so many replies at once draw no 429. */
  streamBudget: WorkspaceBudget;
  updateBudget: WorkspaceBudget;
  /** A stream older than this is finished and continued in a new message (default 4.5 minutes). */
  maxStreamAgeMs?: number;
  now?: () => number;
  /** REASONING_DISPLAY=text: the thinking task shows the reasoning's tail as its details. */
  showReasoning?: boolean;
  /** Whether Slack itself stopped this stream (its stop button: agent_session_stopped). */
  stoppedBySlack?: (ts: string) => boolean;
}

/** @slack/web-api's task_update chunk (its types come from @slack/types, not a dependency of ours). */
type TaskUpdateChunk = Extract<
  NonNullable<ChatStartStreamArguments['chunks']>[number],
  { type: 'task_update' }
>;

/** The one task a reply's stream shows while the model thinks. */
const THINKING_TASK_ID = 'thinking';
const THINKING_TITLE = 'Thinking…';
/** Slack keeps a task's details short; the renderer's tail (1,000 characters) fits well within. */
const MAX_TASK_DETAILS = 3_000;
/** The header the renderer puts above the reasoning tail in 'text' mode (src/engine/renderer.ts). */
const REASONING_HEADER = '💭 _Thinking…_\n';

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
  /** The thinking task: not shown (yet), in progress, or completed. */
  private thinking: 'none' | 'open' | 'closed' = 'none';
  private thinkingDetails: string | undefined;
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

  async post(text: string, phase: ReplyPhase): Promise<string> {
    if (this.wholeReplyFallback || phase !== 'streaming') return this.postPlain(text, phase);
    // A status ("Thinking…") is not part of the answer: the stream starts with the thinking task instead.
    const initial = this.contentSeen ? withoutPings(streamablePart(text)) : '';
    const task = this.contentSeen ? undefined : this.thinkingTask('in_progress', text);
    try {
      const ts = await this.startStream(initial, task);
      if (task) this.thinking = 'open';
      this.messages.set(ts, { ts, mode: 'stream', appended: initial, startedAt: this.now() });
      // A continuation: the part before it loses its Regenerate and 👍/👎.
      await this.fallback.retireNewest();
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
    // Before the answer, only new reasoning (text mode) changes what the stream shows: the task's details.
    if (!this.contentSeen && phase === 'streaming') {
      if (this.thinking === 'open' && this.options.showReasoning) await this.updateThinking(message, text);
      return;
    }

    const streamable = withoutPings(phase === 'streaming' ? streamablePart(text) : text);
    if (!streamable.startsWith(message.appended)) {
      await this.switchToUpdates(message, text, phase);
      return;
    }
    const delta = streamable.slice(message.appended.length);
    if (delta) {
      if (this.now() - message.startedAt > this.maxAgeMs) await this.continueInNewMessage(message, delta);
      else await this.append(message, delta, phase === 'interrupted' ? 'error' : 'complete');
      message.appended = streamable;
    }
    if (phase !== 'streaming') await this.finish(message, text, phase);
  }

  notice(text: string): Promise<void> {
    return this.fallback.notice(text);
  }

  private async postPlain(text: string, phase: ReplyPhase): Promise<string> {
    const ts = await this.fallback.post(text, phase);
    this.messages.set(ts, { ts, mode: 'update', appended: text, startedAt: this.now() });
    return ts;
  }

  private async startStream(markdown: string, task?: TaskUpdateChunk): Promise<string> {
    await this.options.streamBudget.take(this.target.key.workspace);
    const result = await this.target.client.chat.startStream({
      channel: this.target.channel,
      thread_ts: this.target.threadTs,
      recipient_user_id: this.target.userId,
      recipient_team_id: this.options.recipientTeamId,
      ...(markdown ? { markdown_text: markdown } : {}),
      ...(task ? { chunks: [task] } : {}),
    });
    return result.ts!;
  }

  /**
   * The thinking task in `status`; in text mode with the reasoning tail of the renderer's status
   * `text` as details (pings neutralized like the answer's).
   */
  private thinkingTask(status: TaskUpdateChunk['status'], text?: string): TaskUpdateChunk {
    if (text !== undefined && this.options.showReasoning && text.startsWith(REASONING_HEADER)) {
      const tail = text
        .slice(REASONING_HEADER.length)
        .split('\n')
        .map((line) => line.replace(/^> ?/, ''))
        .join('\n');
      this.thinkingDetails = withoutPings(tail).slice(-MAX_TASK_DETAILS);
    }
    return {
      type: 'task_update',
      id: THINKING_TASK_ID,
      title: THINKING_TITLE,
      status,
      ...(this.thinkingDetails ? { details: this.thinkingDetails } : {}),
    };
  }

  /** New reasoning (text mode): the task's details follow it. */
  private async updateThinking(message: StreamedMessage, text: string): Promise<void> {
    const before = this.thinkingDetails;
    const task = this.thinkingTask('in_progress', text);
    if (this.thinkingDetails === before) return;
    await this.options.appendBudget.take(this.target.key.workspace);
    try {
      await this.target.client.chat.appendStream({
        channel: this.target.channel,
        ts: message.ts,
        chunks: [task],
      });
    } catch (error) {
      throw asSinkError(error);
    }
  }

  /** The chunk that ends the thinking task, if it is still in progress (once). */
  private closingTask(status: 'complete' | 'error'): TaskUpdateChunk | undefined {
    if (this.thinking !== 'open') return undefined;
    this.thinking = 'closed';
    return this.thinkingTask(status);
  }

  private async append(
    message: StreamedMessage,
    delta: string,
    taskEnd: 'complete' | 'error',
  ): Promise<void> {
    await this.options.appendBudget.take(this.target.key.workspace);
    const task = this.closingTask(taskEnd);
    try {
      await this.target.client.chat.appendStream({
        channel: this.target.channel,
        ts: message.ts,
        // The first text also ends the thinking task, in one call (both as chunks: one form per call).
        ...(task
          ? { chunks: [task, { type: 'markdown_text' as const, text: delta }] }
          : { markdown_text: delta }),
      });
    } catch (error) {
      if (slackErrorCode(error) === 'message_not_in_streaming_state') {
        if (this.options.stoppedBySlack?.(message.ts)) {
          // The user pressed Slack's stop: the answer is being stopped; the message is only updated now.
          this.adoptStopped(message);
          return;
        }
        // Slack closed the stream (age): the answer goes on in a new message.
        await this.continueInNewMessage(message, delta);
        return;
      }
      if (task) this.thinking = 'open';
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

  /** A stream Slack stopped: from now on the message is updated with chat.update, buttons included. */
  private adoptStopped(message: StreamedMessage): void {
    message.mode = 'update';
    this.fallback.adopt(message.ts);
  }

  private async finish(message: StreamedMessage, text: string, phase: ReplyPhase): Promise<void> {
    if (this.options.stoppedBySlack?.(message.ts)) {
      this.adoptStopped(message);
      await this.fallback.edit(message.ts, text, phase);
      return;
    }
    try {
      const task = this.closingTask(phase === 'interrupted' ? 'error' : 'complete');
      await this.options.streamBudget.take(this.target.key.workspace);
      await this.target.client.chat.stopStream({
        channel: this.target.channel,
        ts: message.ts,
        blocks: replyBlocks('', phase, this.target.key, true, this.target.models).filter(
          (block) => block.type === 'actions' || block.type === 'context_actions',
        ),
        ...(task ? { chunks: [task] } : {}),
      });
    } catch (error) {
      throw asSinkError(error);
    }
    message.mode = 'update';
    this.fallback.adopt(message.ts, { text, phase });
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
      const task = this.closingTask('complete');
      await this.options.streamBudget.take(this.target.key.workspace);
      await this.target.client.chat.stopStream({
        channel: this.target.channel,
        ts,
        ...(task ? { chunks: [task] } : {}),
      });
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
