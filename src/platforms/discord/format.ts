/**
 * How replies look on Discord: the 2,000-character budget, the Stop/Regenerate/👍/👎 buttons and the
 * regenerate-with-model menu by phase,
 * the button ids that carry their conversation, and the short texts of the slash commands.
 * Discord renders Markdown itself (headings, lists, code fences), so the model's text goes out as
 * it is; only length and mentions need care, and mentions are neutralised by `allowed_mentions`.
 */
import {
  type APIActionRowComponent,
  type APIButtonComponentWithCustomId,
  type APIStringSelectComponent,
  ButtonStyle,
  ComponentType,
  StringSelectMenuBuilder,
} from 'discord.js';
import type { ReplyPhase } from '../../engine/types.js';
import type { ConversationKey, UsageTotals } from '../../store/types.js';

/** Discord's content limit (../../../docs/platform-limits.md). */
export const DISCORD_MAX_CONTENT = 2_000;
/** Headroom the renderer must leave: a fence reopened on a continuation and the status suffix. */
export const DISCORD_REPLY_LIMIT = DISCORD_MAX_CONTENT - 40;

/**
 * Mentions are never parsed: model output that says @everyone, <@id> or <@&role> shows as text and
 * notifies nobody. `repliedUser: false` keeps a reply from pinging the person it answers.
 */
export const NO_MENTIONS = { parse: [] as never[], repliedUser: false };

/** Stop, Regenerate, 👍 (`up`), 👎 (`down`), and the regenerate-with-model menu (`model`). */
export type ButtonAction = 'stop' | 'regen' | 'up' | 'down' | 'model';
const ACTIONS: readonly string[] = ['stop', 'regen', 'up', 'down', 'model'] satisfies ButtonAction[];
/** Discord's cap on the options of one select menu. */
const MAX_SELECT_OPTIONS = 25;

const CUSTOM_ID_PREFIX = 'gcb';

/**
 * A button id that names its conversation, so a press works without any lookup (Stop must work
 * before the reply reaches history). Discord allows 100 characters; three snowflakes fit.
 */
export function buttonId(action: ButtonAction, key: ConversationKey): string {
  return [CUSTOM_ID_PREFIX, action, key.workspace, key.channel, key.thread].join(':');
}

/** Reads a button id written by `buttonId`; undefined for anything else. */
export function parseButtonId(customId: string): { action: ButtonAction; key: ConversationKey } | undefined {
  const parts = customId.split(':');
  if (parts.length !== 5 || parts[0] !== CUSTOM_ID_PREFIX) return undefined;
  const [, action, workspace, channel, thread] = parts as [string, string, string, string, string];
  if (!ACTIONS.includes(action)) return undefined;
  return { action: action as ButtonAction, key: { platform: 'discord', workspace, channel, thread } };
}

/** Raw component JSON (an action row of buttons), as discord.js and the API accept it. */
export type ActionRowJson = APIActionRowComponent<APIButtonComponentWithCustomId>;

/** Stop while streaming; Regenerate once the reply is done, stopped or interrupted. */
export function replyComponents(phase: ReplyPhase, key: ConversationKey): ActionRowJson[] {
  if (phase === 'streaming') {
    return [
      {
        type: ComponentType.ActionRow,
        components: [
          {
            type: ComponentType.Button,
            style: ButtonStyle.Danger,
            label: 'Stop',
            custom_id: buttonId('stop', key),
            emoji: { name: '⏹️' },
          },
        ],
      },
    ];
  }
  return [
    {
      type: ComponentType.ActionRow,
      components: [
        {
          type: ComponentType.Button,
          style: ButtonStyle.Secondary,
          label: 'Regenerate',
          custom_id: buttonId('regen', key),
          emoji: { name: '🔄' },
        },
      ],
    },
  ];
}

/** An action row of buttons or of one string select menu. */
export type MessageRowJson = APIActionRowComponent<APIButtonComponentWithCustomId | APIStringSelectComponent>;

/**
 * The components of an answer's last message: Stop while streaming; afterwards Regenerate, with
 * 👍 / 👎 once the answer is whole (phase `done`), and a menu to regenerate on another of `models`
 * (the first 25) when there is more than one.
 */
export function answerComponents(
  phase: ReplyPhase,
  key: ConversationKey,
  models: readonly string[],
): MessageRowJson[] {
  const rows: MessageRowJson[] = replyComponents(phase, key);
  if (phase === 'streaming') return rows;
  if (phase === 'done') {
    rows[0]!.components.push(
      {
        type: ComponentType.Button,
        style: ButtonStyle.Secondary,
        custom_id: buttonId('up', key),
        emoji: { name: '👍' },
      },
      {
        type: ComponentType.Button,
        style: ButtonStyle.Secondary,
        custom_id: buttonId('down', key),
        emoji: { name: '👎' },
      },
    );
  }
  if (models.length > 1) {
    const menu = new StringSelectMenuBuilder()
      .setCustomId(buttonId('model', key))
      .setPlaceholder('Regenerate with another model…')
      .addOptions(models.slice(0, MAX_SELECT_OPTIONS).map((model) => ({ label: model, value: model })));
    rows.push({ type: ComponentType.ActionRow, components: [menu.toJSON()] });
  }
  return rows;
}

/** Cuts a text to Discord's limit (for short command answers; replies are split by the renderer). */
export function fitContent(text: string, max = DISCORD_MAX_CONTENT): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

const numberFormat = new Intl.NumberFormat('en-US');

/** The /usage answer: this conversation's and the user's own token totals. */
export function formatUsage(
  usage: { conversation: UsageTotals; user: UsageTotals },
  inConversation: boolean,
): string {
  const line = (label: string, t: UsageTotals) =>
    `**${label}:** ${numberFormat.format(t.totalTokens)} tokens in ${numberFormat.format(t.requests)} ` +
    `request${t.requests === 1 ? '' : 's'} (prompt ${numberFormat.format(t.promptTokens)}, ` +
    `answer ${numberFormat.format(t.completionTokens)}, reasoning ${numberFormat.format(t.reasoningTokens)})`;
  const lines = [line('You, everywhere', usage.user)];
  if (inConversation) lines.unshift(line('This conversation', usage.conversation));
  return lines.join('\n');
}

/** The /help text. */
export function helpText(models: readonly string[]): string {
  return [
    '**How to talk to me**',
    '• Mention me in a channel: I open a thread and answer there. Everything you write in that thread continues the conversation.',
    '• Reply to one of my messages to continue that conversation; DMs work too.',
    '• Attach images or videos with your prompt and I will look at them; text files are read inline.',
    '• Edit your last prompt and I answer the new version. **Stop** cancels an answer, **Regenerate** asks again (the menu below an answer asks another model), 👍/👎 tell the operators how it did.',
    '',
    '**Commands**',
    '`/ask` one question (add `private` to see the answer alone) · `/chat` open a thread · `/stop` cancel',
    '`/model` show or set the model here · `/system` the channel instructions · `/reset` forget this thread',
    '`/usage` tokens used · `/summarize` catch up on this channel, with links to the messages · `/help` this text',
    'On any message: **Apps → Explain**, **Translate** (into your language), **Ask Gemini** (your question about it) or **Summarize** (the conversation up to it).',
    '',
    `Models: ${models.map((m) => `\`${m}\``).join(', ')}`,
  ].join('\n');
}
