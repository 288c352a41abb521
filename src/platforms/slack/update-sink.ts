/**
 * The post-then-update reply sink: the renderer posts the first text with chat.postMessage and
 * edits it with chat.update as the answer streams. Every chat.update first takes a token from the
 * workspace's shared budget (Tier 3), and a 429 becomes `PlatformRateLimitError` so the renderer
 * waits Retry-After and widens its interval. Text arrives as Markdown and is shown in Slack's
 * markdown block, with a plain `text` for notifications.
 */
import type { WebClient } from '@slack/web-api';
import type { ReplyPhase, ReplySink, SinkLimits } from '../../engine/types.js';
import type { Logger } from '../../log.js';
import type { ConversationKey } from '../../store/types.js';
import { MARKDOWN_MESSAGE_LENGTH, markdownMessage, notificationText } from './markdown-blocks.js';
import { replyBlocks } from './reply-blocks.js';
import type { WorkspaceBudget } from './update-budget.js';
import { asSinkError } from './web-api.js';

/**
 * The part length for replies whose whole text travels as `text` or `markdown_text` (native
 * streams, private answers): Slack refuses text near 4,000 characters (msg_too_long).
 */
export const SLACK_MAX_MESSAGE_LENGTH = 3_700;
/** The hard ceiling on the text actually sent. */
export const SLACK_TEXT_CEILING = 3_990;
/** About one update per second per reply (../../../docs/platform-limits.md). */
export const SLACK_EDIT_INTERVAL_MS = 1_000;

export interface ReplyTarget {
  client: WebClient;
  key: ConversationKey;
  channel: string;
  /** Thread to answer in; undefined for a top-level DM answer. */
  threadTs: string | undefined;
  /** The person who asked: notices go to them ephemerally. */
  userId: string;
  /** The models Regenerate may answer with (a menu on the finished answer when more than one). */
  models?: readonly string[];
  logger: Logger;
}

export class SlackUpdateSink implements ReplySink {
  // Markdown blocks take 12,000 characters a message; the plain `text` beside them is only a fallback.
  readonly limits: SinkLimits = {
    maxMessageLength: MARKDOWN_MESSAGE_LENGTH,
    editIntervalMs: SLACK_EDIT_INTERVAL_MS,
  };
  /** Messages of this reply, in order; only the newest one carries the buttons. */
  private readonly posted: string[] = [];
  /** What the newest message shows now, so its buttons can be taken off when a part follows it. */
  private newest: { ts: string; text: string; phase: ReplyPhase } | undefined;

  constructor(
    private readonly target: ReplyTarget,
    private readonly updateBudget: WorkspaceBudget,
  ) {}

  async post(text: string, phase: ReplyPhase): Promise<string> {
    try {
      const result = await this.target.client.chat.postMessage({
        channel: this.target.channel,
        ...(this.target.threadTs ? { thread_ts: this.target.threadTs } : {}),
        text: notificationText(text),
        blocks: replyBlocks(text, phase, this.target.key, true, this.target.models, this.target.logger),
        unfurl_links: false,
        unfurl_media: false,
      });
      const ts = result.ts!;
      const previous = this.newest;
      this.posted.push(ts);
      this.newest = { ts, text, phase };
      if (previous) await this.clearButtons(previous);
      return ts;
    } catch (error) {
      throw asSinkError(error);
    }
  }

  /**
   * The renderer finishes a message (phase `done`) before it posts the continuation, so that
   * message showed Regenerate and 👍/👎 for a moment; once it is no longer the last, they go.
   * Best effort: a failure leaves extra buttons, never a wrong text.
   */
  private async clearButtons(message: { ts: string; text: string; phase: ReplyPhase }): Promise<void> {
    try {
      await this.updateBudget.take(this.target.key.workspace);
      await this.target.client.chat.update({
        channel: this.target.channel,
        ts: message.ts,
        text: notificationText(message.text),
        blocks: replyBlocks(message.text, message.phase, this.target.key, false, [], this.target.logger),
      });
    } catch (err) {
      this.target.logger.debug({ err }, 'could not clear the buttons of an earlier reply message');
    }
  }

  async edit(messageId: string, text: string, phase: ReplyPhase): Promise<void> {
    await this.updateBudget.take(this.target.key.workspace);
    try {
      await this.target.client.chat.update({
        channel: this.target.channel,
        ts: messageId,
        text: notificationText(text),
        blocks: replyBlocks(
          text,
          phase,
          this.target.key,
          this.posted.at(-1) === messageId,
          this.target.models,
          this.target.logger,
        ),
      });
      // The newest message is the last posted or adopted one, whichever way it was shown before.
      if (this.posted.at(-1) === messageId) this.newest = { ts: messageId, text, phase };
    } catch (error) {
      throw asSinkError(error);
    }
  }

  /**
   * Takes over a message posted another way (a finished native stream): it gets the buttons from
   * now on. `shown` is what it shows when known, so its buttons can go once a later part follows.
   */
  adopt(ts: string, shown?: { text: string; phase: ReplyPhase }): void {
    if (!this.posted.includes(ts)) this.posted.push(ts);
    if (shown) this.newest = { ts, ...shown };
  }

  /** A later part was posted another way (a new native stream): the newest known part loses its buttons. */
  async retireNewest(): Promise<void> {
    const previous = this.newest;
    this.newest = undefined;
    if (previous) await this.clearButtons(previous);
  }

  async notice(text: string): Promise<void> {
    await this.target.client.chat.postEphemeral({
      channel: this.target.channel,
      user: this.target.userId,
      ...(this.target.threadTs ? { thread_ts: this.target.threadTs } : {}),
      ...markdownMessage(text),
    });
  }
}
