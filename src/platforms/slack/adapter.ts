/**
 * Wires Bolt's events and block actions to the engine. Bolt acknowledges every event before the
 * listeners run (HTTP mode without processBeforeResponse), and the turn itself runs detached from
 * the listener, so Slack always gets its ack within 3 s, in Socket Mode as well.
 *
 * Which messages are turns: app_mention in channels; message.im in DMs; in a thread where the bot
 * has answered, later messages without a mention (SLACK_FOLLOW_THREADS). A mention arrives both as
 * app_mention and as a message event, and Slack redelivers events it thinks were not acked: both are
 * answered once, through claims in the store (shared by every instance) that last 15 minutes.
 *
 * The Agent messaging experience (src/platforms/slack/events.ts lists its events): opening the DM
 * sets its suggested prompts, the channel a user looks at is remembered (store.viewing), and
 * Slack's own stop button on a processing session is our Stop. Each goes through the access lists.
 */
import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Config, SuggestedPrompt } from '../../config.js';
import { checkAccess } from '../../engine/access.js';
import type { ConversationEngineApi } from '../../engine/conversation-engine-api.js';
import { describeError } from '../../engine/describe-error.js';
import { InstallScope } from '../../engine/install-scope.js';
import type { IncomingTurn } from '../../engine/types.js';
import type { Logger } from '../../log.js';
import { type ConversationKey, conversationId, type Store } from '../../store/types.js';
import type { SlackAdmins } from './admins.js';
import { decodeModelChoice, FEEDBACK_ACTION_ID, REGENERATE_MODEL_ACTION_ID } from './answer-actions.js';
import { DEFAULT_COMMAND_NAMES, type SlackCommandNames } from './commands.js';
import { rateFromAction } from './feedback-action.js';
import { homeView } from './home-view.js';
import {
  conversationKeyFor,
  ignoreReason,
  isDirectMessage,
  mentionsBot,
  messageDedupeId,
  type SlackMessageEvent,
  turnFromMessage,
} from './normalize.js';
import type { RecentConversations } from './recent-conversations.js';
import type { SlackReplies } from './reply.js';
import { decodeButtonValue, REGENERATE_ACTION_ID, STOP_ACTION_ID } from './reply-blocks.js';

/** Slack retries for about 5 minutes; claims outlive that with a margin (../../../docs/platform-limits.md). */
export const DEDUPE_TTL_MS = 15 * 60_000;

/** What a DM offers to start with when SLACK_SUGGESTED_PROMPTS is not set (the manifest's set too). */
export const SUGGESTED_PROMPTS: SuggestedPrompt[] = [
  { title: 'Explain a concept', message: 'Explain how HTTP caching works, with an example.' },
  { title: 'Summarize text', message: 'Summarize the following text in three bullet points:' },
  { title: 'Review code', message: 'Review this code and point out bugs:' },
];

export interface SlackAdapterDeps {
  app: App;
  /** The Web API client every part calls Slack with (the App's own, built with webClientOptions). */
  client: WebClient;
  config: Config;
  engine: ConversationEngineApi;
  store: Store;
  logger: Logger;
  replies: SlackReplies;
  /** Each asker's latest answered thread per channel (a bare /gemini-reset); the one replies records into. */
  recent?: RecentConversations;
  /** Filled once auth.test answered. */
  identity: { botUserId: string; teamId: string };
  /** ADMIN_USERS and workspace admins: they may change settings and press any reply's buttons. */
  admins: SlackAdmins;
}

/** The Stop button may stop only the asker's answer (or an admin any); Regenerate the same. */
const NOT_YOURS = 'Only the person who asked (or a workspace admin) can use this button.';

