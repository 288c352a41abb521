/**
 * The conversation engine: one turn end to end, the same for every platform. An adapter hands it a
 * normalized `IncomingTurn` and a `ReplySink`; the engine checks the user's rate limit, takes the
 * conversation's lock (turns of one thread are answered one at a time, in order), builds the request
 * from history within the budget, streams the answer through the `ReplyRenderer` into the sink and
 * writes the user turn and the answer to history together, only when the answer is complete.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config.js';
import {
  BudgetExceededError,
  InterruptedByShutdownError,
  isAbort,
  LockLostError,
  RefusedError,
  TurnTimeoutError,
  UserInputError,
} from '../errors.js';
import type { Logger } from '../log.js';
import { LEASE_TTL_MS as LOCK_TTL_MS } from '../store/leases.js';
import {
  type ConversationKey,
  conversationId,
  type FeedbackRating,
  type FeedbackWrite,
  type HeldLock,
  type PlatformName,
  type SettingsScope,
  type Store,
  type Turn,
  type UsageTotals,
} from '../store/types.js';
import type { UpstreamClient, Usage } from '../upstream/types.js';
import { WaitingQueue } from '../waiting-queue.js';
import { type BudgetLine, type BudgetSubject, SpendBudgets } from './budgets.js';
import type { ConversationEngineApi } from './conversation-engine-api.js';
import { describeError } from './describe-error.js';
import { streamWithFallback } from './fallback.js';
import { type RateAnswerInput, rateAnswer } from './feedback.js';
import { ReplyRenderer } from './renderer.js';
import { prepareTurn, saveTurn, type TurnContext } from './turn-history.js';
import type { AttachmentResolver, ContentTransform, IncomingTurn, ReplySink, TurnOutcome } from './types.js';

export interface EngineDependencies {
  config: Config;
  upstream: UpstreamClient;
  store: Store;
  logger: Logger;
  observer?: EngineObserver;
  /** How long a crashed instance blocks a conversation (default 30 s; short in tests). */
  lockTtlMs?: number;
}

/** Hooks for metrics (src/ops): the engine reports, it does not know Prometheus. */
export interface EngineObserver {
  turnStarted?(platform: PlatformName): void;
  firstContent?(platform: PlatformName, msSinceStart: number): void;
  turnFinished?(
    platform: PlatformName,
    outcome: TurnOutcome['status'],
    info: { ms: number; usage?: Usage; edits: number; posts: number; rateLimits: number },
  ): void;
  /** A turn refused because a spend budget is used up. */
  budgetRefused?(platform: PlatformName, scope: BudgetLine['scope'], period: BudgetLine['period']): void;
  /** A turn answered by `to` because `from` failed before its first byte. */
  modelFallback?(from: string, to: string): void;
  /** A rating was stored or changed (a repeated click of the same rating is not reported). */
  feedback?(platform: PlatformName, rating: FeedbackRating): void;
  /** A catch-up summary was asked for (counted whether or not there was anything to summarize). */
  summaryRequested?(platform: PlatformName): void;
}

export interface HandleTurnOptions {
  signal?: AbortSignal;
  /** Called with a status while the model reasons, and with undefined once it writes (Slack's assistant status). */
  onReasoningStatus?: (text: string | undefined) => void;
  /** Every content delta as it arrives, for sinks that append rather than edit (the console). */
  onContent?: (delta: string) => void;
  /** Rewrites the answer as it streams, before it is shown and saved (a summary's citations). */
  transformContent?: ContentTransform;
  /** The adapter already counted this turn with `rateLimit` (before creating a thread for it). */
  rateLimitChecked?: boolean;
}

const RATE_WINDOW_MS = 60_000;
/** How long a rating waits for an answer still being saved before it looks again. */
const SAVE_WAIT_MS = 5_000;

