/**
 * The allow/block-list check for interactions the adapter's newer handlers answer (autocomplete,
 * message commands, their modals and buttons). It is the same check the slash commands and the
 * Stop/Regenerate buttons make (`DiscordTurnRunner.refusal`), fed with the same facts.
 */
import type { Interaction } from 'discord.js';
import type { RefusedError } from '../../errors.js';
import type { AccessFacts, DiscordTurnRunner } from './turns.js';

/** Who triggered an interaction and where: user, roles, channel (and a thread's parent), DM or not. */
export function accessFactsOf(interaction: Interaction): AccessFacts {
  const roles = interaction.member?.roles;
  const channel = interaction.channel;
  const parentId = channel?.isThread() ? channel.parentId : null;
  return {
    userId: interaction.user.id,
    roleIds: !roles ? [] : Array.isArray(roles) ? roles : [...roles.cache.keys()],
    channelIds: [...(interaction.channelId ? [interaction.channelId] : []), ...(parentId ? [parentId] : [])],
    isDm: !interaction.inGuild(),
  };
}

/**
 * The refusal for whoever triggered `interaction`, or undefined when they may use the bot. Async:
 * a DM (also a group DM reached through a user install) may need the sender's guild roles.
 */
export async function refusalFor(
  runner: DiscordTurnRunner,
  interaction: Interaction,
): Promise<RefusedError | undefined> {
  return runner.refusal(accessFactsOf(interaction));
}