export class SlackAdapter {
  /** Turns running now, so stop() can wait for them. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly deps: SlackAdapterDeps) {}

  register(): void {
    const { app } = this.deps;
    // Install scope first: nothing from a team outside ALLOW_TEAMS is claimed, answered or sent upstream.
    const teams = new InstallScope(this.deps.config.access.allowTeams, 'team', this.deps.logger);
    app.use(async (args) => {
      if (teams.admits(teamOfRequest(args.body, args.context.teamId))) return args.next();
      // Commands and actions still need their ack (an empty one), or Slack shows a timeout error.
      const { ack } = args as { ack?: () => Promise<void> };
      await ack?.();
    });
    // Redeliveries (X-Slack-Retry-Num) carry the same event_id: drop them before any listener.
    app.use(async ({ body, next }) => {
      const eventId = (body as { event_id?: unknown }).event_id;
      if (typeof eventId === 'string' && !(await this.claim(`slack:event:${eventId}`))) {
        this.deps.logger.debug({ eventId }, 'duplicate event delivery ignored');
        return;
      }
      await next();
    });
    app.event('app_mention', async ({ event, body }) => {
      this.onMessage(event as unknown as SlackMessageEvent, teamOf(body, this.deps.identity.teamId), true);
    });
    app.event('message', async ({ event, body }) => {
      this.onMessage(event as unknown as SlackMessageEvent, teamOf(body, this.deps.identity.teamId), false);
    });
    app.event('assistant_thread_started', async ({ event }) => {
      this.detach(this.onAssistantThreadStarted(event.assistant_thread));
    });
    app.event('app_home_opened', async ({ event, body }) => {
      const team = teamOf(body, this.deps.identity.teamId);
      if (event.context) this.detach(this.rememberViewing(team, event.user, event.context));
      if (event.tab === 'messages') this.detach(this.offerPrompts(event.user, event.channel));
      const viewing = event.context?.entities?.find((entity) => entity.type === 'slack#/types/channel_id');
      if (event.tab === 'home')
        this.detach(this.publishHome(team, event.user, event.channel, viewing?.value));
    });
    app.event('app_context_changed', async ({ event, body }) => {
      this.detach(this.rememberViewing(teamOf(body, this.deps.identity.teamId), event.user, event.context));
    });
    app.event('agent_session_stopped', async ({ event, body }) => {
      const key: ConversationKey = {
        platform: 'slack',
        workspace: teamOf(body, this.deps.identity.teamId),
        channel: event.channel,
        thread: event.thread_ts,
      };
      // Slack has already stopped these streams, whoever pressed: no reply may continue them in a new one.
      this.deps.replies.noteStoppedBySlack(event.streaming_message_ts ?? []);
      this.detach(this.onSessionStopped(key, event.user));
    });
    app.action(STOP_ACTION_ID, async ({ ack, body, action }) => {
      await ack();
      const key = this.keyFromButton(body, (action as { value?: string }).value);
      const user = (body as { user?: { id?: string } }).user?.id;
      if (!key || !user) return;
      if (!(await this.mayPress(key, user))) return;
      if (!(await this.deps.engine.stop(key))) {
        await this.deps.replies.tellPrivately(
          key.channel,
          user,
          threadOf(key),
          'Nothing is being answered here right now.',
        );
      }
    });
    app.action(REGENERATE_ACTION_ID, async ({ ack, body, action }) => {
      await ack();
      const key = this.keyFromButton(body, (action as { value?: string }).value);
      await this.regenerate(body, action, key);
    });
    app.action(REGENERATE_MODEL_ACTION_ID, async ({ ack, body, action }) => {
      await ack();
      const choice = decodeModelChoice(
        (action as { selected_option?: { value?: string } }).selected_option?.value,
      );
      if (!choice) return;
      const key = this.keyFromButton(
        body,
        JSON.stringify({ channel: choice.channel, thread: choice.thread }),
      );
      await this.regenerate(body, action, key, choice.model);
    });
    app.action(FEEDBACK_ACTION_ID, async ({ ack, body, action }) => {
      await ack();
      this.detach(rateFromAction(body, (action as { value?: string }).value, this.deps));
    });
  }

  /** Regenerate (or the model menu, with `model`): the asker's last prompt answered again. */
  private async regenerate(
    body: unknown,
    action: unknown,
    key: ConversationKey | undefined,
    model?: string,
  ): Promise<void> {
    const user = (body as { user?: { id?: string; team_id?: string } }).user;
    if (!key || !user?.id) return;
    if (!(await this.mayPress(key, user.id))) return;
    if (model !== undefined && !this.deps.engine.allowedModels.includes(model)) {
      // A forged or outdated menu: the engine would refuse it too, but say so before anything runs.
      await this.deps.replies.tellPrivately(
        key.channel,
        user.id,
        threadOf(key),
        `The model "${model}" is not available. Choose one of: ${this.deps.engine.allowedModels.join(', ')}.`,
      );
      return;
    }
    const turn: IncomingTurn = {
      key,
      author: { id: user.id, name: user.id },
      text: '',
      attachments: [],
      messageIds: [`regenerate:${(action as { action_ts?: string }).action_ts ?? Date.now()}`],
      ...(model ? { model } : {}),
      mode: 'regenerate',
    };
    this.detach(
      this.run(turn, { isDm: key.channel.startsWith('D'), userTeamId: user.team_id ?? key.workspace }),
    );
  }

