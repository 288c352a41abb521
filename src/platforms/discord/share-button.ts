/**
 * The Share button under a private answer (message commands, user installs): pressing it posts the
 * answer in the channel for everyone, through the button interaction's own webhook (so it works
 * where the bot is not in the server), and takes the button off the private copy. The text comes
 * from history, the whole answer even when it spans several messages. Only the person who asked
 * may share (the same access lists as every other surface apply first).
 */
import {
  type APIActionRowComponent,
  type APIButtonComponentWithCustomId,
  type ButtonInteraction,
  ButtonStyle,
  ComponentType,
  MessageFlags,
} from 'discord.js';
import { describeError } from '../../engine/describe-error.js';
import { splitMessage } from '../../engine/split.js';
import type { ReplyPhase } from '../../engine/types.js';
import type { ConversationKey, HistoryStore, Turn } from '../../store/types.js';
import { DISCORD_MAX_CONTENT, NO_MENTIONS, replyComponents } from './format.js';
import { refusalFor } from './interaction-access.js';
import { privateOwnerOf } from './normalize.js';
import type { DiscordTurnRunner } from './turns.js';
import { USER_INSTALL_MAX_FOLLOW_UPS, USER_WORKSPACE, webhookOnly } from './user-install.js';

const SHARE_PREFIX = 'gcb:share:';

/** The button id naming the answer's conversation (Discord allows 100 characters). */
export function shareButtonId(key: ConversationKey): string {
  return `${SHARE_PREFIX}${[key.workspace, key.channel, key.thread].join(':')}`;
}

/** The conversation of a Share button id, or undefined for any other id. */
export function parseShareButtonId(customId: string): ConversationKey | undefined {
  if (!customId.startsWith(SHARE_PREFIX)) return undefined;
  const parts = customId.slice(SHARE_PREFIX.length).split(':');
  if (parts.length !== 3 || parts.some((part) => part === '')) return undefined;
  const [workspace, channel, thread] = parts as [string, string, string];
  return { platform: 'discord', workspace, channel, thread };
}

/** Stop while the private answer streams; Share afterwards (none where Discord forbids sharing). */
export function privateAnswerComponents(
  shareable: boolean,
): (phase: ReplyPhase, key: ConversationKey) => Array<APIActionRowComponent<APIButtonComponentWithCustomId>> {
  return (phase, key) => {
    if (phase === 'streaming') return replyComponents(phase, key);
    if (!shareable) return [];
    return [
      {
        type: ComponentType.ActionRow,
        components: [
          {
            type: ComponentType.Button,
            style: ButtonStyle.Primary,
            label: 'Share',
            custom_id: shareButtonId(key),
            emoji: { name: '📣' },
          },
        ],
      },
    ];
  };
}

/** Refused to anyone but the person who asked (a private conversation: its owner). */
export const NOT_YOURS_TO_SHARE = 'Only the person who asked can share this answer.';

/**
 * Whether `userId` may post the answer of `key` for everyone: they asked its last prompt, and a
 * conversation that names its owner (a private /ask conversation, a user install's) is theirs.
 * The button sits on an ephemeral message only its owner sees; this also holds for a forged press.
 */
export function mayShare(userId: string, key: ConversationKey, history: readonly Turn[]): boolean {
  const owner = privateOwnerOf(key) ?? (key.workspace === USER_WORKSPACE ? key.channel : undefined);
  if (owner !== undefined && owner !== userId) return false;
  const asker = history.findLast((turn) => turn.role === 'user')?.author?.id;
  return asker === userId;
}

/** Posts the answer of `key` publicly, in as many messages as it needs (within Discord's caps). */
export async function shareAnswer(
  interaction: ButtonInteraction,
  key: ConversationKey,
  deps: { runner: DiscordTurnRunner; history: HistoryStore },
): Promise<void> {
  const refusal = await refusalFor(deps.runner, interaction);
  if (refusal) {
    await interaction.reply({ content: describeError(refusal), flags: MessageFlags.Ephemeral });
    return;
  }
  const history = await deps.history.load(key);
  if (!mayShare(interaction.user.id, key, history)) {
    await interaction.reply({ content: NOT_YOURS_TO_SHARE, flags: MessageFlags.Ephemeral });
    return;
  }
  const answer = history.findLast((turn) => turn.role === 'assistant');
  if (!answer?.text) {
    await interaction.reply({
      content: 'That answer is no longer available to share.',
      flags: MessageFlags.Ephemeral,
    });
    return;
  }
  // The private copy loses its button (one callback), then the public messages follow it.
  await interaction.update({ components: [] });
  const limit = webhookOnly(interaction) ? USER_INSTALL_MAX_FOLLOW_UPS : Number.POSITIVE_INFINITY;
  const parts = splitMessage(answer.text, DISCORD_MAX_CONTENT).slice(0, limit);
  for (const part of parts) await interaction.followUp({ content: part, allowedMentions: NO_MENTIONS });
}
