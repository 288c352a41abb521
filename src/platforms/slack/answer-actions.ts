/**
 * The controls a finished Slack answer carries besides Regenerate: 👍 / 👎 as Slack's own
 * `feedback_buttons` in a `context_actions` block, and a `static_select` of the allowed models to
 * regenerate the answer with another one. The menu's option values name the conversation and the
 * model, so a choice works without any lookup, like the buttons' values.
 */
import type { types } from '@slack/bolt';
import type { ConversationKey, FeedbackRating } from '../../store/types.js';

export const FEEDBACK_ACTION_ID = 'gemini_feedback';
export const REGENERATE_MODEL_ACTION_ID = 'gemini_regenerate_model';
/** Slack's cap on the options of one static_select. */
const MAX_SELECT_OPTIONS = 100;
const RATING_VALUES: Record<FeedbackRating, string> = { positive: 'positive', negative: 'negative' };

/** 👍 / 👎 for the last message of a finished answer. */
export function feedbackBlock(): types.ContextActionsBlock {
  return {
    type: 'context_actions',
    block_id: 'reply_feedback',
    elements: [
      {
        type: 'feedback_buttons',
        action_id: FEEDBACK_ACTION_ID,
        positive_button: {
          text: { type: 'plain_text', text: '👍' },
          accessibility_label: 'Good answer',
          value: RATING_VALUES.positive,
        },
        negative_button: {
          text: { type: 'plain_text', text: '👎' },
          accessibility_label: 'Bad answer',
          value: RATING_VALUES.negative,
        },
      },
    ],
  };
}

/** The rating a feedback_buttons click carries; undefined for anything else. */
export function ratingOf(value: string | undefined): FeedbackRating | undefined {
  return value === 'positive' || value === 'negative' ? value : undefined;
}

/** "Regenerate with…" the allowed models (none when there is only one to choose). */
export function modelMenu(key: ConversationKey, models: readonly string[]): types.StaticSelect[] {
  if (models.length < 2) return [];
  return [
    {
      type: 'static_select',
      action_id: REGENERATE_MODEL_ACTION_ID,
      placeholder: { type: 'plain_text', text: 'Regenerate with…' },
      options: models.slice(0, MAX_SELECT_OPTIONS).map((model) => ({
        text: { type: 'plain_text', text: model },
        value: JSON.stringify({ channel: key.channel, thread: key.thread, model }),
      })),
    },
  ];
}

/** The conversation and model of a chosen menu option; undefined when it is not ours. */
export function decodeModelChoice(
  value: string | undefined,
): { channel: string; thread: string; model: string } | undefined {
  try {
    const parsed = JSON.parse(value ?? '') as Record<string, unknown>;
    const { channel, thread, model } = parsed;
    if (typeof channel === 'string' && typeof thread === 'string' && typeof model === 'string') {
      return { channel, thread, model };
    }
  } catch {
    // Not ours (or tampered with): ignore the choice.
  }
  return undefined;
}