  /**
   * Whether `user` may press Stop or Regenerate on the reply of `key`: the access lists allow them
   * here, and they asked (the running turn, else the last prompt in history) or are an admin.
   * A refusal is told to them privately.
   */
  async mayPress(key: ConversationKey, user: string): Promise<boolean> {
    const { config, replies, store, admins, logger } = this.deps;
    const tell = (text: string) => replies.tellPrivately(key.channel, user, threadOf(key), text);
    const refusal = checkAccess(config.access, {
      userId: user,
      channelIds: [key.channel],
      isDm: key.channel.startsWith('D'),
    });
    if (refusal) {
      await tell(describeError(refusal));
      return false;
    }
    try {
      const asker =
        replies.askerOf(conversationId(key)) ??
        (await store.history.load(key)).findLast((turn) => turn.role === 'user')?.author?.id;
      if (asker === user || (await admins.isAdmin(user))) return true;
    } catch (error) {
      logger.warn({ err: error }, 'could not check who may press a reply button');
      await tell(describeError(error));
      return false;
    }
    await tell(NOT_YOURS);
    return false;
  }

  /** Waits for the turns in flight (shutdown). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private onMessage(event: SlackMessageEvent, teamId: string, isMention: boolean): void {
    const { identity, logger } = this.deps;
    const reason = ignoreReason(event, identity.botUserId);
    if (reason) {
      logger.debug({ reason, channel: event.channel }, 'slack message ignored');
      return;
    }
    this.detach(this.considerMessage(event, teamId, isMention));
  }

  private async considerMessage(event: SlackMessageEvent, teamId: string, isMention: boolean): Promise<void> {
    const { identity, config, engine } = this.deps;
    const dm = isDirectMessage(event);
    const mentioned = isMention || mentionsBot(event.text, identity.botUserId);
    if (!dm && !mentioned) {
      // A follow-up in a thread the bot has answered in, if configured.
      if (!event.thread_ts || !config.slack?.followThreads) return;
      // Its first answer may still be streaming (history is written when it ends): follow that too.
      const key = conversationKeyFor(event, teamId);
      if (!engine.isStreaming(key) && !(await engine.hasConversation(key))) return;
    }
    // app_mention and message.channels both deliver a mention: the first to claim it answers.
    if (!(await this.claim(messageDedupeId(event, teamId)))) return;
    const turn = turnFromMessage({ ...event, team: teamId }, { teamId, botUserId: identity.botUserId });
    if (dm && event.thread_ts && !(await engine.hasConversation(turn.key))) {
      // First message of an AI app thread: name the thread after it.
      this.setTitle(event.channel, event.thread_ts, turn.text);
    }
    await this.run(turn, { isDm: dm, userTeamId: event.team ?? teamId });
  }

  /** Access lists, then the engine; refusals are shown privately by the replies helper. */
  private async run(turn: IncomingTurn, who: { isDm: boolean; userTeamId: string }): Promise<void> {
    const { config, replies } = this.deps;
    const { channel } = turn.key;
    const threadTs = threadOf(turn.key);
    const refusal = checkAccess(config.access, {
      userId: turn.author.id,
      channelIds: [channel],
      isDm: who.isDm,
    });
    if (refusal) {
      await replies.tellPrivately(channel, turn.author.id, threadTs, describeError(refusal));
      return;
    }
    await replies.answer(turn, {
      channel,
      threadTs,
      assistantThread: who.isDm && threadTs !== undefined,
      userTeamId: who.userTeamId,
    });
  }

