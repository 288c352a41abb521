/**
 * A click on the feedback_buttons of a finished answer. Bolt has already acknowledged it (within
 * Slack's 3 seconds); the access lists are checked as for every other button, the rating is stored
 * through the engine by the message it was given on, and the user is told privately that it was
 * kept or changed, or why it could not be.
 */
import type { Config } from '../../config.js';
import { checkAccess } from '../../engine/access.js';
import type { ConversationEngineApi } from '../../engine/conversation-engine-api.js';
import { describeError } from '../../engine/describe-error.js';
import { UserInputError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { ratingOf } from './answer-actions.js';
import type { SlackReplies } from './reply.js';

const EMOJI = { positive: '👍', negative: '👎' } as const;

/** What a block_actions payload says about a feedback click. */
interface FeedbackClick {
  user?: { id?: string };
  channel?: { id?: string } | null;
  container?: { channel_id?: string; message_ts?: string; thread_ts?: string };
  message?: { ts?: string; thread_ts?: string };
}

/** Stores the clicking user's rating of the answer message and tells them. */
export async function rateFromAction(
  body: unknown,
  value: string | undefined,
  deps: { config: Config; engine: ConversationEngineApi; replies: SlackReplies; logger: Logger },
): Promise<void> {
  const click = body as FeedbackClick;
  const user = click.user?.id;
  const channel = click.container?.channel_id ?? click.channel?.id;
  const messageTs = click.container?.message_ts ?? click.message?.ts;
  const threadTs = click.container?.thread_ts ?? click.message?.thread_ts;
  const rating = ratingOf(value);
  if (!user || !channel || !messageTs || !rating) return;
  const tell = (text: string) => deps.replies.tellPrivately(channel, user, threadTs, text);
  const refusal = checkAccess(deps.config.access, {
    userId: user,
    channelIds: [channel],
    isDm: channel.startsWith('D'),
  });
  if (refusal) return tell(describeError(refusal));
  try {
    const write = await deps.engine.rateAnswer({
      platform: 'slack',
      messageId: messageTs,
      userId: user,
      rating,
    });
    await tell(
      write === 'changed'
        ? `Changed your rating to ${EMOJI[rating]}. Thanks for the feedback!`
        : `Thanks for the feedback! ${EMOJI[rating]}`,
    );
  } catch (error) {
    if (!(error instanceof UserInputError)) deps.logger.warn({ err: error }, 'could not store a rating');
    await tell(describeError(error));
  }
}
