/**
 * The Block Kit of a reply message: the answer as Slack's markdown block (markdown-blocks.ts), then
 * Stop while it streams or Regenerate once it has ended.
 */
import type { types } from '@slack/bolt';
import type { ReplyPhase } from '../../engine/types.js';
import type { Logger } from '../../log.js';
import type { ConversationKey } from '../../store/types.js';
import { markdownBlocks } from './markdown-blocks.js';

export const STOP_ACTION_ID = 'gemini_stop';
export const REGENERATE_ACTION_ID = 'gemini_regenerate';

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

/** Blocks for a reply message showing `markdown` in `phase`; `withButtons` false for earlier parts of a long reply. */
export function replyBlocks(
  markdown: string,
  phase: ReplyPhase,
  key: ConversationKey,
  withButtons = true,
  logger?: Logger,
): types.KnownBlock[] {
  const blocks: types.KnownBlock[] = markdownBlocks(markdown, logger);
  const button = buttonFor(phase, key);
  if (withButtons && button) blocks.push({ type: 'actions', block_id: 'reply_actions', elements: [button] });
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
