/**
 * What a platform adapter may ask of the engine, and nothing more: adapters depend on this
 * interface, never on the `ConversationEngine` class (test/architecture.test.ts holds them to it),
 * so the engine's shutdown and metrics controls stay with the composition roots (src/main.ts,
 * src/chat.ts) and an adapter can be driven by any engine that keeps this contract.
 */
import type { RefusedError } from '../errors.js';
import type {
  ConversationKey,
  FeedbackWrite,
  PlatformName,
  SettingsScope,
  UsageTotals,
} from '../store/types.js';
import type { BudgetLine } from './budgets.js';
import type { HandleTurnOptions } from './engine.js';
import type { RateAnswerInput } from './feedback.js';
import type { AttachmentResolver, IncomingTurn, ReplySink, TurnOutcome } from './types.js';

export type { HandleTurnOptions };

export interface ConversationEngineApi {
  /** MODELS_ALLOWED: what a model picker offers and `assertModelAllowed` accepts. */
  readonly allowedModels: readonly string[];
  /** How the engine fetches the files this platform's turns refer to. */
  registerResolver(platform: PlatformName, resolver: AttachmentResolver): void;
  /** Answers one turn into `sink`. Never throws: refusals come back in the outcome, unshown. */
  handleTurn(turn: IncomingTurn, sink: ReplySink, options?: HandleTurnOptions): Promise<TurnOutcome>;
  /**
   * Cancels the reply streaming in the conversation (on any instance sharing the store); with
   * `messageId`, only the turn answering that prompt. False when nothing was running there.
   */
  stop(key: ConversationKey, options?: { messageId?: string }): Promise<boolean>;
  /** A reply is streaming in this conversation on this instance. */
  isStreaming(key: ConversationKey): boolean;
  hasConversation(key: ConversationKey): Promise<boolean>;
  reset(key: ConversationKey): Promise<void>;
  /** The model and system prompt that apply in `scope` (thread, channel, then configuration). */
  settings(scope: SettingsScope): Promise<{ model: string; systemPrompt: string }>;
  /** `null` clears the override. Throws `UserInputError` for a model that is not allowed. */
  setModel(scope: SettingsScope, model: string | null): Promise<void>;
  setSystemPrompt(scope: SettingsScope, prompt: string | null): Promise<void>;
  /** Throws `UserInputError('model_not_allowed')` unless `model` is one of `allowedModels`. */
  assertModelAllowed(model: string): void;
  usage(
    key: ConversationKey,
    userId: string,
  ): Promise<{ conversation: UsageTotals; user: UsageTotals; budgets: BudgetLine[] }>;
  /**
   * The per-user rate limit, counted now, for an adapter that must know before it creates
   * anything for a turn (then `rateLimitChecked` on handleTurn). Throws when the store fails.
   */
  rateLimit(platform: PlatformName, userId: string): Promise<RefusedError | undefined>;
  /** The spend-budget refusal for this user in this space, if any. Throws when the store fails. */
  budgetRefusal(
    space: Pick<ConversationKey, 'platform' | 'workspace'>,
    userId: string,
  ): Promise<RefusedError | undefined>;
  /** A 👍/👎 click on an answer message. Throws `UserInputError` when the message is no kept answer. */
  rateAnswer(input: RateAnswerInput): Promise<FeedbackWrite>;
  /** Counts a catch-up summary the adapter was asked for (metrics). */
  countSummary(platform: PlatformName): void;
}
