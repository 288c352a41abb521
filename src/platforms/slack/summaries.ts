/**
 * Catch-up summaries on Slack: the "Summarize thread" shortcut (conversations.replies) and
 * `/gemini-summarize [N]` (the channel's newest top-level messages, conversations.history; in the
 * DM with the bot, the channel the user is looking at, if they are a member of it and the access
 * lists let them use the bot there). The messages are read oldest to newest, authors by display
 * name (users.info, once per author per summary), the bot's own status messages and Slack's join
 * notices left out, files only named. The engine writes the prompt and links the citations
 * (src/engine/summarize.ts) to Slack permalinks; history keeps only a note of the summary.
 */
import type { SlashCommand } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { checkAccess } from '../../engine/access.js';
import type { HandleTurnOptions } from '../../engine/conversation-engine-api.js';
import {
  citationLinker,
  isBotStatusText,
  NOTHING_TO_SUMMARIZE,
  type PreparedSummary,
  prepareSummary,
  type SummarySource,
} from '../../engine/summarize.js';
import type { IncomingTurn } from '../../engine/types.js';
import { UserInputError } from '../../errors.js';
import type { ConversationKey } from '../../store/types.js';
import type { SlackAdapterDeps } from './adapter.js';
import { readChannel } from './channel-reader.js';
import type { ThreadMessage } from './thread-reader.js';
import { slackErrorCode, withRateLimitRetry } from './web-api.js';

/** `/gemini-summarize` without a number, and its most. */
export const SUMMARY_DEFAULT_MESSAGES = 50;
export const SUMMARY_MAX_MESSAGES = 200;

/** Slack's notices (joins, topic changes): not what anyone said. */
const SPOKEN_SUBTYPES = new Set([undefined, 'bot_message', 'thread_broadcast', 'file_share', 'me_message']);

/** The bot may not read the channel (not a member of it, or it does not exist for the bot). */
export const CANNOT_READ_CHANNEL = new UserInputError(
  'not_permitted',
  'I cannot read the messages of that channel. Invite me to it (/invite @Gemini) and try again.',
);
/** /gemini-summarize in the DM before Slack told us which channel the user is looking at. */
export const NO_VIEWED_CHANNEL = new UserInputError(
  'bad_argument',
  'I do not know which channel you are looking at. Open the channel with this chat beside it, then ask again (or run the command in the channel).',
);
/** The viewed channel is one the user is not a member of: never summarized for them. */
export const NOT_A_MEMBER = new UserInputError(
  'not_permitted',
  'I can only summarize channels you are a member of. Join the channel first, or run the command there.',
);

/** The one note a summary leaves in history, instead of the channel's messages. */
export function summaryNote(summary: PreparedSummary, where: string): string {
  return `(summary of ${summary.included} message${summary.included === 1 ? '' : 's'} of ${where})`;
}

export class SlackSummaries {
  constructor(private readonly deps: SlackAdapterDeps) {}

  private get client(): WebClient {
    return this.deps.client;
  }

  /**
   * `messages` of `channel` as the summarizer reads them, or undefined when nothing is left to
   * summarize (the user is then told NOTHING_TO_SUMMARIZE). Counts the summary in the metrics.
   */
  async prepare(
    channel: string,
    messages: ThreadMessage[],
  ): Promise<{ summary: PreparedSummary; options: HandleTurnOptions } | undefined> {
    const sources = await this.toSources(channel, messages);
    const summary = prepareSummary(sources, this.deps.config.summaryMaxChars);
    // Counts only: the messages are the users' words.
    this.deps.logger.info(
      { read: messages.length, included: summary?.included ?? 0, leftOut: summary?.leftOut ?? 0 },
      'summary requested',
    );
    this.deps.engine.countSummary('slack');
    if (!summary) return undefined;
    return { summary, options: { transformContent: citationLinker(summary) } };
  }

  /** `/gemini-summarize [N]`: answered privately to the caller through `respond` (see commands.ts). */
  async command(
    command: SlashCommand,
    answer: (turn: IncomingTurn, options: HandleTurnOptions) => Promise<void>,
    say: (text: string) => Promise<unknown>,
  ): Promise<void> {
    const count = messageCount(command.text, command.command);
    const channel = await this.channelFor(command);
    // Counted before the history is read: past the limit, a summary costs Slack no reads.
    const limited = await this.deps.engine.rateLimit('slack', command.user_id);
    if (limited) throw limited;
    let messages: ThreadMessage[];
    try {
      messages = await readChannel(this.client, channel, count);
    } catch (error) {
      const code = slackErrorCode(error);
      if (code === 'not_in_channel' || code === 'channel_not_found') throw CANNOT_READ_CHANNEL;
      throw error;
    }
    const prepared = await this.prepare(channel, messages);
    if (!prepared) {
      await say(NOTHING_TO_SUMMARIZE);
      return;
    }
    const key: ConversationKey = {
      platform: 'slack',
      workspace: command.team_id,
      channel: command.channel_id,
      // A conversation of its own: a summary joins no shared history.
      thread: `summary:${command.trigger_id}`,
    };
    const where = channel === command.channel_id ? 'this channel' : `<#${channel}>`;
    await answer(
      {
        key,
        author: { id: command.user_id, name: command.user_name },
        text: prepared.summary.prompt,
        historyText: summaryNote(prepared.summary, where),
        attachments: [],
        messageIds: [`summarize:${command.trigger_id}`],
      },
      { ...prepared.options, rateLimitChecked: true },
    );
  }

