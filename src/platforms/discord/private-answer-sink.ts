/**
 * The sink of an answer only its asker sees (message commands, summaries): ephemeral through the
 * interaction webhook, with Share where the server allows it, and within Discord's follow-up limit
 * where only the user installed the app.
 */
import type { BaseInteraction } from 'discord.js';
import type { Logger } from '../../log.js';
import type { ConversationKey } from '../../store/types.js';
import { privateAnswerComponents } from './share-button.js';
import { type DeferredInteraction, InteractionSink } from './sink.js';
import type { DiscordTurnRunner } from './turns.js';
import { forcedEphemeral, USER_INSTALL_MAX_FOLLOW_UPS, webhookOnly } from './user-install.js';

export interface PrivateAnswerDependencies {
  runner: Pick<DiscordTurnRunner, 'notePosted'>;
  logger: Logger;
}

export function privateAnswerSink(
  interaction: DeferredInteraction & BaseInteraction,
  key: ConversationKey,
  deps: PrivateAnswerDependencies,
): InteractionSink {
  return new InteractionSink({
    interaction,
    key,
    ephemeral: true,
    components: privateAnswerComponents(!forcedEphemeral(interaction)),
    ...(webhookOnly(interaction) ? { maxFollowUps: USER_INSTALL_MAX_FOLLOW_UPS } : {}),
    onPosted: (id) => deps.runner.notePosted(key, id),
    logger: deps.logger,
  });
}
