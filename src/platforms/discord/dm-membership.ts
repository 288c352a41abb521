/**
 * A DM carries no roles, so role lists (ALLOW_ROLES, BLOCK_ROLES) and the install scope
 * (ALLOW_GUILDS) judge it by the sender's member records in the guilds the bot shares with them.
 * Each lookup is one REST call per served guild (GET /guilds/{id}/members/{user}), never cached:
 * a role taken away counts from the next message.
 */
import { type Client, DiscordAPIError, RESTJSONErrorCodes } from 'discord.js';
import type { InstallScope } from '../../engine/install-scope.js';

export interface DmMembership {
  /** Role ids the user holds across the served guilds they are in. */
  roleIds: string[];
  /** How many served guilds they are a member of. */
  guildCount: number;
}

/** The user's roles in every served guild the bot is in. Throws when Discord cannot tell. */
export async function dmMembership(
  client: Client,
  userId: string,
  scope: InstallScope,
): Promise<DmMembership> {
  const guilds = [...client.guilds.cache.values()].filter((guild) => scope.includes(guild.id));
  const members = await Promise.all(
    guilds.map((guild) =>
      guild.members.fetch({ user: userId, force: true }).catch((error: unknown) => {
        if (error instanceof DiscordAPIError && error.code === RESTJSONErrorCodes.UnknownMember) return null;
        throw error;
      }),
    ),
  );
  const found = members.filter((member) => member !== null);
  return {
    roleIds: found.flatMap((member) => [...member.roles.cache.keys()]),
    guildCount: found.length,
  };
}