  /** The channel to summarize: this one, or from the DM the channel the user is looking at. */
  private async channelFor(command: SlashCommand): Promise<string> {
    if (!command.channel_id.startsWith('D')) return command.channel_id;
    const viewed = await this.deps.store.viewing.channelOf('slack', command.team_id, command.user_id);
    if (!viewed) throw NO_VIEWED_CHANNEL;
    const refusal = checkAccess(this.deps.config.access, {
      userId: command.user_id,
      channelIds: [viewed],
      isDm: viewed.startsWith('D'),
    });
    if (refusal) throw refusal;
    if (!(await this.isMember(viewed, command.user_id))) throw NOT_A_MEMBER;
    return viewed;
  }

  /** Whether `user` is a member of `channel` (conversations.members, page by page). */
  private async isMember(channel: string, user: string): Promise<boolean> {
    let cursor: string | undefined;
    try {
      do {
        const page = await withRateLimitRetry(() =>
          this.client.conversations.members({ channel, limit: 1_000, ...(cursor ? { cursor } : {}) }),
        );
        if (page.members?.includes(user)) return true;
        cursor = page.response_metadata?.next_cursor || undefined;
      } while (cursor);
    } catch (error) {
      this.deps.logger.info({ code: slackErrorCode(error) }, 'could not list the members of a channel');
    }
    return false;
  }

  /**
   * The messages worth summarizing, with display names and permalinks. The permalink of one message
   * gives the workspace's address; the others are built from it the way Slack writes them
   * (`/archives/<channel>/p<ts without dot>`, `?thread_ts=…&cid=…` for a reply), so a summary of 200
   * messages costs one chat.getPermalink call, not 200.
   */
  private async toSources(channel: string, messages: ThreadMessage[]): Promise<SummarySource[]> {
    const kept = messages.filter((message) => this.worthSummarizing(message));
    const first = kept[0];
    if (!first) return [];
    const archive = await this.archiveUrl(channel, first.ts);
    const names = new Map<string, Promise<string>>();
    const nameOf = (user: string | undefined, botId: string | undefined) => {
      if (user === this.deps.identity.botUserId) return Promise.resolve('Gemini');
      if (!user) return Promise.resolve(botId ? 'a bot' : 'someone');
      if (!names.has(user)) names.set(user, this.displayName(user));
      return names.get(user)!;
    };
    return Promise.all(
      kept.map(async (message) => ({
        id: message.ts,
        author: await nameOf(message.user, message.botId),
        text: withFileNames(message),
        link: permalink(archive, channel, message),
      })),
    );
  }

  private worthSummarizing(message: ThreadMessage): boolean {
    if (!SPOKEN_SUBTYPES.has(message.subtype)) return false;
    const own = message.user === this.deps.identity.botUserId;
    return !own || !isBotStatusText(message.text);
  }

  /** `https://<workspace>.slack.com/archives/` from one real permalink. */
  private async archiveUrl(channel: string, ts: string): Promise<string> {
    const found = await withRateLimitRetry(() => this.client.chat.getPermalink({ channel, message_ts: ts }));
    const url = new URL(found.permalink ?? '');
    return `${url.origin}/archives/`;
  }

  /** The name Slack shows for `user`; their id when users.info will not say. */
  private async displayName(user: string): Promise<string> {
    try {
      const found = await withRateLimitRetry(() => this.client.users.info({ user }));
      const profile = found.user?.profile;
      return profile?.display_name || profile?.real_name || found.user?.real_name || found.user?.name || user;
    } catch (error) {
      this.deps.logger.debug({ code: slackErrorCode(error) }, 'no display name for a summary author');
      return user;
    }
  }
}

/** `/gemini-summarize [N]`'s N: 1 to 200, 50 when not given. */
function messageCount(text: string, commandName: string): number {
  const argument = text.trim();
  if (argument === '') return SUMMARY_DEFAULT_MESSAGES;
  const count = Number(argument);
  if (!Number.isInteger(count) || count < 1 || count > SUMMARY_MAX_MESSAGES) {
    throw new UserInputError(
      'bad_argument',
      `Usage: ${commandName} [number of messages, 1 to ${SUMMARY_MAX_MESSAGES}; ${SUMMARY_DEFAULT_MESSAGES} when not given]`,
    );
  }
  return count;
}

/** A message's text with its files named; files are never downloaded for a summary. */
function withFileNames(message: ThreadMessage): string {
  const names = message.files.map((file) => file.name).filter(Boolean);
  const attached = names.length > 0 ? `(attached: ${names.join(', ')})` : '';
  return [message.text.trim(), attached].filter(Boolean).join('\n');
}

function permalink(archive: string, channel: string, message: ThreadMessage): string {
  const base = `${archive}${channel}/p${message.ts.replace('.', '')}`;
  return message.threadTs && message.threadTs !== message.ts
    ? `${base}?thread_ts=${message.threadTs}&cid=${channel}`
    : base;
}