  /** The prompts a DM offers (app_home_opened, Messages tab). Agent apps set them per DM: no thread_ts. */
  private async offerPrompts(user: string, channel: string): Promise<void> {
    const { client, config, logger } = this.deps;
    const refusal = checkAccess(config.access, { userId: user, channelIds: [channel], isDm: true });
    if (refusal) {
      logger.debug({ code: refusal.code }, 'no suggested prompts for a refused user');
      return;
    }
    try {
      await client.assistant.threads.setSuggestedPrompts({
        channel_id: channel,
        title: 'Ask Gemini anything, or start with one of these:',
        prompts: this.suggestedPrompts(),
      });
    } catch (error) {
      logger.warn({ err: error }, 'could not set suggested prompts');
    }
  }

  /**
   * Remembers the channel `user` is looking at (the first, most relevant channel entity), for requests
   * such as "summarize this channel" from the DM; no channel entity forgets it. A refused user's
   * context is not kept: nothing of theirs is acted on.
   */
  private async rememberViewing(
    team: string,
    user: string,
    context: { entities?: { type: string; value: unknown }[] },
  ): Promise<void> {
    const { config, store, logger } = this.deps;
    const channel = context.entities?.find((entity) => entity.type === 'slack#/types/channel_id')?.value;
    const viewing = typeof channel === 'string' ? channel : undefined;
    const refusal = checkAccess(config.access, {
      userId: user,
      channelIds: viewing ? [viewing] : [],
      isDm: viewing === undefined,
    });
    try {
      await store.viewing.remember('slack', team, user, refusal ? undefined : viewing);
    } catch (error) {
      logger.warn({ err: error }, 'could not remember what a user is viewing');
    }
  }

  /**
   * Publishes `user`'s Home tab (views.publish). The channel is the one the event says they are
   * looking at, else the last one remembered; its settings show only where the access lists let
   * them use the bot. A refused user sees only the refusal.
   */
  private async publishHome(team: string, user: string, dm: string, viewing: unknown): Promise<void> {
    const { client, config, engine, logger } = this.deps;
    try {
      const dmKey: ConversationKey = { platform: 'slack', workspace: team, channel: dm, thread: dm };
      const refusal = checkAccess(config.access, { userId: user, channelIds: [dm], isDm: true });
      const blocked = refusal?.code === 'blocked' ? refusal : undefined;
      const channelId = typeof viewing === 'string' ? viewing : await this.viewingChannelOf(team, user);
      const mayView =
        channelId !== undefined &&
        !blocked &&
        !checkAccess(config.access, {
          userId: user,
          channelIds: [channelId],
          isDm: channelId.startsWith('D'),
        });
      const settings = mayView
        ? await engine.settings({ platform: 'slack', workspace: team, channel: channelId })
        : undefined;
      const usage = (await engine.usage(dmKey, user)).user;
      const view = homeView({
        commands: { ...DEFAULT_COMMAND_NAMES, ...(config.slack?.commandNames as Partial<SlackCommandNames>) },
        ...(blocked ? { refusal: blocked.message } : {}),
        ...(settings && channelId ? { channel: { id: channelId, ...settings } } : {}),
        usage,
      });
      await client.views.publish({ user_id: user, view });
    } catch (error) {
      logger.warn({ err: error }, 'could not publish the Home tab');
    }
  }

