/**
 * A reply only the asker sees (`/ask --private …`). Ephemeral messages cannot be edited with
 * chat.update and a `response_url` takes at most 5 posts in 30 minutes, so this sink streams
 * nothing: it keeps the newest text and sends each finished part once. The first parts go through
 * the response_url; its last post is kept for the reply's last part, and parts in between go
 * through chat.postEphemeral (to the asker, in the same channel), so a long answer arrives whole
 * and in order. Where chat.postEphemeral is refused (the bot is not in the channel), what is left
 * rides on the last response_url post, cut with a note if it does not fit.
 */
import type { RespondFn } from '@slack/bolt';
import type { ReplyPhase, ReplySink, SinkLimits } from '../../engine/types.js';
import type { Logger } from '../../log.js';
import { SLACK_MAX_MESSAGE_LENGTH, SLACK_TEXT_CEILING, slackText } from './update-sink.js';

/** Slack takes at most five posts to one response_url (within 30 minutes of the command). */
export const RESPONSE_URL_MAX_POSTS = 5;

/** Ends a private answer cut short because Slack offered no way to post the rest. */
const CUT_NOTE =
  '…\n\n_(The rest of this private answer did not fit: invite me to this channel, or ask without --private.)_';

export interface EphemeralAnswerOptions {
  respond: RespondFn;
  /** chat.postEphemeral of one part to the asker; used once the response_url runs short. */
  postEphemeral?: (text: string) => Promise<unknown>;
  logger?: Logger;
}

export class EphemeralAnswerSink implements ReplySink {
  // Each part is one post; the renderer splits at this length.
  readonly limits: SinkLimits = { maxMessageLength: SLACK_MAX_MESSAGE_LENGTH, editIntervalMs: 1_000 };
  private readonly texts: string[] = [];
  private readonly delivered = new Set<number>();
  /** Posts made to the response_url so far. */
  private responsePosts = 0;
  /** Parts chat.postEphemeral could not deliver; they ride on the last response_url post. */
  private readonly undelivered: string[] = [];

  constructor(private readonly options: EphemeralAnswerOptions) {}

  async post(text: string, phase: ReplyPhase): Promise<string> {
    this.texts.push(text);
    const index = this.texts.length - 1;
    // A new part means every earlier one is finished.
    for (let earlier = 0; earlier < index; earlier++) await this.deliver(earlier, false);
    await this.deliverIfSafe(index, phase);
    return `ephemeral:${index}`;
  }

  async edit(messageId: string, text: string, phase: ReplyPhase): Promise<void> {
    const index = Number(messageId.split(':')[1]);
    this.texts[index] = text;
    await this.deliverIfSafe(index, phase);
  }

  async notice(text: string): Promise<void> {
    await this.send(slackText(text), false);
  }

  /** The reply ended: what is still held back goes now, the last part on the last post. */
  async replyEnded(): Promise<void> {
    const last = this.texts.length - 1;
    for (let index = 0; index <= last; index++) await this.deliver(index, index === last);
  }

  /**
   * A part shown as ended (`done`, …) may be the reply's last or only a finished earlier one; the
   * renderer does not say which until the next part or the end. While the response_url has posts
   * to spare that does not matter, so it goes at once; otherwise it waits.
   */
  private async deliverIfSafe(index: number, phase: ReplyPhase): Promise<void> {
    if (phase === 'streaming') return;
    if (RESPONSE_URL_MAX_POSTS - this.responsePosts > 1) await this.deliver(index, false);
  }

  private async deliver(index: number, final: boolean): Promise<void> {
    if (this.delivered.has(index)) return;
    this.delivered.add(index);
    await this.send(slackText(this.texts[index]!, this.options.logger), final);
  }

  /**
   * One part to the asker: the response_url while it has posts to spare (its last one only for the
   * final part), chat.postEphemeral otherwise. What neither could take joins the final post.
   */
  private async send(text: string, final: boolean): Promise<void> {
    const spare = RESPONSE_URL_MAX_POSTS - this.responsePosts;
    if (spare > 1 || (final && spare === 1)) {
      const parts = [...this.undelivered.splice(0), text];
      this.responsePosts += 1;
      await this.options.respond({
        response_type: 'ephemeral',
        replace_original: false,
        text: fitted(parts),
      });
      return;
    }
    if (this.undelivered.length === 0 && this.options.postEphemeral) {
      try {
        await this.options.postEphemeral(text);
        return;
      } catch (error) {
        // Not in the channel, or a private channel the bot cannot see: the response_url is left.
        this.options.logger?.warn({ err: error }, 'chat.postEphemeral failed for a private answer');
      }
    }
    this.undelivered.push(text);
    if (final) this.options.logger?.error('a private answer outgrew its response_url; its end was not shown');
  }
}

/** What one post can carry of the parts left; says so when the rest did not fit. */
function fitted(parts: string[]): string {
  const joined = parts.join('\n\n');
  if (joined.length <= SLACK_TEXT_CEILING) return joined;
  return `${joined.slice(0, SLACK_TEXT_CEILING - CUT_NOTE.length)}${CUT_NOTE}`;
}
