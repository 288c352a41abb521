/**
 * Message shortcuts: "Explain" (explain_message), "Ask Gemini about this" (ask_about_message) and
 * "Summarize thread" (summarize_thread). Each opens a modal (views.open, within the trigger_id's
 * 3 seconds); its view_submission reads the message or its thread with conversations.replies and
 * answers in the message's thread, or, with "Only me" ticked, privately (chat.postEphemeral in the
 * thread, in the person's private conversation of that channel, as /ask --private; ticked by default
 * for a summary, whose citations link to the thread's messages, see summaries.ts). The access
 * lists are checked at the shortcut and again at the submission, as for every other surface.
 */
import type { App, MessageShortcut, SlackViewAction } from '@slack/bolt';
import { checkAccess } from '../../engine/access.js';
import { describeError } from '../../engine/describe-error.js';
import { NOTHING_TO_SUMMARIZE } from '../../engine/summarize.js';
import type { IncomingTurn } from '../../engine/types.js';
import { UserInputError } from '../../errors.js';
import type { ConversationKey } from '../../store/types.js';
import type { SlackAdapterDeps } from './adapter.js';
import { EphemeralAnswerSink } from './ephemeral-sink.js';
import type { SlackMessageContent } from './markdown-blocks.js';
import { toAttachmentRefs } from './normalize.js';
import {
  INPUT_ACTION,
  PRIVATE_OPTION,
  QUESTION_BLOCK,
  SHORTCUT_CALLBACK_IDS,
  SHORTCUT_VIEW_ID,
  type ShortcutKind,
  type ShortcutTarget,
  shortcutModal,
  targetOf,
  VISIBILITY_BLOCK,
} from './shortcut-modal.js';
import { SlackSummaries, summaryNote } from './summaries.js';
import { readThread, type ThreadMessage } from './thread-reader.js';
import { slackErrorCode, withRateLimitRetry } from './web-api.js';

const EXPIRED = new UserInputError(
  'expired_action',
  'Slack closed that window before I could open it. Please try the shortcut again.',
);
const CANNOT_READ = new UserInputError(
  'not_permitted',
  'I cannot read that conversation. Invite me to the channel (/invite @Gemini) and try again.',
);

export class SlackShortcuts {
  private readonly inFlight = new Set<Promise<unknown>>();

  private readonly summaries: SlackSummaries;

  constructor(private readonly deps: SlackAdapterDeps) {
    this.summaries = new SlackSummaries(deps);
  }

  register(app: App): void {
    for (const kind of SHORTCUT_CALLBACK_IDS) {
      app.shortcut({ type: 'message_action', callback_id: kind }, async ({ ack, shortcut }) => {
        await ack();
        await this.track(this.open(kind, shortcut as MessageShortcut));
      });
    }
    app.view(SHORTCUT_VIEW_ID, async ({ ack, body, view }) => {
      // An empty ack closes the modal; the answer follows in the thread (or privately).
      await ack();
      const target = targetOf(view.private_metadata);
      if (target) await this.track(this.answer(target, body));
    });
  }