export class ConversationEngine implements ConversationEngineApi {
  readonly allowedModels: string[];
  private readonly config: Config;
  private readonly upstream: UpstreamClient;
  private readonly store: Store;
  private readonly logger: Logger;
  private readonly observer: EngineObserver | undefined;
  private readonly resolvers = new Map<PlatformName, AttachmentResolver>();
  /** The reply streaming now in each conversation, so Stop can cancel it. */
  private readonly running = new Map<string, AbortController>();
  /** Turns whose answer is complete and is being shown as done and saved: no longer stoppable. */
  private readonly finishing = new Map<string, FinishingTurn>();
  /** Every turn past its checks, streaming or still waiting for the lock or the queue (shutdown). */
  private readonly inFlight = new Set<AbortController>();
  /** Shutdown waits here for the last turn in flight to end (`whenIdle`). */
  private readonly idleWaiters = new WaitingQueue();
  /** Every turn in flight by conversation and prompt message id, so an edit cancels only its own. */
  private readonly byPrompt = new Map<string, AbortController>();
  /** Tells this engine's stop requests apart from other instances' (it acts on its own at once). */
  private readonly instanceId = randomUUID();
  private readonly lockTtlMs: number;
  private readonly budgets: SpendBudgets;
  private accepting = true;

  constructor(deps: EngineDependencies) {
    this.config = deps.config;
    this.upstream = deps.upstream;
    this.store = deps.store;
    this.logger = deps.logger;
    this.observer = deps.observer;
    this.allowedModels = deps.config.models.allowed;
    this.lockTtlMs = deps.lockTtlMs ?? LOCK_TTL_MS;
    this.budgets = new SpendBudgets(deps.store.spend, deps.store.dedupe, deps.config.budgets);
    deps.store.stopSignals.subscribe((request) => {
      if (request.origin !== this.instanceId) this.cancel(request.conversation, request.messageId);
    });
  }

  registerResolver(platform: PlatformName, resolver: AttachmentResolver): void {
    this.resolvers.set(platform, resolver);
  }

  /** Answers one turn. Never throws: the outcome says what happened, failures were shown in the reply. */
  async handleTurn(
    turn: IncomingTurn,
    sink: ReplySink,
    options: HandleTurnOptions = {},
  ): Promise<TurnOutcome> {
    const id = conversationId(turn.key);
    const log = this.logger.child({ conversation: id, platform: turn.key.platform });
    const startedAt = Date.now();
    const mode = turn.mode ?? 'new';

    let refusal: TurnRefusal | undefined;
    try {
      refusal = await this.checkTurn(turn, mode, options.rateLimitChecked === true);
    } catch (error) {
      // The store failed while counting or looking up (rate limit, budget): a failure to show.
      return this.failBeforeReply(sink, error instanceof Error ? error : new Error(String(error)), log);
    }
    if (refusal) {
      const budget =
        refusal instanceof BudgetExceededError ? { scope: refusal.scope, period: refusal.period } : {};
      log.info({ code: refusal.code, user: turn.author.id, ...budget }, 'turn refused');
      return { status: 'refused', error: refusal };
    }
    if (!this.accepting) {
      const error = new RefusedError('shutting_down', 'the engine takes no new turns: shutting down');
      log.info({ code: error.code }, 'turn refused');
      return { status: 'refused', error };
    }

    this.observer?.turnStarted?.(turn.key.platform);
    const renderer = new ReplyRenderer(sink, {
      reasoningDisplay: this.config.reasoningDisplay,
      maxAnswerChars: this.config.maxAnswerChars,
      logger: log,
    });
    const controller = new AbortController();
    this.inFlight.add(controller);
    const promptKeys = turn.messageIds.map((messageId) => promptKey(id, messageId));
    for (const key of promptKeys) this.byPrompt.set(key, controller);
    const onLockLost = () => controller.abort(lock?.signal.reason);
    const onOuterAbort = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onOuterAbort, { once: true });
    // A whole turn is bounded: an endless reasoning phase must not hold the lock and slot forever.
    const turnTimeoutMs = this.config.turnTimeoutMs;
    const turnTimer = setTimeout(() => controller.abort(new TurnTimeoutError(turnTimeoutMs)), turnTimeoutMs);

