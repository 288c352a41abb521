/**
 * Runs turns for the Discord adapter and its commands: checks the allow/block lists, hands the
 * turn to the engine, shows a refusal the way Discord does (inline or ephemeral), and remembers
 * which prompt messages are being answered right now, so an edit of a prompt can cancel its reply.
 */
import type { Config } from '../../config.js';
import { checkAccess } from '../../engine/access.js';
import { describeError } from '../../engine/describe-error.js';
import type { ConversationEngine } from '../../engine/engine.js';
import type { IncomingTurn, ReplySink, TurnOutcome } from '../../engine/types.js';
import type { RefusedError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { ConversationKey } from '../../store/types.js';

/** Who is asking and where, for the allow/block lists. */
export interface AccessFacts {
  userId: string;
  roleIds: string[];
  /** The channel and, for a thread, its parent. */
  channelIds: string[];
  isDm: boolean;
}

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

  constructor(
    private readonly engine: ConversationEngine,
    private readonly access: Config['access'],
    private readonly logger: Logger,
  ) {}

  /** The refusal for this user here, or undefined when they may use the bot. */
  refusal(who: AccessFacts): RefusedError | undefined {
    return checkAccess(this.access, who);
  }

  /**
   * Answers a turn. A refusal by the engine (the per-user rate limit, an empty prompt, a model
   * that is not allowed) is shown through `showRefusal`; failures were already shown in the reply.
   */
  async run(
    turn: IncomingTurn,
    sink: ReplySink,
    showRefusal: (sentence: string) => Promise<unknown>,
  ): Promise<TurnOutcome> {
    const done = this.engine.handleTurn(turn, sink).then(async (outcome) => {
      if (outcome.status === 'refused') {
        await showRefusal(describeError(outcome.error)).catch((err: unknown) =>
          this.logger.warn({ err }, 'could not show a refusal on Discord'),
        );
      }
      return outcome;
    });
    const entry = { key: turn.key, turn, done };
    for (const id of turn.messageIds) this.running.set(id, entry);
    try {
      return await done;
    } finally {
      for (const id of turn.messageIds) if (this.running.get(id) === entry) this.running.delete(id);
      for (const [id, key] of this.replies) if (key === turn.key) this.replies.delete(id);
    }
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

  /** How many turns are being answered now. */
  get size(): number {
    return new Set(this.running.values()).size;
  }
}
