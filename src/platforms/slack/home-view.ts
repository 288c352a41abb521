/**
 * The App Home's Home tab (views.publish): how to use the bot, the model and system prompt of the
 * channel the viewer is looking at, and the viewer's usage. It is built for one viewer: settings
 * appear only for a channel the access lists let them use the bot in (the same rule as
 * /gemini-system there), and a refused viewer sees only that. The system prompt is a plain_text
 * block, so whatever an admin wrote can neither format nor ping.
 */
import type { types } from '@slack/bolt';
import type { UsageTotals } from '../../store/types.js';
import type { SlackCommandNames } from './commands.js';

/** Slack's limit on a section's text. */
const SECTION_TEXT_LIMIT = 3_000;

export interface HomeViewInput {
  commands: SlackCommandNames;
  /** Set when the access lists refuse the viewer: the tab shows only this. */
  refusal?: string;
  /** The channel the viewer is looking at, with its settings, when they may see them. */
  channel?: { id: string; model: string; systemPrompt: string };
  usage: UsageTotals;
}

/** The Home tab view for one viewer. */
export function homeView(input: HomeViewInput): types.HomeView {
  const blocks: types.KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Gemini in Slack' } },
  ];
  if (input.refusal) {
    blocks.push(section(input.refusal));
    return { type: 'home', blocks };
  }
  const n = input.commands;
  blocks.push(
    section(
      [
        '*How to use it*',
        '• Mention me in a channel and I answer in a thread; reply in that thread to go on without mentioning me.',
        '• Message me in the Messages tab for a private conversation. Images, videos and text files work too.',
        `• ${n.ask} <question> asks in a channel; ${n.ask} --private <question> answers only you.`,
        `• ${n.model} and ${n.system} show (admins: set) a channel's model and system prompt; ${n.reset} forgets a conversation.`,
        `• ${n.usage} shows your token usage; ${n.help} shows this help anywhere.`,
        '• Stop (or Slack’s stop button) ends an answer; Regenerate answers again.',
      ].join('\n'),
    ),
    { type: 'divider' },
  );
  if (input.channel) {
    blocks.push(
      section(`*Where you are looking:* <#${input.channel.id}>\n*Model:* ${input.channel.model}`),
      section('*System prompt:*'),
      {
        type: 'section',
        text: { type: 'plain_text', text: cut(input.channel.systemPrompt || '(none)'), emoji: false },
      },
    );
  } else {
    blocks.push(section('_Open a channel beside this app to see its model and system prompt here._'));
  }
  blocks.push({ type: 'divider' }, section(`*Your usage:* ${formatTotals(input.usage)}`));
  return { type: 'home', blocks };
}

function section(mrkdwn: string): types.KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: cut(mrkdwn) } };
}

function cut(text: string): string {
  return text.length <= SECTION_TEXT_LIMIT ? text : `${text.slice(0, SECTION_TEXT_LIMIT - 1)}…`;
}

function formatTotals(totals: UsageTotals): string {
  const n = (value: number) => value.toLocaleString('en-US');
  return `${n(totals.requests)} requests, ${n(totals.totalTokens)} tokens (${n(totals.promptTokens)} prompt, ${n(totals.completionTokens)} completion)`;
}
