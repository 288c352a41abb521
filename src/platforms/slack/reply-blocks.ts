/**
 * The Block Kit of a reply message: the answer as mrkdwn sections, then Stop while it streams or
 * Regenerate once it has ended. A section holds at most 3,000 characters (../shared/docs/platforms.md),
 * so a ~3,900-character message becomes two sections, split with code fences closed and reopened.
 */
import type { types } from '@slack/bolt';
import { splitMessage } from '../../engine/split.js';
import type { ReplyPhase } from '../../engine/types.js';
import type { ConversationKey } from '../../store/types.js';
import { feedbackBlock, modelMenu } from './answer-actions.js';

export const STOP_ACTION_ID = 'gemini_stop';
export const REGENERATE_ACTION_ID = 'gemini_regenerate';
/** Slack refuses a section whose text is longer than this. */
const SECTION_TEXT_LIMIT = 3_000;

/** What a reply button carries: enough to find the conversation again without any lookup. */
export interface ButtonValue {
  channel: string;
  thread: string;
}

export function encodeButtonValue(key: ConversationKey): string {
  return JSON.stringify({ channel: key.channel, thread: key.thread } satisfies ButtonValue);
}

export function decodeButtonValue(value: string | undefined): ButtonValue | undefined {
  try {
    const parsed = JSON.parse(value ?? '') as Partial<ButtonValue>;
    if (typeof parsed.channel === 'string' && typeof parsed.thread === 'string') {
      return { channel: parsed.channel, thread: parsed.thread };
    }
  } catch {
    // Not ours (or tampered with): ignore the click.
  }
  return undefined;
}

/**
 * Blocks for a reply message showing `mrkdwn` in `phase`; `withButtons` false for earlier parts of
 * a long reply. A finished answer also gets 👍 / 👎 and, with several `models`, a regenerate menu.
 */
export function replyBlocks(
  mrkdwn: string,
  phase: ReplyPhase,
  key: ConversationKey,
  withButtons = true,
  models: readonly string[] = [],
): types.KnownBlock[] {
  const blocks: types.KnownBlock[] = splitMessage(mrkdwn || ' ', SECTION_TEXT_LIMIT).map((text) => ({
    type: 'section',
    text: { type: 'mrkdwn', text, verbatim: true },
  }));
  if (withButtons && phase === 'done') blocks.push(feedbackBlock());
  const button = buttonFor(phase, key);
  const menu = phase === 'streaming' ? [] : modelMenu(key, models);
  if (withButtons && button) {
    blocks.push({ type: 'actions', block_id: 'reply_actions', elements: [button, ...menu] });
  }
  return blocks;
}

/** Stop while streaming, Regenerate afterwards. */
export function buttonFor(phase: ReplyPhase, key: ConversationKey) {
  const value = encodeButtonValue(key);
  if (phase === 'streaming') {
    return {
      type: 'button' as const,
      action_id: STOP_ACTION_ID,
      text: { type: 'plain_text' as const, text: '⏹ Stop' },
      value,
    };
  }
  return {
    type: 'button' as const,
    action_id: REGENERATE_ACTION_ID,
    text: { type: 'plain_text' as const, text: '🔄 Regenerate' },
    value,
  };
}
