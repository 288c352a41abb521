/**
 * Agent sessions (docs.slack.dev "Agent sessions"): a thread with the bot is a session whose status
 * Slack shows: "processing" (with Slack's own stop button) while a turn is answered, "active" once
 * the answer is done. agents.sessions.setStatus creates the session on first use, titled after the
 * prompt; a conversation started over in a thread that already has a session (after a reset) gets
 * its new title through agents.sessions.rename. Apps still on assistant_view are not agents: Slack
 * answers `not_allowed` and the workspace is not asked again (the assistant status still shows).
 * Failures never affect the answer: they are logged at debug level and forgotten.
 */
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../log.js';
import type { WorkspaceBudget } from './update-budget.js';
import { slackErrorCode } from './web-api.js';

/** Slack takes titles up to 200 characters; a session list shows far fewer, so keep them short. */
const TITLE_CHARS = 60;

/** Errors that mean this app (or workspace) has no agent sessions, not that one call failed. */
const NOT_AN_AGENT = new Set(['not_allowed', 'unknown_method', 'missing_scope', 'feature_not_enabled']);

/** A short session title from a prompt: one line, at most 60 characters, never empty. */
export function sessionTitle(prompt: string): string {
  const line = prompt.replace(/\s+/g, ' ').trim();
  if (!line) return 'Chat with Gemini';
  return line.length <= TITLE_CHARS ? line : `${line.slice(0, TITLE_CHARS - 1).trimEnd()}…`;
}

export interface SessionThread {
  workspace: string;
  channel: string;
  threadTs: string;
}

export class AgentSessions {
  private readonly notAgent = new Set<string>();

  constructor(
    private readonly client: WebClient,
    private readonly logger: Logger,
    /** Each call takes a token first, so a burst of turns in one workspace draws no 429. */
    private readonly budget: WorkspaceBudget,
  ) {}

  /**
   * The bot starts working on a turn. `firstPrompt` is set when the turn starts the conversation:
   * it titles a new session, and renames one that already had another title.
   */
  async processing(thread: SessionThread, who: { userId: string; firstPrompt?: string }): Promise<void> {
    const title = who.firstPrompt === undefined ? undefined : sessionTitle(who.firstPrompt);
    const result = await this.setStatus(thread, 'processing', {
      ...(title ? { title } : {}),
      initiator_user_id: who.userId,
    });
    if (title && result && result.title !== undefined && result.title !== title) {
      await this.call(thread, () =>
        this.client.agents.sessions.rename({ channel_id: thread.channel, thread_ts: thread.threadTs, title }),
      );
    }
  }

  /** The answer is done (or stopped, or failed): the session waits for the next message. */
  async active(thread: SessionThread): Promise<void> {
    await this.setStatus(thread, 'active');
  }

  private async setStatus(
    thread: SessionThread,
    status: 'processing' | 'active',
    extra: { title?: string; initiator_user_id?: string } = {},
  ): Promise<{ title?: string } | undefined> {
    return this.call(thread, () =>
      this.client.agents.sessions.setStatus({
        channel_id: thread.channel,
        thread_ts: thread.threadTs,
        status,
        ...extra,
      }),
    );
  }

  private async call<T>(thread: SessionThread, task: () => Promise<T>): Promise<T | undefined> {
    if (this.notAgent.has(thread.workspace)) return undefined;
    try {
      await this.budget.take(thread.workspace);
      // Another call may have learned, while this one waited, that sessions are not for this app.
      if (this.notAgent.has(thread.workspace)) return undefined;
      return await task();
    } catch (error) {
      const code = slackErrorCode(error);
      if (code && NOT_AN_AGENT.has(code)) {
        this.notAgent.add(thread.workspace);
        this.logger.info({ code }, 'no agent sessions here (an assistant_view app?); not asking again');
      } else {
        this.logger.debug({ code }, 'agent session status not set');
      }
      return undefined;
    }
  }
}
