/**
 * The modal a message shortcut opens (views.open): what the shortcut will do, the question for
 * "Ask Gemini about this", and an "Only me" box for a private answer. Where the answer belongs
 * travels in `private_metadata`, which Slack hands back with the view_submission.
 */
import type { types } from '@slack/bolt';

/** The message shortcuts the app declares (commands/slack-manifest.yaml, features.shortcuts). */
export const SHORTCUT_CALLBACK_IDS = ['explain_message', 'ask_about_message', 'summarize_thread'] as const;
export type ShortcutKind = (typeof SHORTCUT_CALLBACK_IDS)[number];

/** The callback_id of every shortcut modal; its view_submission is answered by SlackShortcuts. */
export const SHORTCUT_VIEW_ID = 'gemini_shortcut';
export const QUESTION_BLOCK = 'question';
export const VISIBILITY_BLOCK = 'visibility';
/** Every input in the modal uses this action_id inside its own block. */
export const INPUT_ACTION = 'value';
export const PRIVATE_OPTION = 'private';
const ONLY_ME = { text: { type: 'plain_text' as const, text: 'Only me' }, value: PRIVATE_OPTION };

/** Where a shortcut's answer goes: the message, and the thread it belongs to (its own ts for a root). */
export interface ShortcutTarget {
  kind: ShortcutKind;
  channel: string;
  messageTs: string;
  threadTs: string;
}

const WORDING: Record<ShortcutKind, { title: string; submit: string; intro: string }> = {
  explain_message: { title: 'Explain', submit: 'Explain', intro: 'Gemini will explain this message:' },
  ask_about_message: { title: 'Ask Gemini', submit: 'Ask', intro: 'Your question is about this message:' },
  summarize_thread: {
    title: 'Summarize thread',
    submit: 'Summarize',
    intro: 'Gemini will summarize the thread of this message:',
  },
};

/** Slack's plain_text in a context element; a long message is shown by its beginning only. */
const EXCERPT_LENGTH = 200;

export function shortcutModal(target: ShortcutTarget, messageText: string): types.ModalView {
  const wording = WORDING[target.kind];
  const excerpt = messageText.trim() || '(a message without text)';
  const blocks: types.KnownBlock[] = [
    { type: 'section', text: { type: 'plain_text', text: wording.intro } },
    {
      type: 'context',
      elements: [
        {
          type: 'plain_text',
          text: excerpt.length > EXCERPT_LENGTH ? `${excerpt.slice(0, EXCERPT_LENGTH - 1)}…` : excerpt,
        },
      ],
    },
  ];
  if (target.kind === 'ask_about_message') {
    blocks.push({
      type: 'input',
      block_id: QUESTION_BLOCK,
      label: { type: 'plain_text', text: 'Your question' },
      element: { type: 'plain_text_input', action_id: INPUT_ACTION, multiline: true, max_length: 3_000 },
    });
  }
  blocks.push({
    type: 'input',
    block_id: VISIBILITY_BLOCK,
    optional: true,
    label: { type: 'plain_text', text: 'Who sees the answer' },
    hint: { type: 'plain_text', text: 'Without this, the answer goes into the message’s thread.' },
    element: {
      type: 'checkboxes',
      action_id: INPUT_ACTION,
      options: [ONLY_ME],
      // A summary is for catching up: private unless the person chooses to share it.
      ...(target.kind === 'summarize_thread' ? { initial_options: [ONLY_ME] } : {}),
    },
  });
  return {
    type: 'modal',
    callback_id: SHORTCUT_VIEW_ID,
    private_metadata: JSON.stringify(target),
    title: { type: 'plain_text', text: wording.title },
    submit: { type: 'plain_text', text: wording.submit },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks,
  };
}

/** The target a submitted modal carries, or undefined when it is not one of ours. */
export function targetOf(privateMetadata: string | undefined): ShortcutTarget | undefined {
  try {
    const parsed = JSON.parse(privateMetadata ?? '') as Partial<ShortcutTarget>;
    const ts = (value: unknown) => typeof value === 'string' && /^\d+\.\d+$/.test(value);
    if (
      SHORTCUT_CALLBACK_IDS.includes(parsed.kind as ShortcutKind) &&
      typeof parsed.channel === 'string' &&
      /^[A-Z0-9]+$/.test(parsed.channel) &&
      ts(parsed.messageTs) &&
      ts(parsed.threadTs)
    ) {
      return parsed as ShortcutTarget;
    }
  } catch {
    // Not ours.
  }
  return undefined;
}