    let lock: HeldLock | undefined;
    let releaseGate: (() => Promise<void>) | undefined;
    let usage: Usage | undefined;
    let sawContent = false;
    let traceId: string | undefined;
    try {
      await renderer.start();
      if (this.running.has(id)) renderer.status('Waiting for the previous answer in this thread…');
      lock = await this.store.locks.acquire(id, { ttlMs: this.lockTtlMs, signal: controller.signal });
      // A lost lock means another instance may be answering this conversation: stop at once.
      lock.signal.addEventListener('abort', onLockLost, { once: true });
      if (lock.signal.aborted) onLockLost();
      this.running.set(id, controller);

      const prepared = await prepareTurn(this.turnContext(), turn, mode, controller.signal);
      // Counted, not named: file names and URLs are the user's content.
      if (prepared.skipped.length > 0 || prepared.omittedOlder > 0) {
        log.info(
          { skipped: prepared.skipped.length, omittedOlder: prepared.omittedOlder },
          'attachments left out',
        );
      }
      for (const skipped of prepared.skipped) await sink.notice?.(skipped.reason).catch(() => undefined);

      releaseGate = await this.store.upstreamGate.acquire({
        signal: controller.signal,
        onQueued: (position) => renderer.status(`Queued: ${position} ahead of you…`),
      });
      let model = prepared.model;
      const stream = streamWithFallback(
        this.upstream,
        { model, messages: prepared.messages },
        {
          signal: controller.signal,
          onRetry: () => renderer.status('The model service is busy; retrying…'),
          onResponse: (info) => {
            traceId = info.traceId;
          },
        },
        this.config.models.fallbacks,
        (fallback, error) => {
          log.warn({ from: model, to: fallback, status: error.status, code: error.code }, 'model fallback');
          this.observer?.modelFallback?.(model, fallback);
          renderer.status(`${model} is unavailable; asking ${fallback}…`);
          renderer.footer(`_Answered by ${fallback}: ${model} was unavailable._`);
          model = fallback;
        },
      );
      let reasoningShown = false;
      for await (const event of stream) {
        if (event.type === 'reasoning') {
          if (!reasoningShown && !sawContent) options.onReasoningStatus?.('is thinking…');
          reasoningShown = true;
          renderer.reasoning(event.text);
        } else if (event.type === 'content') {
          if (!sawContent) {
            sawContent = true;
            if (reasoningShown) options.onReasoningStatus?.(undefined);
            this.observer?.firstContent?.(turn.key.platform, Date.now() - startedAt);
          }
          const shown = options.transformContent ? options.transformContent.push(event.text) : event.text;
          if (shown) options.onContent?.(shown);
          renderer.content(shown);
          // Past MAX_ANSWER_CHARS: leaving the loop closes the upstream request; the rest is not read.
          if (renderer.answerCut) break;
        } else if (event.type === 'usage') {
          usage = event.usage;
        }
      }
      const heldBack = options.transformContent?.end();
      if (heldBack) {
        options.onContent?.(heldBack);
        renderer.content(heldBack);
      }
      await releaseGate();
      releaseGate = undefined;
      // Spent whatever happens next (a lost lock, a failed save): charged now.
      if (usage) for (const notice of await this.chargeSpend(turn, usage, log)) renderer.footer(notice);
      // An instance frozen past the lock's TTL learns here that it lost it (its renewals did not
      // run): the reply ends interrupted, not done. The save below is fenced for the rest.
      if (!(await lock.confirm())) throw lock.signal.reason ?? new LockLostError();
      // The answer is whole: from the 'done' edit on (which shows Regenerate) the turn is only
      // being saved. A Stop now would throw a finished answer away, and Regenerate must queue.
      if (this.running.get(id) === controller) this.running.delete(id);
      this.finishing.set(id, finishingTurn(controller));

      const messageIds = await renderer.complete();
      const answer: Turn = {
        role: 'assistant',
        // The renderer holds the only copy of the answer: one rope per reply, not two.
        text: renderer.text,
        attachments: [],
        messageIds,
        createdAt: Date.now(),
        model,
        ...(usage ? { usage } : {}),
        ...(traceId ? { traceId } : {}),
      };
      await saveTurn(this.store, turn, mode, prepared.userTurn, answer, usage, sink, log, lock);
      log.info({ ms: Date.now() - startedAt, model, usage, traceId }, 'turn answered');
      this.finished(turn, 'done', startedAt, renderer, usage);
      return { status: 'done', messageIds, text: answer.text };
    } catch (caught) {
      // Whatever a timed-out wait threw (an AbortError, say), the turn failed for running too long;
      // aborted for a lost lock, it failed too: a failure to explain, not a Stop.
      const reason: unknown = controller.signal.reason;
      const timedOut = reason instanceof TurnTimeoutError && (caught === reason || isAbort(caught));
      const error = timedOut || reason instanceof LockLostError ? reason : caught;
      if (isAbort(error) && controller.signal.aborted) {
        const messageIds =
          reason instanceof InterruptedByShutdownError
            ? await renderer.fail(describeError(reason))
            : await renderer.stop();
        log.info({ ms: Date.now() - startedAt }, 'turn stopped');
        this.finished(turn, 'stopped', startedAt, renderer, usage);
        return { status: 'stopped', messageIds };
      }
      const err = error instanceof Error ? error : new Error(String(error));
      log.warn(
        { err, code: (err as { code?: string }).code, traceId: (err as { traceId?: string }).traceId },
        'turn failed',
      );
      const messageIds = await renderer.fail(describeError(err));
      this.finished(turn, 'failed', startedAt, renderer, usage);
      return { status: 'failed', messageIds, error: err };
    } finally {
      clearTimeout(turnTimer);
      if (sawContent === false) options.onReasoningStatus?.(undefined);
      options.signal?.removeEventListener('abort', onOuterAbort);
      lock?.signal.removeEventListener('abort', onLockLost);
      for (const key of promptKeys) if (this.byPrompt.get(key) === controller) this.byPrompt.delete(key);
      if (this.running.get(id) === controller) this.running.delete(id);
      const finished = this.finishing.get(id);
      if (finished?.controller === controller) {
        this.finishing.delete(id);
        finished.settle();
      }
      await releaseGate?.().catch(() => undefined);
      await lock?.release().catch((err: unknown) => log.warn({ err }, 'lock release failed'));
      // Last: shutdown closes the store once no turn is in flight, so the lock must be gone by then.
      this.inFlight.delete(controller);
      if (this.inFlight.size === 0) this.idleWaiters.admitAll();
    }
  }

  /** Counts a catch-up summary an adapter was asked for (the metrics' gcb_summaries_total). */
  countSummary(platform: PlatformName): void {
    this.observer?.summaryRequested?.(platform);
  }

  /**
   * Cancels the reply streaming in this conversation, on this instance or any other sharing the
   * store. With `messageId` (an edited prompt), only the turn answering that prompt, streaming or
   * still queued. False when nothing is running in the conversation.
   */
  async stop(key: ConversationKey, options: { messageId?: string } = {}): Promise<boolean> {
    const id = conversationId(key);
    if (this.cancel(id, options.messageId)) return true;
    // This instance holds the lock only to save a finished answer: nothing is left to stop.
    if (options.messageId === undefined && this.finishing.has(id) && !this.running.has(id)) return false;
    try {
      // Asked before publishing: the instance that stops the turn may release the lock at once.
      const runningElsewhere = await this.store.locks.isHeld(id);
      await this.store.stopSignals.publish({
        conversation: id,
        ...(options.messageId === undefined ? {} : { messageId: options.messageId }),
        origin: this.instanceId,
      });
      return runningElsewhere;
    } catch (err) {
      this.logger.warn({ err, conversation: id }, 'could not send the stop request to other instances');
      return false;
    }
  }

  /** Cancels a turn running on this instance; see `stop`. */
  private cancel(id: string, messageId: string | undefined): boolean {
    const controller =
      messageId === undefined ? this.running.get(id) : this.byPrompt.get(promptKey(id, messageId));
    if (!controller || this.finishing.get(id)?.controller === controller) return false;
    controller.abort(new DOMException('Stopped by the user', 'AbortError'));
    return true;
  }

  /** Shutdown, first step: from now on new turns are refused with `shutting_down`. */
  stopAccepting(): void {
    this.accepting = false;
  }

  /**
   * Shutdown past its grace period: cancels every turn in flight, streaming or waiting; streaming
   * replies end marked "Interrupted" with a note to ask again.
   */
  stopAll(): number {
    const reason = new InterruptedByShutdownError();
    for (const controller of this.inFlight) controller.abort(reason);
    return this.inFlight.size;
  }

  /** Turns past their checks and not yet finished: streaming, or waiting for the lock or a slot. */
  get turnsInFlight(): number {
    return this.inFlight.size;
  }

  /** Resolves true once no turn is in flight (at once if none is), false after `timeoutMs`. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.inFlight.size === 0) return Promise.resolve(true);
    return this.idleWaiters.wait({ timeoutMs });
  }

  isStreaming(key: ConversationKey): boolean {
    return this.running.has(conversationId(key));
  }

  get activeStreams(): number {
    return this.running.size;
  }

  async hasConversation(key: ConversationKey): Promise<boolean> {
    return (await this.store.history.load(key)).length > 0;
  }

  /**
   * A 👍/👎 click on an answer message: one rating per user and answer, a second click changes
   * it. Throws `UserInputError` when the message is no kept answer, `StoreUnavailableError` when
   * the store fails; both read well through `describeError`.
   */
  async rateAnswer(input: RateAnswerInput): Promise<FeedbackWrite> {
    const write = await this.whenSaved(() => rateAnswer(this.store, input, this.logger));
    if (write !== 'unchanged') this.observer?.feedback?.(input.platform, input.rating);
    return write;
  }

  /**
   * Runs `lookup` once more after the answers this instance is saving have been saved: the 'done'
   * edit shows the rating buttons a moment before the turn reaches history, and a click in that
   * moment must not read as "no longer kept". Bounded; with nothing being saved the refusal stands.
   */
  private async whenSaved<T>(lookup: () => Promise<T>): Promise<T> {
    try {
      return await lookup();
    } catch (error) {
      const gone = error instanceof UserInputError && error.code === 'answer_gone';
      if (!gone || this.finishing.size === 0) throw error;
      const saved = Promise.all([...this.finishing.values()].map((turn) => turn.saved));
      await Promise.race([saved, sleep(SAVE_WAIT_MS, undefined, { ref: false })]);
      return lookup();
    }
  }

  async reset(key: ConversationKey): Promise<void> {
    await this.store.history.reset(key);
  }

  async settings(scope: SettingsScope): Promise<{ model: string; systemPrompt: string }> {
    const stored = await this.store.settings.resolve(scope);
    return {
      model: stored.model ?? this.config.models.default,
      systemPrompt: stored.systemPrompt ?? this.config.systemPrompt,
    };
  }

  async setModel(scope: SettingsScope, model: string | null): Promise<void> {
    if (model !== null) this.assertModelAllowed(model);
    await this.store.settings.set(scope, { model });
  }

  async setSystemPrompt(scope: SettingsScope, prompt: string | null): Promise<void> {
    const value = prompt?.trim() ? prompt.trim() : null;
    await this.store.settings.set(scope, { systemPrompt: value });
  }

  /** Tokens of the conversation and of the user, and the user's and space's budgets this day and month. */
  async usage(
    key: ConversationKey,
    userId: string,
  ): Promise<{ conversation: UsageTotals; user: UsageTotals; budgets: BudgetLine[] }> {
    const [conversation, user, budgets] = await Promise.all([
      this.store.usage.forConversation(key),
      this.store.usage.forUser(key.platform, userId),
      this.budgets.report(budgetSubject(key, userId)),
    ]);
    return { conversation, user, budgets };
  }

  /** For a settings change (/model): throws the refusal, which the command shows. */
  assertModelAllowed(model: string): void {
    const refusal = this.modelRefusal(model);
    if (refusal) throw refusal;
  }

  private modelRefusal(model: string): UserInputError | undefined {
    if (this.allowedModels.includes(model)) return undefined;
    return new UserInputError(
      'model_not_allowed',
      `The model "${model}" is not available. Choose one of: ${this.allowedModels.join(', ')}.`,
    );
  }

  /**
   * Why this turn will not be answered, if it will not: returned like `checkAccess`'s refusal, to
   * be read, not caught. Throws only when the store fails (the rate limit and budgets live there).
   */
  private async checkTurn(
    turn: IncomingTurn,
    mode: IncomingTurn['mode'],
    rateLimitChecked: boolean,
  ): Promise<TurnRefusal | undefined> {
    if (mode !== 'regenerate' && !turn.text.trim() && turn.attachments.length === 0) {
      return new UserInputError(
        'empty_prompt',
        'Your message is empty. Write a question (or attach a file) for the bot.',
      );
    }
    const modelRefusal = turn.model ? this.modelRefusal(turn.model) : undefined;
    if (modelRefusal) return modelRefusal;
    const rateRefusal = rateLimitChecked
      ? undefined
      : await this.rateLimit(turn.key.platform, turn.author.id);
    return rateRefusal ?? this.budgetRefusal(turn.key, turn.author.id);
  }

  /**
   * The spend-budget refusal for `userId` in this space, if a budget is used up. handleTurn checks
   * it itself; an adapter that must know before it creates anything for a turn (a Discord thread)
   * asks first. Throws when the store fails.
   */
  async budgetRefusal(
    space: Pick<ConversationKey, 'platform' | 'workspace'>,
    userId: string,
  ): Promise<RefusedError | undefined> {
    const overBudget = await this.budgets.check({
      platform: space.platform,
      workspace: space.workspace,
      userId,
    });
    if (overBudget) this.observer?.budgetRefused?.(space.platform, overBudget.scope, overBudget.period);
    return overBudget;
  }

  /** Charges a turn's tokens to its budgets; the notices to end the answer with. Never throws. */
  private async chargeSpend(turn: IncomingTurn, usage: Usage, log: Logger): Promise<string[]> {
    try {
      return await this.budgets.record(budgetSubject(turn.key, turn.author.id), usage);
    } catch (err) {
      log.warn({ err }, 'could not charge this turn to the spend budgets');
      return [];
    }
  }

  /**
   * Counts one turn of `userId` against the per-user rate limit; past it, the refusal (quiet when
   * the user was already told in this window). handleTurn does this itself; an adapter that must
   * know before it creates anything for a turn (a Discord thread) calls it first and then passes
   * `rateLimitChecked`. Throws when the store fails.
   */
  async rateLimit(platform: PlatformName, userId: string): Promise<RefusedError | undefined> {
    const limit = this.config.access.ratePerMinute;
    if (limit <= 0) return undefined;
    const decision = await this.store.rateLimiter.hit(`user:${platform}:${userId}`, limit, RATE_WINDOW_MS);
    if (decision.allowed) return undefined;
    const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    return new RefusedError(
      'rate_limited',
      `You are sending messages faster than ${limit} per minute. Please wait ${seconds}s and try again.`,
      decision.retryAfterMs,
      { quiet: !(await this.firstRefusalInWindow(platform, userId, decision.retryAfterMs)) },
    );
  }

  /**
   * One spoken rate-limit refusal per user per window, remembered in the store so it holds across
   * instances; later ones are quiet. Without the store, speaking twice beats never speaking.
   */
  private firstRefusalInWindow(
    platform: PlatformName,
    userId: string,
    windowLeftMs: number,
  ): Promise<boolean> {
    return this.store.dedupe
      .claim(`rate-refused:${platform}:${userId}`, Math.max(1, windowLeftMs))
      .catch(() => true);
  }

  private turnContext(): TurnContext {
    return {
      store: this.store,
      config: this.config,
      settings: (scope) => this.settings(scope),
      resolverFor: (platform) => this.resolvers.get(platform),
    };
  }

  private async failBeforeReply(sink: ReplySink, error: Error, log: Logger): Promise<TurnOutcome> {
    log.error({ err: error }, 'turn failed before the reply started');
    const messageIds: string[] = [];
    try {
      messageIds.push(await sink.post(`⚠️ ${describeError(error)}`, 'interrupted'));
    } catch (postError) {
      log.warn({ err: postError }, 'could not tell the user about the failure');
    }
    return { status: 'failed', messageIds, error };
  }

  private finished(
    turn: IncomingTurn,
    outcome: TurnOutcome['status'],
    startedAt: number,
    renderer: ReplyRenderer,
    usage: Usage | undefined,
  ): void {
    this.observer?.turnFinished?.(turn.key.platform, outcome, {
      ms: Date.now() - startedAt,
      ...(usage ? { usage } : {}),
      edits: renderer.stats.edits,
      posts: renderer.stats.posts,
      rateLimits: renderer.stats.rateLimits,
    });
  }
}

/** What `checkTurn` returns for a turn it will not answer: the `refused` outcome's error. */
type TurnRefusal = RefusedError | UserInputError;

function budgetSubject(key: ConversationKey, userId: string): BudgetSubject {
  return { platform: key.platform, workspace: key.workspace, userId };
}

/** A turn whose answer is whole and is being shown as done and saved; `saved` settles when it ends. */
interface FinishingTurn {
  controller: AbortController;
  saved: Promise<void>;
  settle(): void;
}

function finishingTurn(controller: AbortController): FinishingTurn {
  let settle = () => {};
  const saved = new Promise<void>((resolve) => {
    settle = resolve;
  });
  return { controller, saved, settle };
}

/** The `byPrompt` key of a turn: its conversation and one of its prompt's message ids. */
function promptKey(conversation: string, messageId: string): string {
  return `${conversation}\n${messageId}`;
}
