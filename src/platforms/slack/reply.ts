/**
 * Answering one turn in Slack: pick the reply sink (native streaming where the workspace offers it
 * and the reply is in a thread, else post-then-update), mirror the model's reasoning as the AI app
 * surface's "thinking" status, keep the thread's agent session "processing" while it works and
 * "active" afterwards, and show a refusal (rate limit, access) ephemerally to the asker.
 */
import type { WebClient } from '@slack/web-api';
import type { Config } from '../../config.js';
import type { ConversationEngineApi, HandleTurnOptions } from '../../engine/conversation-engine-api.js';
import { describeError } from '../../engine/describe-error.js';
import type { IncomingTurn, ReplySink, TurnOutcome } from '../../engine/types.js';
import { RefusedError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { conversationId } from '../../store/types.js';
import { AgentSessions, type SessionThread } from './agent-sessions.js';
import { NativeStreamingSupport, SlackNativeStreamSink } from './native-stream-sink.js';
import type { RecentConversations } from './recent-conversations.js';
import {
  AGENT_SESSION_BUDGET,
  APPEND_STREAM_BUDGET,
  type BudgetOptions,
  CHAT_UPDATE_BUDGET,
  STREAM_START_STOP_BUDGET,
  WorkspaceBudget,
} from './update-budget.js';
import { SlackUpdateSink } from './update-sink.js';
import { withRateLimitRetry } from './web-api.js';

/** Slack's name for ⏳, put on rate-limited messages after the window's one refusal. */
const RATE_LIMITED_REACTION = 'hourglass_flowing_sand';

/** What every reply in this process shares: the client, the per-workspace budgets, what streaming is known to work. */
export class SlackReplies {
  readonly updateBudget: WorkspaceBudget;
  readonly appendBudget: WorkspaceBudget;
  readonly streamBudget: WorkspaceBudget;
  readonly nativeSupport = new NativeStreamingSupport();
  /** Streams Slack stopped itself (its stop button), by message ts; the oldest are dropped past 10,000. */
  private readonly stoppedBySlack = new Set<string>();
  /** Agent session status of threads the bot answers in. */
  readonly sessions: AgentSessions;
  /** Who asked each reply being answered now (by conversation id), for Stop's "only the asker". */
  private readonly askers = new Map<string, string>();

  constructor(
    private readonly deps: {
      client: WebClient;
      engine: ConversationEngineApi;
      config: Config;
      logger: Logger;
      budgets?: {
        update?: BudgetOptions;
        append?: BudgetOptions;
        stream?: BudgetOptions;
        sessions?: BudgetOptions;
      };
      /** Native streams older than this are continued in a new message (tests shorten it). */
      maxStreamAgeMs?: number;
      /** Where each asker's latest answered thread per channel is kept (a bare /gemini-reset). */
      recent?: RecentConversations;
    },
  ) {
    this.updateBudget = new WorkspaceBudget(deps.budgets?.update ?? CHAT_UPDATE_BUDGET);
    this.appendBudget = new WorkspaceBudget(deps.budgets?.append ?? APPEND_STREAM_BUDGET);
    this.streamBudget = new WorkspaceBudget(deps.budgets?.stream ?? STREAM_START_STOP_BUDGET);
    this.sessions = new AgentSessions(
      deps.client,
      deps.logger,
      new WorkspaceBudget(deps.budgets?.sessions ?? AGENT_SESSION_BUDGET),
    );
  }

  /** Answers `turn` in `channel` (in `threadTs`, or top-level when undefined). Never throws. */
  async answer(
    turn: IncomingTurn,
    where: { channel: string; threadTs: string | undefined; assistantThread: boolean; userTeamId: string },
    options: Pick<HandleTurnOptions, 'transformContent'> = {},
  ): Promise<TurnOutcome> {
    const { client, engine, config, logger } = this.deps;
    const log = logger.child({ channel: where.channel, thread: where.threadTs });
    const target = {
      client,
      key: turn.key,
      channel: where.channel,
      userId: turn.author.id,
      models: engine.allowedModels,
      logger: log,
    };
    let sink: ReplySink;
    let onContent: ((delta: string) => void) | undefined;
    const native =
      config.slack?.nativeStreaming !== false &&
      where.threadTs !== undefined &&
      this.nativeSupport.isAvailable(turn.key.workspace);
    if (native && where.threadTs) {
      const streamSink = new SlackNativeStreamSink(
        { ...target, threadTs: where.threadTs },
        {
          recipientTeamId: where.userTeamId,
          support: this.nativeSupport,
          appendBudget: this.appendBudget,
          streamBudget: this.streamBudget,
          updateBudget: this.updateBudget,
          showReasoning: config.reasoningDisplay === 'text',
          stoppedBySlack: (ts) => this.stoppedBySlack.has(ts),
          ...(this.deps.maxStreamAgeMs ? { maxStreamAgeMs: this.deps.maxStreamAgeMs } : {}),
        },
      );
      onContent = (delta) => streamSink.noteContent(delta);
      sink = streamSink;
    } else {
      sink = new SlackUpdateSink({ ...target, threadTs: where.threadTs }, this.updateBudget);
    }

    const setStatus = (status: string) =>
      where.assistantThread && where.threadTs
        ? client.assistant.threads
            .setStatus({ channel_id: where.channel, thread_ts: where.threadTs, status })
            .catch((error: unknown) => log.debug({ err: error }, 'assistant status not set'))
        : undefined;

    // Not awaited: the placeholder (or stream) must not wait for Slack's session call.
    const session: SessionThread | undefined = where.threadTs
      ? { workspace: turn.key.workspace, channel: where.channel, threadTs: where.threadTs }
      : undefined;
    const began = session ? this.beginSession(session, turn) : undefined;

    // A regenerated answer stays the original asker's (history's last prompt says who that is).
    const id = conversationId(turn.key);
    const tracked = turn.mode !== 'regenerate';
    if (tracked) this.askers.set(id, turn.author.id);
    let outcome: TurnOutcome;
    try {
      outcome = await engine.handleTurn(turn, sink, {
        ...options,
        ...(onContent ? { onContent } : {}),
        onReasoningStatus: (text) => void setStatus(text ?? ''),
      });
    } finally {
      if (tracked && this.askers.get(id) === turn.author.id) this.askers.delete(id);
      if (session) await began!.then(() => this.sessions.active(session));
    }
    if (tracked && outcome.status === 'done') await this.rememberRecent(turn);
    if (outcome.status === 'refused') {
      if (outcome.error instanceof RefusedError && outcome.error.quiet)
        await this.reactQuietly(turn, where.channel);
      else
        await this.tellPrivately(where.channel, turn.author.id, where.threadTs, describeError(outcome.error));
    }
    return outcome;
  }

  /** A channel thread the asker was answered in becomes their most recent one there. */
  private async rememberRecent(turn: IncomingTurn): Promise<void> {
    const { key } = turn;
    const channelThread = key.thread !== key.channel && /^\d+\.\d+$/.test(key.thread);
    if (!channelThread || key.channel.startsWith('D') || !this.deps.recent) return;
    await this.deps.recent.remember(key, turn.author.id).catch((error: unknown) => {
      this.deps.logger.warn({ err: error }, 'could not remember the most recent conversation');
    });
  }

  /** Slack stopped these streams (agent_session_stopped): their replies must not start new ones. */
  noteStoppedBySlack(streamTs: string[]): void {
    for (const ts of streamTs) this.stoppedBySlack.add(ts);
    // Only streams in flight matter; a bound keeps a flood of events from growing the set.
    while (this.stoppedBySlack.size > 10_000)
      this.stoppedBySlack.delete(this.stoppedBySlack.values().next().value!);
  }

  /** Marks the thread's session processing; a turn that starts the conversation titles it. */
  private async beginSession(session: SessionThread, turn: IncomingTurn): Promise<void> {
    const startsConversation =
      (turn.mode ?? 'new') === 'new' && !(await this.deps.engine.hasConversation(turn.key).catch(() => true));
    await this.sessions.processing(session, {
      userId: turn.author.id,
      ...(startsConversation ? { firstPrompt: turn.text } : {}),
    });
  }

  /**
   * The rate limit again in the same window: the user was told once, so later messages only get
   * an ⏳ reaction (nothing for turns that are no message, such as a button press).
   */
  private async reactQuietly(turn: IncomingTurn, channel: string): Promise<void> {
    const [timestamp] = turn.messageIds;
    if (!timestamp || !/^\d+\.\d+$/.test(timestamp)) return;
    await this.deps.client.reactions
      .add({ channel, timestamp, name: RATE_LIMITED_REACTION })
      .catch((error: unknown) =>
        this.deps.logger.debug({ err: error }, 'could not react to a rate-limited message'),
      );
  }

  /** The person whose prompt is being answered in this conversation right now, if any. */
  askerOf(conversation: string): string | undefined {
    return this.askers.get(conversation);
  }

  /** An ephemeral line to one person (refusals, bad arguments). Failures are logged, not thrown. */
  async tellPrivately(
    channel: string,
    user: string,
    threadTs: string | undefined,
    text: string,
  ): Promise<void> {
    try {
      await withRateLimitRetry(() =>
        this.deps.client.chat.postEphemeral({
          channel,
          user,
          text,
          ...(threadTs ? { thread_ts: threadTs } : {}),
        }),
      );
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'could not send an ephemeral message');
    }
  }
}
