/**
 * A 👍/👎 on an answer: find the answer by the platform message it was given on (the message link
 * history keeps), take the prompt it answered (the user turn before it), and store one rating per
 * user and answer message. The log line names the conversation, model, trace id and rating, never
 * the prompt or the answer.
 */
import { UserInputError } from '../errors.js';
import type { Logger } from '../log.js';
import {
  conversationId,
  type FeedbackRating,
  type FeedbackStore,
  type FeedbackWrite,
  type HistoryStore,
  type PlatformName,
} from '../store/types.js';

/** One click of a rating button. */
export interface RateAnswerInput {
  platform: PlatformName;
  /** The platform message the buttons are on (one of the answer's messages). */
  messageId: string;
  userId: string;
  rating: FeedbackRating;
}

const ANSWER_GONE =
  'That answer is no longer kept (it was regenerated, reset or is too old), so it cannot be rated.';

/** Stores the rating; `UserInputError('answer_gone')` when the message is no kept answer. */
export async function rateAnswer(
  stores: { history: HistoryStore; feedback: FeedbackStore },
  input: RateAnswerInput,
  logger: Logger,
): Promise<FeedbackWrite> {
  const key = await stores.history.findByMessage(input.platform, input.messageId);
  const turns = key ? await stores.history.load(key) : [];
  const index = turns.findIndex((t) => t.role === 'assistant' && t.messageIds.includes(input.messageId));
  if (!key || index < 0) throw new UserInputError('answer_gone', ANSWER_GONE);
  const answer = turns[index]!;
  const prompt = turns.slice(0, index).findLast((t) => t.role === 'user');
  const conversation = conversationId(key);
  const write = await stores.feedback.record({
    platform: input.platform,
    conversationId: conversation,
    messageId: input.messageId,
    userId: input.userId,
    rating: input.rating,
    ...(answer.model ? { model: answer.model } : {}),
    ...(answer.traceId ? { traceId: answer.traceId } : {}),
    prompt: prompt?.text ?? '',
    answer: answer.text,
    time: new Date().toISOString(),
  });
  logger.info(
    {
      conversation,
      platform: input.platform,
      rating: input.rating,
      write,
      model: answer.model,
      traceId: answer.traceId,
    },
    'answer rated',
  );
  return write;
}