  /** The channel `user` was last seen looking at in `team` (app_context_changed), if known. */
  viewingChannelOf(team: string, user: string): Promise<string | undefined> {
    return this.deps.store.viewing.channelOf('slack', team, user);
  }

  /** Slack's stop button on a processing session: our Stop, for the asker or an admin. */
  private async onSessionStopped(key: ConversationKey, user: string): Promise<void> {
    if (!(await this.mayPress(key, user))) return;
    // Slack does not move the session out of processing itself; a finishing turn does, else we do.
    if (!(await this.deps.engine.stop(key))) {
      await this.deps.replies.sessions.active({
        workspace: key.workspace,
        channel: key.channel,
        threadTs: key.thread,
      });
    }
  }

  private suggestedPrompts(): SuggestedPrompt[] {
    return this.deps.config.slack?.suggestedPrompts ?? SUGGESTED_PROMPTS;
  }

  private async onAssistantThreadStarted(thread: { channel_id: string; thread_ts: string }): Promise<void> {
    const { client } = this.deps;
    try {
      await client.assistant.threads.setSuggestedPrompts({
        channel_id: thread.channel_id,
        thread_ts: thread.thread_ts,
        title: 'Ask Gemini anything, or start with one of these:',
        prompts: this.suggestedPrompts(),
      });
      await client.assistant.threads.setTitle({
        channel_id: thread.channel_id,
        thread_ts: thread.thread_ts,
        title: 'New chat with Gemini',
      });
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'could not set up the assistant thread');
    }
  }

  private setTitle(channel: string, threadTs: string, prompt: string): void {
    const title = prompt.replace(/\s+/g, ' ').trim().slice(0, 60) || 'Chat with Gemini';
    this.deps.client.assistant.threads
      .setTitle({ channel_id: channel, thread_ts: threadTs, title })
      .catch((error: unknown) => this.deps.logger.debug({ err: error }, 'assistant title not set'));
  }

  /** The conversation a reply button (or another action carrying a ButtonValue) belongs to. */
  keyFromButton(body: unknown, value: string | undefined): ConversationKey | undefined {
    const decoded = decodeButtonValue(value);
    const team = (body as { team?: { id?: string } | null }).team?.id ?? this.deps.identity.teamId;
    return decoded
      ? { platform: 'slack', workspace: team, channel: decoded.channel, thread: decoded.thread }
      : undefined;
  }

  private claim(id: string): Promise<boolean> {
    return this.deps.store.dedupe.claim(id, DEDUPE_TTL_MS).catch((error: unknown) => {
      // Without the store we cannot tell a duplicate: answering twice beats never answering.
      this.deps.logger.warn({ err: error }, 'de-duplication unavailable');
      return true;
    });
  }

  private detach(work: Promise<unknown>): void {
    const tracked = work.catch((error: unknown) =>
      this.deps.logger.error({ err: error }, 'slack turn failed'),
    );
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }
}

/** The thread a conversation's replies go to: undefined for a DM's top-level conversation. */
export function threadOf(key: ConversationKey): string | undefined {
  return key.thread === key.channel ? undefined : key.thread;
}

/** The team a request comes from: events and commands carry team_id, interactions team.id. */
function teamOfRequest(body: unknown, contextTeam: string | undefined): string | undefined {
  const fields = body as { team_id?: string; team?: { id?: string } | null; user?: { team_id?: string } };
  return fields.team_id ?? fields.team?.id ?? contextTeam ?? fields.user?.team_id;
}

function teamOf(body: unknown, fallback: string): string {
  return (body as { team_id?: string }).team_id ?? fallback;
}
