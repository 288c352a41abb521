/**
 * Runs turns for the Discord adapter and its commands: checks the allow/block lists, hands the
 * turn to the engine, shows a refusal the way Discord does (inline or ephemeral), and remembers
 * which prompt messages are being answered right now, so an edit of a prompt can cancel its reply.
 */
import type { Config } from '../../config.js';
import { checkAccess } from '../../engine/access.js';
import type { ConversationEngineApi, HandleTurnOptions } from '../../engine/conversation-engine-api.js';
import { describeError } from '../../engine/describe-error.js';
import type { IncomingTurn, ReplySink, TurnOutcome } from '../../engine/types.js';
import { RefusedError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { type ConversationKey, conversationId } from '../../store/types.js';
import type { DmMembership } from './dm-membership.js';

/** Who is asking and where, for the allow/block lists. */
export interface AccessFacts {
  userId: string;
  roleIds: string[];
  /** The channel and, for a thread, its parent. */
  channelIds: string[];
  isDm: boolean;
}

/** Looks up a DM sender's membership in the served guilds (see dm-membership.ts). */
export type MembershipLookup = (userId: string) => Promise<DmMembership>;

interface RunningTurn {
  key: ConversationKey;
  /** The turn being answered (an update of its prompt message is compared with it). */
  turn: IncomingTurn;
  done: Promise<TurnOutcome>;
}

export class DiscordTurnRunner {
  private readonly running = new Map<string, RunningTurn>();
  /**
   * Reply messages of running turns → their conversation. History links a reply to its
   * conversation only once the turn is saved, a moment after the reply looks finished; a quick
   * reply to it in that moment must still continue the same conversation.
   */
  private readonly replies = new Map<string, ConversationKey>();
  /** Who asked the answer being written in each conversation (by conversation id), for Stop. */
  private readonly askers = new Map<string, string>();

  constructor(
    readonly engine: ConversationEngineApi,
    private readonly access: Config['access'],
    private readonly logger: Logger,
    private readonly membership?: MembershipLookup,
  ) {}

  /**
   * The refusal for this user here, or undefined when they may use the bot. A DM is judged by the
   * user's roles in the served guilds whenever role lists or ALLOW_GUILDS are set.
   */
  async refusal(who: AccessFacts): Promise<RefusedError | undefined> {
    const { allowRoles, blockRoles, allowGuilds } = this.access;
    const needsMembership = allowRoles.length > 0 || blockRoles.length > 0 || allowGuilds.length > 0;
    if (!who.isDm || !needsMembership || !this.membership) return checkAccess(this.access, who);
    try {
      const found = await this.membership(who.userId);
      return checkAccess(this.access, {
        ...who,
        roleIds: found.roleIds,
        outsideServedGuilds: allowGuilds.length > 0 && found.guildCount === 0,
      });
    } catch (err) {
      this.logger.warn({ err, user: who.userId }, 'could not look up the guild roles of a DM sender');
      return checkAccess(this.access, { ...who, membershipUnknown: true });
    }
  }

  /** The person whose prompt is being answered in this conversation right now, if any. */
  askerOf(key: ConversationKey): string | undefined {
    return this.askers.get(conversationId(key));
  }

  /**
   * Answers a turn. A refusal by the engine (the per-user rate limit, an empty prompt, a model
   * that is not allowed) is shown through `showRefusal`, a quiet one (the rate limit again in the
   * same window) through `showQuietRefusal` when given; failures were already shown in the reply.
   */
  async run(
    turn: IncomingTurn,
    sink: ReplySink,
    showRefusal: (sentence: string) => Promise<unknown>,
    showQuietRefusal?: () => Promise<unknown>,
    options: HandleTurnOptions = {},
  ): Promise<TurnOutcome> {
    // A regenerated answer stays the original asker's (history's last prompt says who that is).
    const conversation = conversationId(turn.key);
    const tracked = turn.mode !== 'regenerate';
    if (tracked) this.askers.set(conversation, turn.author.id);
    const done = this.engine.handleTurn(turn, sink, options).then(async (outcome) => {
      if (outcome.status === 'refused') await this.show(outcome.error, showRefusal, showQuietRefusal);
      return outcome;
    });
    const entry = { key: turn.key, turn, done };
    for (const id of turn.messageIds) this.running.set(id, entry);
    try {
      return await done;
    } finally {
      if (tracked && this.askers.get(conversation) === turn.author.id) this.askers.delete(conversation);
      for (const id of turn.messageIds) if (this.running.get(id) === entry) this.running.delete(id);
      for (const [id, key] of this.replies) if (key === turn.key) this.replies.delete(id);
    }
  }

  /**
   * The per-user rate limit, checked before the adapter creates anything for a turn (a thread), so
   * a spammer opens nothing. False when refused (shown already); then run() with `rateLimitChecked`.
   * Without `showQuietRefusal` (an interaction, which must be answered) every refusal is spoken.
   * With `workspace`, a used-up spend budget there refuses too (a thread must not open for it).
   */
  async withinRateLimit(
    userId: string,
    showRefusal: (sentence: string) => Promise<unknown>,
    showQuietRefusal?: () => Promise<unknown>,
    workspace?: string,
  ): Promise<boolean> {
    const refusal = await this.engine
      .rateLimit('discord', userId)
      .then((limited) =>
        limited || workspace === undefined
          ? limited
          : this.engine.budgetRefusal({ platform: 'discord', workspace }, userId),
      )
      .catch((error: unknown) => error as Error);
    if (!refusal) return true;
    if (!(refusal instanceof RefusedError)) this.logger.error({ err: refusal }, 'rate limit check failed');
    await this.show(refusal, showRefusal, showQuietRefusal);
    return false;
  }

  /**
   * A repeated rate-limit refusal under a message is only a reaction, so a spammer cannot make the
   * bot spam; an interaction still gets its (ephemeral) answer, or it would hang.
   */
  private async show(
    error: Error,
    showRefusal: (sentence: string) => Promise<unknown>,
    showQuietRefusal: (() => Promise<unknown>) | undefined,
  ): Promise<void> {
    const quiet = error instanceof RefusedError && error.quiet && showQuietRefusal;
    const shown = quiet ? showQuietRefusal() : showRefusal(describeError(error));
    await shown.catch((err: unknown) => this.logger.warn({ err }, 'could not show a refusal on Discord'));
  }

  /** For sinks: records a reply message of the turn answering `key` (see `replies`). */
  notePosted(key: ConversationKey, messageId: string): void {
    this.replies.set(messageId, key);
  }

  /** The conversation of a reply message still being written or saved, if any. */
  conversationOfReply(messageId: string): ConversationKey | undefined {
    return this.replies.get(messageId);
  }

  /** The turn answering this prompt message right now, if any. */
  runningFor(messageId: string): RunningTurn | undefined {
    return this.running.get(messageId);
  }
}
