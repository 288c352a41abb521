/**
 * Allow and block lists, shared by every platform. Block lists win over allow lists; an empty allow
 * list allows everyone. DMs follow ALLOW_DMS (off by default once ALLOW_CHANNELS is set, see config.ts);
 * a Discord DM carries the roles its sender holds in the guilds the bot shares with them. The per-user rate limit is not here: it needs the store and lives in the engine.
 */
import type { Config } from '../config.js';
import { RefusedError } from '../errors.js';

export interface AccessSubject {
  userId: string;
  /** Discord role ids; Slack has none. In a Discord DM: the user's roles in the guilds shared with the bot. */
  roleIds?: string[];
  /** A Discord DM whose sender's guild membership could not be looked up. */
  membershipUnknown?: boolean;
  /** A Discord DM from someone who is in none of the guilds the bot serves (ALLOW_GUILDS). */
  outsideServedGuilds?: boolean;
  /** The channel and, for a thread, its parent: a rule on either applies. */
  channelIds: string[];
  isDm: boolean;
}

export function checkAccess(policy: Config['access'], who: AccessSubject): RefusedError | undefined {
  const roles = who.roleIds ?? [];
  const blocked =
    policy.blockUsers.includes(who.userId) ||
    roles.some((role) => policy.blockRoles.includes(role)) ||
    who.channelIds.some((channel) => policy.blockChannels.includes(channel));
  if (blocked) return new RefusedError('blocked', 'Sorry, you are not allowed to use this bot here.');
  // Role lists and ALLOW_GUILDS must not be dodged by writing where no roles show (a DM).
  const dmNeedsMembership =
    policy.allowRoles.length > 0 || policy.blockRoles.length > 0 || policy.allowGuilds.length > 0;
  if (who.isDm && who.membershipUnknown && dmNeedsMembership) {
    return new RefusedError(
      'blocked',
      'I cannot check your server membership right now, so I cannot answer this direct message. Please try again later or ask in a server channel.',
    );
  }
  if (who.isDm && who.outsideServedGuilds) {
    return new RefusedError('blocked', 'This bot only answers members of the servers it serves.');
  }

  if (who.isDm && !policy.allowDms) {
    return new RefusedError(
      'dms_disabled',
      'This bot does not answer direct messages. Mention it in a channel instead.',
    );
  }
  if (policy.allowUsers.length > 0 || policy.allowRoles.length > 0) {
    const allowed =
      policy.allowUsers.includes(who.userId) || roles.some((role) => policy.allowRoles.includes(role));
    if (!allowed) return new RefusedError('blocked', 'Sorry, you are not allowed to use this bot.');
  }
  if (!who.isDm && policy.allowChannels.length > 0) {
    if (!who.channelIds.some((channel) => policy.allowChannels.includes(channel))) {
      return new RefusedError('blocked', 'This bot is not enabled in this channel.');
    }
  }
  return undefined;
}
