/**
 * The 👍 / 👎 buttons of a finished answer. The press is acknowledged first (an ephemeral deferred
 * response, well within Discord's 3 seconds, whatever the store takes), then the rating is stored
 * through the engine and the user told, in one ephemeral line, that it was kept or changed, or why
 * it could not be. The buttons stay on the message for everyone else; the adapter has already made
 * the same access checks as for every other button.
 */
import { type ButtonInteraction, MessageFlags } from 'discord.js';
import type { ConversationEngineApi } from '../../engine/conversation-engine-api.js';
import { describeError } from '../../engine/describe-error.js';
import { UserInputError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { FeedbackRating } from '../../store/types.js';

const EMOJI: Record<FeedbackRating, string> = { positive: '👍', negative: '👎' };

/** Stores the presser's rating of the answer message the button is on, and says so. */
export async function rateFromButton(
  interaction: ButtonInteraction,
  rating: FeedbackRating,
  engine: ConversationEngineApi,
  log: Logger,
): Promise<void> {
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  let sentence: string;
  try {
    const write = await engine.rateAnswer({
      platform: 'discord',
      messageId: interaction.message.id,
      userId: interaction.user.id,
      rating,
    });
    sentence =
      write === 'changed'
        ? `Changed your rating to ${EMOJI[rating]}. Thanks for the feedback!`
        : `Thanks for the feedback! ${EMOJI[rating]}`;
  } catch (error) {
    if (!(error instanceof UserInputError)) log.warn({ err: error }, 'could not store a rating');
    sentence = describeError(error);
  }
  await interaction.editReply({ content: sentence });
}
