/**
 * A reply only the asker sees (`/ask --private …`). Ephemeral messages cannot be edited with
 * chat.update and a `response_url` takes at most 5 posts in 30 minutes, so this sink streams
 * nothing: it keeps the newest text and sends the finished answer once through the response_url.
 */
import type { RespondFn } from '@slack/bolt';
import type { ReplyPhase, ReplySink, SinkLimits } from '../../engine/types.js';
import { SLACK_MAX_MESSAGE_LENGTH, slackText } from './update-sink.js';

export class EphemeralAnswerSink implements ReplySink {
  // One final message: the renderer may still split, each part is one response_url post.
  readonly limits: SinkLimits = { maxMessageLength: SLACK_MAX_MESSAGE_LENGTH, editIntervalMs: 1_000 };
  private readonly texts: string[] = [];
  private readonly sent = new Set<number>();

  constructor(private readonly respond: RespondFn) {}

  async post(text: string, phase: ReplyPhase): Promise<string> {
    this.texts.push(text);
    const index = this.texts.length - 1;
    await this.flushFinished(phase);
    return `ephemeral:${index}`;
  }

  async edit(messageId: string, text: string, phase: ReplyPhase): Promise<void> {
    const index = Number(messageId.split(':')[1]);
    this.texts[index] = text;
    await this.flushFinished(phase);
  }

  async notice(text: string): Promise<void> {
    await this.respond({ response_type: 'ephemeral', replace_original: false, text: slackText(text) });
  }

  /** Sends every part that can no longer change: all of them once the reply has ended. */
  private async flushFinished(phase: ReplyPhase): Promise<void> {
    const finishedUpTo = phase === 'streaming' ? this.texts.length - 1 : this.texts.length;
    for (let index = 0; index < finishedUpTo; index++) {
      if (this.sent.has(index)) continue;
      this.sent.add(index);
      await this.respond({
        response_type: 'ephemeral',
        replace_original: false,
        text: slackText(this.texts[index]!),
      });
    }
  }
}
