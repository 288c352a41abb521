/**
 * The post-then-update reply sink: the renderer posts the first text with chat.postMessage and
 * edits it with chat.update as the answer streams. Every chat.update first takes a token from the
 * workspace's shared budget (Tier 3), and a 429 becomes `PlatformRateLimitError` so the renderer
 * waits Retry-After and widens its interval. Text arrives as Markdown and is shown as mrkdwn.
 */
import type { WebClient } from '@slack/web-api';
import type { ReplyPhase, ReplySink, SinkLimits } from '../../engine/types.js';
import type { Logger } from '../../log.js';
import type { ConversationKey } from '../../store/types.js';
import { markdownToMrkdwn } from './format.js';
import { replyBlocks } from './reply-blocks.js';
import type { WorkspaceBudget } from './update-budget.js';
import { asSinkError } from './web-api.js';

/**
 * Slack refuses text near 4,000 characters (msg_too_long). The renderer splits Markdown at this
 * length; mrkdwn conversion can lengthen it (`&` → `&amp;`, links), which the headroom absorbs.
 */
export const SLACK_MAX_MESSAGE_LENGTH = 3_700;
/** The hard ceiling on the text actually sent. */
export const SLACK_TEXT_CEILING = 3_990;
/** About one update per second per reply (../shared/docs/platforms.md). */
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
  readonly limits: SinkLimits = {
    maxMessageLength: SLACK_MAX_MESSAGE_LENGTH,
    editIntervalMs: SLACK_EDIT_INTERVAL_MS,
  };
  /** Messages of this reply, in order; only the newest one carries the buttons. */
  private readonly posted: string[] = [];

  constructor(
    private readonly target: ReplyTarget,
    private readonly updateBudget: WorkspaceBudget,
  ) {}

  async post(text: string, phase: ReplyPhase): Promise<string> {
    const mrkdwn = slackText(text, this.target.logger);
    try {
      const result = await this.target.client.chat.postMessage({
        channel: this.target.channel,
        ...(this.target.threadTs ? { thread_ts: this.target.threadTs } : {}),
        text: mrkdwn,
        blocks: replyBlocks(mrkdwn, phase, this.target.key, true, this.target.models),
        unfurl_links: false,
        unfurl_media: false,
      });
      const ts = result.ts!;
      this.posted.push(ts);
      return ts;
    } catch (error) {
      throw asSinkError(error);
    }
  }

  async edit(messageId: string, text: string, phase: ReplyPhase): Promise<void> {
    await this.updateBudget.take(this.target.key.workspace);
    const mrkdwn = slackText(text, this.target.logger);
    try {
      await this.target.client.chat.update({
        channel: this.target.channel,
        ts: messageId,
        text: mrkdwn,
        blocks: replyBlocks(
          mrkdwn,
          phase,
          this.target.key,
          this.posted.at(-1) === messageId,
          this.target.models,
        ),
      });
    } catch (error) {
      throw asSinkError(error);
    }
  }

  /** Takes over a message posted another way (a finished native stream): it gets the buttons from now on. */
  adopt(ts: string): void {
    if (!this.posted.includes(ts)) this.posted.push(ts);
  }

  async notice(text: string): Promise<void> {
    await this.target.client.chat.postEphemeral({
      channel: this.target.channel,
      user: this.target.userId,
      ...(this.target.threadTs ? { thread_ts: this.target.threadTs } : {}),
      text: markdownToMrkdwn(text),
    });
  }
}

/** Markdown → mrkdwn within Slack's ceiling; an overlong result (heavy escaping) is cut, not refused. */
export function slackText(markdown: string, logger?: Logger): string {
  const mrkdwn = markdownToMrkdwn(markdown);
  if (mrkdwn.length <= SLACK_TEXT_CEILING) return mrkdwn;
  logger?.warn({ length: mrkdwn.length }, 'formatted Slack message over the text ceiling; cutting it');
  return `${mrkdwn.slice(0, SLACK_TEXT_CEILING - 1)}…`;
}
