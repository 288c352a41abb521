/**
 * Catch-up summaries on Discord: `/summarize [messages]` (the last N messages of this channel or
 * thread) and the "Summarize" message command (the conversation up to that message). The history
 * is read from the channel the interaction came from and nowhere else (whoever used a command there
 * can read it), oldest to newest, without the bot's own status messages, attachments only named.
 * The engine writes the prompt and links the citations (src/engine/summarize.ts); the answer streams
 * privately with a Share button, in a conversation of its own that nothing continues.
 */
import {
  type ChatInputCommandInteraction,
  DiscordAPIError,
  type Message,
  type MessageContextMenuCommandInteraction,
  MessageFlags,
  RESTJSONErrorCodes,
  type TextBasedChannel,
} from 'discord.js';
import type { Config } from '../../config.js';
import { describeError } from '../../engine/describe-error.js';
import {
  citationLinker,
  isBotStatusText,
  NOTHING_TO_SUMMARIZE,
  prepareSummary,
  type SummarySource,
} from '../../engine/summarize.js';
import type { IncomingTurn } from '../../engine/types.js';
import { UserInputError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { ConversationKey } from '../../store/types.js';
import { fitContent, NO_MENTIONS } from './format.js';
import { keyForRootMessage } from './normalize.js';
import { privateAnswerSink } from './private-answer-sink.js';
import type { DiscordTurnRunner } from './turns.js';
import { keyForUserInstall, webhookOnly } from './user-install.js';

/** `/summarize messages:` when not given, and its most (two pages of Discord's 100). */
export const SUMMARY_DEFAULT_MESSAGES = 50;
export const SUMMARY_MAX_MESSAGES = 200;
/** Discord returns at most 100 messages per history request. */
const PAGE_SIZE = 100;

/** /summarize where only the user installed the app: the bot may not read that channel. */
export const NEEDS_BOT_IN_SERVER =
  'Summarizing this channel needs the bot in this server: it cannot read the messages here. Ask a server admin to add it, or use Apps → Summarize on one message.';
/** The bot lacks View Channel or Read Message History where the command was used. */
export const CANNOT_READ_HISTORY =
  'I cannot read the message history of this channel. A server admin can give me the View Channel and Read Message History permissions here.';

export interface DiscordSummariesOptions {
  config: Config;
  logger: Logger;
  runner: DiscordTurnRunner;
}

type SummaryInteraction = ChatInputCommandInteraction | MessageContextMenuCommandInteraction;

export class DiscordSummaries {
  constructor(private readonly options: DiscordSummariesOptions) {}

  /** `/summarize [messages]`: the last `messages` messages of this channel or thread. */
  async slash(interaction: ChatInputCommandInteraction, requested: number | null): Promise<void> {
    if (webhookOnly(interaction)) return this.privately(interaction, NEEDS_BOT_IN_SERVER);
    const count = Math.min(Math.max(requested ?? SUMMARY_DEFAULT_MESSAGES, 1), SUMMARY_MAX_MESSAGES);
    await this.summarize(interaction, async () => {
      const channel = await this.channelOf(interaction);
      return readHistory(channel, { count, botId: interaction.client.user.id });
    });
  }

  /** "Summarize" on a message: the conversation up to and including it. */
  async messageCommand(interaction: MessageContextMenuCommandInteraction): Promise<void> {
    const target = interaction.targetMessage;
    // Discord only offers messages of the channel the menu was opened in; never follow another.
    if (target.channelId !== interaction.channelId) {
      return this.privately(interaction, 'I can only summarize messages of the channel you are in.');
    }
    // Without the bot in the server, the message Discord handed over is all there is to read.
    if (webhookOnly(interaction)) return this.summarize(interaction, async () => [toSource(target)]);
    await this.summarize(interaction, async () => {
      const channel = await this.channelOf(interaction);
      const botId = interaction.client.user.id;
      const earlier = await readHistory(channel, {
        count: SUMMARY_DEFAULT_MESSAGES - 1,
        before: target.id,
        botId,
      });
      return keep(target, botId) ? [...earlier, toSource(target)] : earlier;
    });
  }

  /** Defers privately, reads the messages, and streams the summary with its citations linked. */
  private async summarize(
    interaction: SummaryInteraction,
    read: () => Promise<SummarySource[]>,
  ): Promise<void> {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const show = (sentence: string) => this.privately(interaction, sentence);
    // Counted before the history is read: past the limit, a summary costs Discord no reads.
    if (!(await this.options.runner.withinRateLimit(interaction.user.id, show))) return;
    let sources: SummarySource[];
    try {
      sources = await read();
    } catch (error) {
      this.options.logger.warn(
        { err: error, channel: interaction.channelId },
        'could not read history to summarize',
      );
      return this.privately(interaction, describeError(error));
    }
    const summary = prepareSummary(sources, this.options.config.summaryMaxChars);
    this.options.runner.engine.countSummary('discord');
    // Counts only: the messages are the users' words.
    this.options.logger.info(
      { read: sources.length, included: summary?.included ?? 0, leftOut: summary?.leftOut ?? 0 },
      'summary requested',
    );
    if (!summary) return this.privately(interaction, NOTHING_TO_SUMMARIZE);
    const key = this.keyFor(interaction);
    const sink = privateAnswerSink(interaction, key, this.options);
    const turn: IncomingTurn = {
      key,
      author: { id: interaction.user.id, name: interaction.user.displayName },
      text: summary.prompt,
      historyText: `(summary of ${summary.included} message${summary.included === 1 ? '' : 's'} of this channel)`,
      attachments: [],
      messageIds: [interaction.id],
      mode: 'new',
    };
    await this.options.runner.run(turn, sink, show, undefined, {
      rateLimitChecked: true,
      transformContent: citationLinker(summary),
    });
  }

  /**
   * A conversation of its own for each summary (the Share button reads the answer from it): never
   * a thread's or channel's, so a summary joins no shared history.
   */
  private keyFor(interaction: SummaryInteraction): ConversationKey {
    return webhookOnly(interaction)
      ? keyForUserInstall(interaction.user.id, interaction.id)
      : keyForRootMessage(interaction.guildId, interaction.channelId ?? interaction.user.id, interaction.id);
  }

  /** The channel the interaction came from (a DM channel may not be cached yet). */
  private async channelOf(interaction: SummaryInteraction): Promise<TextBasedChannel> {
    const channel = interaction.channel ?? (await interaction.client.channels.fetch(interaction.channelId));
    if (!channel?.isTextBased()) {
      throw new UserInputError('bad_argument', 'There are no messages to summarize in this kind of channel.');
    }
    return channel;
  }

  /** A short private answer, whether or not the interaction was acknowledged yet. */
  private async privately(interaction: SummaryInteraction, text: string): Promise<void> {
    const payload = { content: fitContent(text), allowedMentions: NO_MENTIONS };
    if (interaction.deferred || interaction.replied) await interaction.editReply(payload);
    else await interaction.reply({ ...payload, flags: MessageFlags.Ephemeral });
  }
}

/**
 * Up to `count` messages of `channel` (before `before`, or the newest), oldest first, in pages of
 * Discord's 100. System messages and the bot's own status lines are left out.
 */
export async function readHistory(
  channel: TextBasedChannel,
  options: { count: number; before?: string; botId: string },
): Promise<SummarySource[]> {
  const read: Message[] = [];
  let before = options.before;
  while (read.length < options.count) {
    const limit = Math.min(PAGE_SIZE, options.count - read.length);
    const page = await fetchPage(channel, limit, before);
    read.push(...page);
    if (page.length < limit) break;
    // The next page ends where this one began; snowflakes order messages by time.
    before = page.reduce((oldest, message) => (olderFirst(message, oldest) < 0 ? message : oldest)).id;
  }
  return read
    .sort(olderFirst)
    .filter((message) => keep(message, options.botId))
    .map(toSource);
}

/** Sorts messages by their snowflake id: oldest first. */
function olderFirst(a: Message, b: Message): number {
  const [x, y] = [BigInt(a.id), BigInt(b.id)];
  return x < y ? -1 : x > y ? 1 : 0;
}

async function fetchPage(
  channel: TextBasedChannel,
  limit: number,
  before: string | undefined,
): Promise<Message[]> {
  try {
    const page = await channel.messages.fetch({ limit, ...(before ? { before } : {}), cache: false });
    return [...page.values()];
  } catch (error) {
    if (
      error instanceof DiscordAPIError &&
      (error.code === RESTJSONErrorCodes.MissingAccess ||
        error.code === RESTJSONErrorCodes.MissingPermissions)
    ) {
      throw new UserInputError('not_permitted', CANNOT_READ_HISTORY);
    }
    throw error;
  }
}

/** Whether a message belongs in a summary: said by someone, not a join or pin notice or a bot status. */
function keep(message: Message, botId: string): boolean {
  if (message.system) return false;
  return message.author.id !== botId || !isBotStatusText(message.content);
}

/** A message as the summarizer reads it; attachments are named, never downloaded. */
function toSource(message: Message): SummarySource {
  const names = [...message.attachments.values()].map((attachment) => attachment.name);
  const attached = names.length > 0 ? `(attached: ${names.join(', ')})` : '';
  return {
    id: message.id,
    author: message.member?.displayName ?? message.author.displayName,
    text: [message.content.trim(), attached].filter(Boolean).join('\n'),
    link: message.url,
  };
}
