/**
 * Interactions that reach the bot only because a user installed the app to their own account:
 * from a server the bot is not in, or a DM between other people. There the bot has no channel to
 * send to, no threads and no history to read; everything goes through the interaction's webhook
 * (its response and at most 5 follow-ups), answers are private unless the user asked to share, and
 * where the server does not let members use external apps Discord shows them to the user only.
 */
import {
  ApplicationIntegrationType,
  type BaseInteraction,
  InteractionContextType,
  PermissionFlagsBits,
} from 'discord.js';
import type { ConversationKey } from '../../store/types.js';

/** Discord's follow-up cap per interaction for an app only the user installed. */
export const USER_INSTALL_MAX_FOLLOW_UPS = 5;

/** The workspace of conversations started through a user install: they belong to the user. */
export const USER_WORKSPACE = '@user';

/**
 * True when the bot can answer only through the interaction webhook: the server did not install
 * the app (only the user did) and this is not the bot's own DM.
 */
export function webhookOnly(interaction: BaseInteraction): boolean {
  const owners = interaction.authorizingIntegrationOwners;
  const serverInstalled = owners[ApplicationIntegrationType.GuildInstall] !== undefined;
  return !serverInstalled && interaction.context !== InteractionContextType.BotDM;
}

/**
 * True when Discord shows every response to the user only, whatever the bot asks: a user-installed
 * app in a server where the member lacks Use External Apps.
 */
export function forcedEphemeral(interaction: BaseInteraction): boolean {
  if (!webhookOnly(interaction) || !interaction.inGuild()) return false;
  return !interaction.memberPermissions?.has(PermissionFlagsBits.UseExternalApps);
}

/** A conversation started through a user install, keyed by the user and the interaction. */
export function keyForUserInstall(userId: string, interactionId: string): ConversationKey {
  return { platform: 'discord', workspace: USER_WORKSPACE, channel: userId, thread: interactionId };
}

/** How an answer to a webhook-only interaction is shown: privacy, conversation and sink limits. */
export interface WebhookAnswerPlan {
  isPrivate: boolean;
  key: ConversationKey;
  /** Discord's follow-up cap; set as the sink's `maxFollowUps`. */
  maxFollowUps: number;
  /** Whether a private answer may carry the Share button (not where Discord forces privacy). */
  shareable: boolean;
}

/**
 * The plan for answering `interaction` where only the user installed the app, or undefined when
 * the bot is in the server (or its DM) and answers as usual. Private unless the user asked to share
 * (`askedPrivate === false`), and private regardless where Discord forces it.
 */
export function webhookAnswerPlan(
  interaction: BaseInteraction,
  askedPrivate: boolean | null,
): WebhookAnswerPlan | undefined {
  if (!webhookOnly(interaction)) return undefined;
  const forced = forcedEphemeral(interaction);
  const isPrivate = forced || askedPrivate !== false;
  return {
    isPrivate,
    key: keyForUserInstall(interaction.user.id, interaction.id),
    maxFollowUps: USER_INSTALL_MAX_FOLLOW_UPS,
    shareable: isPrivate && !forced,
  };
}
