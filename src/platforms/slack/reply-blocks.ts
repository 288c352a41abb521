/**
 * The Block Kit of a reply message: the answer as Slack's markdown block (markdown-blocks.ts), then
 * Stop while it streams, Regenerate and New conversation once it has ended.
 */
import type { types } from '@slack/bolt';
import type { ReplyPhase } from '../../engine/types.js';
import type { Logger } from '../../log.js';
import type { ConversationKey } from '../../store/types.js';
import { feedbackBlock, modelMenu } from './answer-actions.js';
import { markdownBlocks } from './markdown-blocks.js';

export const STOP_ACTION_ID = 'gemini_stop';
export const REGENERATE_ACTION_ID = 'gemini_regenerate';
/** Forgets the thread's history: the next message there starts a new conversation. */
export const NEW_CONVERSATION_ACTION_ID = 'gemini_new_conversation';

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
 * Blocks for a reply message showing `markdown` in `phase`; `withButtons` false for earlier parts of
 * a long reply. A finished answer also gets 👍 / 👎 and, with several `models`, a regenerate menu.
 */
export function replyBlocks(
  markdown: string,
  phase: ReplyPhase,
  key: ConversationKey,
  withButtons = true,
  models: readonly string[] = [],
  logger?: Logger,
): types.KnownBlock[] {
  const blocks: types.KnownBlock[] = markdownBlocks(markdown, logger);
  if (withButtons && phase === 'done') blocks.push(feedbackBlock());
  const menu = phase === 'streaming' ? [] : modelMenu(key, models);
  if (withButtons) {
    blocks.push({
      type: 'actions',
      block_id: 'reply_actions',
      elements: [...buttonsFor(phase, key), ...menu],
    });
  }
  return blocks;
}

/** Stop while streaming; Regenerate and New conversation afterwards. */
export function buttonsFor(phase: ReplyPhase, key: ConversationKey): types.Button[] {
  const value = encodeButtonValue(key);
  const button = (action_id: string, text: string): types.Button => ({
    type: 'button',
    action_id,
    text: { type: 'plain_text', text },
    value,
  });
  if (phase === 'streaming') return [button(STOP_ACTION_ID, '⏹ Stop')];
  return [
    button(REGENERATE_ACTION_ID, '🔄 Regenerate'),
    button(NEW_CONVERSATION_ACTION_ID, '🆕 New conversation'),
  ];
}