  /** Waits for shortcut answers in flight (tests, shutdown). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async open(kind: ShortcutKind, shortcut: MessageShortcut): Promise<void> {
    const user = shortcut.user.id;
    const channel = shortcut.channel.id;
    const threadTs = (shortcut.message.thread_ts as string | undefined) ?? shortcut.message.ts;
    if (!(await this.admitted(user, channel, threadTs))) return;
    const target: ShortcutTarget = { kind, channel, messageTs: shortcut.message.ts, threadTs };
    try {
      await this.deps.client.views.open({
        trigger_id: shortcut.trigger_id,
        view: shortcutModal(target, shortcut.message.text ?? ''),
      });
    } catch (error) {
      const code = slackErrorCode(error);
      const expired = code === 'expired_trigger_id' || code === 'exchanged_trigger_id';
      this.deps.logger.info({ code, kind }, 'shortcut modal not opened');
      await this.tell(channel, user, threadTs, describeError(expired ? EXPIRED : error));
    }
  }

  private async answer(target: ShortcutTarget, body: SlackViewAction): Promise<void> {
    const user = body.user.id;
    const team = body.team?.id ?? this.deps.identity.teamId;
    if (!(await this.admitted(user, target.channel, target.threadTs))) return;
    const values = body.view.state.values;
    const question = values[QUESTION_BLOCK]?.[INPUT_ACTION]?.value?.trim() ?? '';
    // A summary's "Only me" is ticked when the modal opens; a state without the box keeps that default.
    const selected = values[VISIBILITY_BLOCK]?.[INPUT_ACTION]?.selected_options;
    const isPrivate = selected
      ? selected.some((option) => option.value === PRIVATE_OPTION)
      : target.kind === 'summarize_thread';

    let thread: ThreadMessage[];
    try {
      thread = await readThread(this.deps.client, target.channel, target.threadTs);
    } catch (error) {
      this.deps.logger.info({ code: slackErrorCode(error) }, 'shortcut could not read the thread');
      await this.tell(target.channel, user, target.threadTs, describeError(CANNOT_READ));
      return;
    }
    const message = thread.find((entry) => entry.ts === target.messageTs);
    if (!message && target.kind !== 'summarize_thread') {
      await this.tell(target.channel, user, target.threadTs, describeError(CANNOT_READ));
      return;
    }
    let summary: Awaited<ReturnType<SlackSummaries['prepare']>>;
    if (target.kind === 'summarize_thread') {
      try {
        summary = await this.summaries.prepare(target.channel, thread);
      } catch (error) {
        this.deps.logger.warn({ code: slackErrorCode(error) }, 'could not prepare a thread summary');
        await this.tell(target.channel, user, target.threadTs, describeError(error));
        return;
      }
      if (!summary) {
        await this.tell(target.channel, user, target.threadTs, NOTHING_TO_SUMMARIZE);
        return;
      }
    }
    const key: ConversationKey = {
      platform: 'slack',
      workspace: team,
      channel: target.channel,
      // A private answer joins the person's private conversation of this channel (as /ask --private).
      thread: isPrivate ? `private:${user}` : target.threadTs,
    };
    const turn: IncomingTurn = {
      key,
      author: { id: user, name: body.user.name ?? user },
      text: summary ? summary.summary.prompt : promptFor(target.kind, question, message),
      ...(summary ? { historyText: summaryNote(summary.summary, 'this thread') } : {}),
      // A summary's files are only named in its prompt, never downloaded.
      attachments: summary ? [] : toAttachmentRefs(message?.files),
      messageIds: [`shortcut:${body.view.id}`],
    };
    const options = summary?.options ?? {};
    if (!isPrivate) {
      await this.deps.replies.answer(
        turn,
        {
          channel: target.channel,
          threadTs: target.threadTs,
          assistantThread: false,
          userTeamId: body.user.team_id ?? team,
        },
        options,
      );
      return;
    }
    const outcome = await this.deps.engine.handleTurn(turn, this.privateSink(target, user), options);
    if (outcome.status === 'refused')
      await this.tell(target.channel, user, target.threadTs, describeError(outcome.error));
  }

  /** A private answer: each finished part as an ephemeral message in the thread. */
  private privateSink(target: ShortcutTarget, user: string): EphemeralAnswerSink {
    const { client } = this.deps;
    const post = (content: SlackMessageContent) =>
      withRateLimitRetry(() =>
        client.chat.postEphemeral({ channel: target.channel, user, thread_ts: target.threadTs, ...content }),
      );
    return new EphemeralAnswerSink({
      respond: ({ text, blocks }) => post({ text, blocks }),
      postEphemeral: post,
      logger: this.deps.logger,
    });
  }

  /** The access lists for `user` in `channel`; a refusal is told privately. */
  private async admitted(user: string, channel: string, threadTs: string): Promise<boolean> {
    const refusal = checkAccess(this.deps.config.access, {
      userId: user,
      channelIds: [channel],
      isDm: channel.startsWith('D'),
    });
    if (!refusal) return true;
    await this.tell(channel, user, threadTs, describeError(refusal));
    return false;
  }

  private tell(channel: string, user: string, threadTs: string, text: string): Promise<void> {
    return this.deps.replies.tellPrivately(channel, user, threadTs, text);
  }

  private async track(work: Promise<void>): Promise<void> {
    const tracked = work.catch((error: unknown) =>
      this.deps.logger.error({ err: error }, 'slack shortcut failed'),
    );
    this.inFlight.add(tracked);
    try {
      await tracked;
    } finally {
      this.inFlight.delete(tracked);
    }
  }
}

/** What the model is asked for Explain and Ask (a summary's prompt comes from the engine). */
function promptFor(kind: ShortcutKind, question: string, message: ThreadMessage | undefined): string {
  const quoted = quote(message?.text ?? '');
  if (kind === 'explain_message') {
    const files = message && message.files.length > 0 ? ' and its attachments' : '';
    return `Explain this Slack message${files}: what it says and means, in plain words.\n\n${quoted}`;
  }
  return `${question}\n\nThe question is about this Slack message:\n\n${quoted}`;
}

function quote(text: string): string {
  return (text.trim() || '(no text)')
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n');
}
