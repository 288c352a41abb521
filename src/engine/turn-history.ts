/**
 * The history side of a turn: before the answer, which prompt is being answered (new, regenerate,
 * edit) and the messages sent upstream within the budget; after it, one write of the whole turn.
 */
import type { Config } from '../config.js';
import { LockLostError, UserInputError } from '../errors.js';
import type { Logger } from '../log.js';
import type { HeldLock, PlatformName, SettingsScope, Store, Turn } from '../store/types.js';
import type { Usage } from '../upstream/types.js';
import { buildMessages } from './build-request.js';
import { describeError } from './describe-error.js';
import { fitHistory } from './history-budget.js';
import type { AttachmentResolver, IncomingTurn, ReplySink } from './types.js';

export interface TurnContext {
  store: Store;
  config: Config;
  settings(scope: SettingsScope): Promise<{ model: string; systemPrompt: string }>;
  resolverFor(platform: PlatformName): AttachmentResolver | undefined;
}

/** Loads history, picks the prompt being answered by mode, and builds the upstream messages. */
export async function prepareTurn(
  context: TurnContext,
  turn: IncomingTurn,
  mode: IncomingTurn['mode'],
  signal: AbortSignal,
) {
  // Independent reads, at once: one store round trip fewer before the upstream slot is asked for.
  const [history, settings] = await Promise.all([
    context.store.history.load(turn.key),
    context.settings(turn.key),
  ]);
  let earlier = history;
  let userTurn: Turn = {
    role: 'user',
    text: turn.text,
    attachments: turn.attachments,
    author: turn.author,
    messageIds: turn.messageIds,
    createdAt: Date.now(),
  };
  if (mode === 'regenerate') {
    const lastUser = history.findLastIndex((t) => t.role === 'user');
    if (lastUser < 0)
      throw new UserInputError('bad_argument', 'There is nothing to regenerate in this conversation yet.');
    userTurn = history[lastUser]!;
    earlier = history.slice(0, lastUser);
  } else if (mode === 'edit') {
    const edited = history.findIndex(
      (t) => t.role === 'user' && t.messageIds.includes(turn.messageIds[0] ?? ''),
    );
    if (edited >= 0) earlier = history.slice(0, edited);
  }

  const built = await buildMessages({
    systemPrompt: settings.systemPrompt,
    turns: fitHistory([...earlier, userTurn], context.config.history, context.config.attachments),
    resolveFor: (ref) => context.resolverFor(ref.platform),
    limits: context.config.attachments,
    signal,
  });
  return {
    model: turn.model ?? settings.model,
    // Saved in place of the prompt sent (see IncomingTurn.historyText); a regenerate keeps its own.
    userTurn:
      mode !== 'regenerate' && turn.historyText !== undefined
        ? { ...userTurn, text: turn.historyText }
        : userTurn,
    messages: built.messages,
    skipped: built.skipped,
    omittedOlder: built.omittedOlder,
  };
}

/**
 * Writes the user turn and its answer in one append (regenerate: the answer replaces the last one;
 * edit: both replace the edited turn and what followed), fenced by the conversation lock: a holder
 * whose lock expired and passed on writes nothing. A failed write loses both halves, never one,
 * and the user is told the answer was not kept.
 */
export async function saveTurn(
  store: Store,
  turn: IncomingTurn,
  mode: IncomingTurn['mode'],
  userTurn: Turn,
  answer: Turn,
  usage: Usage | undefined,
  sink: ReplySink,
  log: Logger,
  lock: HeldLock,
): Promise<void> {
  try {
    if (mode === 'regenerate') {
      await store.history.append(turn.key, [answer], { replaceLastAssistant: true, lock });
    } else if (mode === 'edit') {
      await store.history.append(turn.key, [userTurn, answer], {
        replaceFromMessage: turn.messageIds[0],
        lock,
      });
    } else {
      await store.history.append(turn.key, [userTurn, answer], { lock });
    }
  } catch (error) {
    if (error instanceof LockLostError)
      log.warn({ err: error }, 'late save refused: the conversation lock was lost');
    else log.error({ err: error }, 'could not save the turn to history');
    await sink
      .notice?.(`${describeError(error)} This answer was not saved to the conversation.`)
      .catch(() => undefined);
    return;
  }
  if (usage) {
    await store.usage.add(turn.key, turn.author.id, usage).catch((error: unknown) => {
      log.warn({ err: error }, 'could not count the usage of this turn');
    });
  }
}
