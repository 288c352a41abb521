/**
 * Wires discord.js events to the engine: messages (mentions → a new thread, threads, reply chains,
 * DMs), edits of the latest prompt, the Stop/Regenerate buttons, and slash commands (commands.ts).
 * What to answer is decided by the pure rules in normalize.ts; replies go through sink.ts.
 */
import {
  type ButtonInteraction,
  type Client,
  DiscordAPIError,
  type Interaction,
  type Message,
  MessageFlags,
  type PartialMessage,
  type SendableChannels,
  type StringSelectMenuInteraction,
} from 'discord.js';
import type { Config } from '../../config.js';
import type { ConversationEngineApi } from '../../engine/conversation-engine-api.js';
import { describeError } from '../../engine/describe-error.js';
import { InstallScope } from '../../engine/install-scope.js';
import type { IncomingTurn } from '../../engine/types.js';
import type { Logger } from '../../log.js';
import type { ConversationKey, Store, Turn } from '../../store/types.js';
import { answerAutocomplete } from './autocomplete.js';
import { DiscordCommands, NOT_YOUR_ANSWER } from './commands.js';
import { dmMembership } from './dm-membership.js';
import { rateFromButton } from './feedback-buttons.js';
import { NO_MENTIONS, parseButtonId } from './format.js';
import { DiscordMessageCommands } from './message-commands.js';
import {
  isPrivateKey,
  keyForPlace,
  keyForRootMessage,
  type MessageFacts,
  type PromptFacts,
  promptChanged,
  routeMessage,
  stripBotMention,
  threadTitle,
  toAttachmentRefs,
} from './normalize.js';
import { parseShareButtonId, shareAnswer } from './share-button.js';
import { ChannelSink, type SendableChannel } from './sink.js';
import { type AccessFacts, DiscordTurnRunner } from './turns.js';

/** Discord re-sends a message event after a reconnect; answer each message once (10 minutes). */
const DEDUPE_TTL_MS = 10 * 60 * 1000;
/** Threads the bot opens archive after a day of silence (one of Discord's allowed values). */
const THREAD_AUTO_ARCHIVE_MINUTES = 1440;
/** Discord's error when a message already has a thread. */
const THREAD_ALREADY_EXISTS = 160004;
/** Shown on a rate-limited message after the one refusal of the window (a reaction, not a reply). */
const RATE_LIMITED_REACTION = '⏳';

export interface DiscordAdapterOptions {
  client: Client;
  config: Config;
  engine: ConversationEngineApi;
  store: Store;
  logger: Logger;
}

/** Where a reply to a message goes, and which conversation it continues. */
interface Target {
  key: ConversationKey;
  channel: SendableChannel;
  /** Reply reference to the prompt (reply chains outside threads). */
  replyTo?: string;
}

export class DiscordAdapter {
  readonly runner: DiscordTurnRunner;
  private readonly commands: DiscordCommands;
  private readonly messageCommands: DiscordMessageCommands;
  private readonly log: Logger;
  /** ALLOW_GUILDS: nothing from another guild is answered or sent upstream. */
  private readonly guilds: InstallScope;

  constructor(private readonly options: DiscordAdapterOptions) {
    this.log = options.logger.child({ platform: 'discord' });
    this.guilds = new InstallScope(options.config.access.allowGuilds, 'guild', this.log);
    this.runner = new DiscordTurnRunner(options.engine, options.config.access, this.log, (userId) =>
      dmMembership(options.client, userId, this.guilds),
    );
    this.commands = new DiscordCommands({ ...options, logger: this.log, runner: this.runner });
    this.messageCommands = new DiscordMessageCommands({ ...options, logger: this.log, runner: this.runner });
  }

  /** Subscribes to the client's events. Handlers never throw into discord.js. */
  attach(): void {
    const { client } = this.options;
    client.on('messageCreate', (message) => this.guard('message', () => this.onMessage(message)));
    client.on('messageUpdate', (before, after) => this.guard('edit', () => this.onEdit(before, after)));
    client.on('interactionCreate', (interaction) =>
      this.guard('interaction', () => this.onInteraction(interaction)),
    );
  }

  private guard(what: string, task: () => Promise<unknown>): void {
    task().catch((err: unknown) => this.log.error({ err, what }, 'discord handler failed'));
  }

  private get botId(): string {
    return this.options.client.user?.id ?? '';
  }

  /**
   * A message's channel as a reply target. Every channel a bot receives messages in can be sent to
   * (group DMs, the one exception, never reach a bot), so a refusal here is a bug, not input.
   */
  private sendable(message: Message): SendableChannels {
    const channel = message.channel;
    if (!channel.isSendable()) throw new Error(`discord: channel ${channel.id} is not sendable`);
    return channel;
  }

  /** The routing facts of a discord.js message. */
  private factsOf(message: Message): MessageFacts {
    const channel = message.channel;
    return {
      authorIsBot: message.author.bot,
      webhookId: message.webhookId,
      type: message.type,
      system: message.system,
      content: message.content,
      attachmentCount: message.attachments.size,
      isDm: !message.inGuild(),
      inThread: channel.isThread(),
      threadOwnedByBot: channel.isThread() && channel.ownerId === this.botId,
      mentionsBot: message.mentions.users.has(this.botId) || this.mentionsBotRole(message),
      repliesToBot: message.mentions.repliedUser?.id === this.botId,
      referencedMessageId: message.reference?.messageId,
    };
  }

  /** People often mention the bot's managed role (`<@&id>`, offered first by Discord's picker). */
  private mentionsBotRole(message: Message): boolean {
    const botRole = message.guild?.members.me?.roles.botRole;
    return botRole !== undefined && botRole !== null && message.mentions.roles.has(botRole.id);
  }

  /** The prompt without the bot's user or managed-role mention. */
  private promptOf(message: Message): string {
    const botRole = message.guild?.members.me?.roles.botRole;
    const text = botRole ? message.content.replaceAll(`<@&${botRole.id}>`, ' ') : message.content;
    return stripBotMention(text, this.botId);
  }

  private accessFacts(message: Message): AccessFacts {
    const channel = message.channel;
    return {
      userId: message.author.id,
      roleIds: message.member ? [...message.member.roles.cache.keys()] : [],
      channelIds: [channel.id, ...(channel.isThread() && channel.parentId ? [channel.parentId] : [])],
      isDm: !message.inGuild(),
    };
  }

  private async onMessage(message: Message): Promise<void> {
    const facts = this.factsOf(message);
    const route = routeMessage(facts);
    if (route.kind === 'ignore') return;
    if (message.inGuild() && !this.guilds.admits(message.guildId)) return;
    try {
      if (route.kind === 'thread' && !route.certain) {
        // A thread the bot did not open: answer only if it already holds a conversation with the bot.
        const key = this.placeKey(message);
        if (!(await this.options.engine.hasConversation(key))) return;
      }
      if (!(await this.options.store.dedupe.claim(`discord:message:${message.id}`, DEDUPE_TTL_MS))) return;
    } catch (err) {
      // The store is down: say so to whoever clearly asked the bot, never drop the message silently.
      this.log.error({ err, messageId: message.id }, 'store unavailable while routing a message');
      if (route.kind !== 'thread' || route.certain || facts.mentionsBot) {
        await this.replyInline(message, describeError(err));
      }
      return;
    }

    const refusal = await this.runner.refusal(this.accessFacts(message));
    if (refusal) {
      await this.replyInline(message, describeError(refusal));
      return;
    }
    const prompt = this.promptOf(message);
    // A bare mention opens no thread: the engine's "your message is empty" shows as an inline reply.
    const empty = !prompt && message.attachments.size === 0;
    const showRefusal = (sentence: string) => this.replyInline(message, sentence);
    const showQuietRefusal = () => message.react(RATE_LIMITED_REACTION);
    // A new thread is only opened within the rate limit: a spammer must not make the bot open threads.
    const opensThread = route.kind === 'new-thread' && !empty;
    if (
      opensThread &&
      !(await this.runner.withinRateLimit(
        message.author.id,
        showRefusal,
        showQuietRefusal,
        keyForRootMessage(message.guildId, message.channelId, message.id).workspace,
      ))
    ) {
      return;
    }
    const target =
      route.kind === 'new-thread' && empty
        ? {
            key: keyForRootMessage(message.guildId, message.channelId, message.id),
            channel: this.sendable(message),
            replyTo: message.id,
          }
        : await this.targetFor(message, route.kind, prompt, route);
    const turn: IncomingTurn = {
      key: target.key,
      author: { id: message.author.id, name: message.member?.displayName ?? message.author.displayName },
      text: prompt,
      attachments: toAttachmentRefs(message.attachments.values(), {
        channel: message.channelId,
        message: message.id,
      }),
      messageIds: [message.id],
      mode: 'new',
    };
    await this.runner.run(turn, this.sinkFor(target), showRefusal, showQuietRefusal, {
      rateLimitChecked: opensThread,
    });
  }

  private placeKey(message: Message | PartialMessage): ConversationKey {
    const channel = message.channel;
    return keyForPlace({
      guildId: message.guildId,
      channelId: channel.id,
      parentId: channel.isThread() ? channel.parentId : null,
    });
  }

  private async targetFor(
    message: Message,
    kind: 'new-thread' | 'thread' | 'reply-chain' | 'dm',
    prompt: string,
    route: ReturnType<typeof routeMessage>,
  ): Promise<Target> {
    const channel = this.sendable(message);
    if (kind === 'thread' || kind === 'dm') return { key: this.placeKey(message), channel };
    if (kind === 'reply-chain' && route.kind === 'reply-chain') {
      const known =
        this.runner.conversationOfReply(route.referencedMessageId) ??
        (await this.options.store.history.findByMessage('discord', route.referencedMessageId));
      const key = known ?? keyForRootMessage(message.guildId, message.channelId, route.referencedMessageId);
      return { key, channel, replyTo: message.id };
    }
    // A mention in a channel: open a public thread from the message and answer there.
    try {
      const thread = await message.startThread({
        name: threadTitle(prompt),
        autoArchiveDuration: THREAD_AUTO_ARCHIVE_MINUTES,
      });
      return {
        key: keyForPlace({ guildId: message.guildId, channelId: thread.id, parentId: message.channelId }),
        channel: thread,
      };
    } catch (error) {
      if (error instanceof DiscordAPIError && error.code === THREAD_ALREADY_EXISTS) {
        const thread = await this.options.client.channels.fetch(message.id);
        if (thread?.isThread()) {
          return {
            key: keyForPlace({ guildId: message.guildId, channelId: thread.id, parentId: message.channelId }),
            channel: thread,
          };
        }
      }
      // No thread permission (or another refusal): answer in the channel as a reply chain instead.
      this.log.warn({ err: error }, 'could not start a thread; answering in the channel');
      return {
        key: keyForRootMessage(message.guildId, message.channelId, message.id),
        channel,
        replyTo: message.id,
      };
    }
  }

  private sinkFor(target: Target): ChannelSink {
    return new ChannelSink({
      channel: target.channel,
      key: target.key,
      ...(target.replyTo ? { replyTo: target.replyTo } : {}),
      onPosted: (id) => this.runner.notePosted(target.key, id),
      models: this.options.engine.allowedModels,
      logger: this.log,
    });
  }

  /** A short inline answer to a message (refusals), pinging nobody. */
  private async replyInline(message: Message, text: string): Promise<void> {
    await message.reply({ content: text, allowedMentions: NO_MENTIONS }).catch((err: unknown) => {
      this.log.warn({ err }, 'could not reply inline');
    });
  }

  /** The prompt a message asks, for telling a real edit from an embed unfurl or a pin. */
  private promptFactsOf(message: Message): PromptFacts {
    return { text: this.promptOf(message), attachmentIds: [...message.attachments.keys()] };
  }

  /**
   * A prompt was edited. Only the latest prompt of a conversation counts: its reply is cancelled if
   * still streaming, and the edited prompt is answered again (history drops the old version).
   * Updates that leave the prompt as it was (embeds resolving, pins, an uncached message after a
   * restart) are compared with the prompt being answered or kept in history, and ignored.
   */
  private async onEdit(before: Message | PartialMessage, after: Message | PartialMessage): Promise<void> {
    const message = after.partial ? await after.fetch().catch(() => undefined) : after;
    if (!message || message.author.bot || message.webhookId) return;
    if (message.inGuild() && !this.guilds.admits(message.guildId)) return;
    const prompt = this.promptFactsOf(message);
    // The cached old version answers most updates without a store read.
    if (!before.partial && !promptChanged(this.promptFactsOf(before), prompt)) return;

    const running = this.runner.runningFor(message.id);
    const answered = running ?? (await this.latestPromptIn(message.id));
    if (!answered || !promptChanged(factsOfTurn(answered.turn), prompt)) return;
    const key = answered.key;
    const refusal = await this.runner.refusal(this.accessFacts(message));
    if (refusal) return;
    if (running) {
      // Only this prompt's turn: it may still be queued behind another user's streaming answer.
      await this.options.engine.stop(running.key, { messageId: message.id });
      await running.done.catch(() => undefined);
    }
    const target = await this.editTarget(message, key);
    const turn: IncomingTurn = {
      key,
      author: { id: message.author.id, name: message.member?.displayName ?? message.author.displayName },
      text: prompt.text,
      attachments: toAttachmentRefs(message.attachments.values(), {
        channel: message.channelId,
        message: message.id,
      }),
      messageIds: [message.id],
      mode: 'edit',
    };
    await this.runner.run(turn, this.sinkFor(target), (sentence) => this.replyInline(message, sentence));
  }

  /** The conversation whose latest prompt is this message, with that prompt; else undefined. */
  private async latestPromptIn(messageId: string): Promise<{ key: ConversationKey; turn: Turn } | undefined> {
    const key = await this.options.store.history.findByMessage('discord', messageId);
    if (!key) return undefined;
    const history = await this.options.store.history.load(key);
    const turn = history.findLast((t) => t.role === 'user');
    return turn?.messageIds.includes(messageId) ? { key, turn } : undefined;
  }

  /** Where the answer to an edited prompt goes: its thread, its DM, or the channel as a reply. */
  private async editTarget(message: Message, key: ConversationKey): Promise<Target> {
    const channel = this.sendable(message);
    if (!message.inGuild() || message.channel.isThread()) return { key, channel };
    if (key.thread !== message.channelId) {
      const thread = await this.options.client.channels.fetch(key.thread).catch(() => null);
      if (thread?.isThread()) return { key, channel: thread };
    }
    return { key, channel, replyTo: message.id };
  }

  private async onInteraction(interaction: Interaction): Promise<void> {
    // Also a user-installed interaction from a server the bot is not in: that server is still
    // judged by ALLOW_GUILDS (its guild id is known even where the bot has no member record).
    if (interaction.guildId && !this.guilds.admits(interaction.guildId)) return;
    if (interaction.isChatInputCommand()) return this.commands.handle(interaction);
    if (interaction.isMessageContextMenuCommand()) return this.messageCommands.handle(interaction);
    if (interaction.isModalSubmit()) return this.messageCommands.onModalSubmit(interaction);
    const shared = interaction.isButton() ? parseShareButtonId(interaction.customId) : undefined;
    if (interaction.isButton() && shared) {
      return shareAnswer(interaction, shared, { runner: this.runner, history: this.options.store.history });
    }
    if (interaction.isAutocomplete()) {
      return answerAutocomplete(interaction, {
        allowedModels: this.options.engine.allowedModels,
        runner: this.runner,
      });
    }
    if (interaction.isButton()) return this.onButton(interaction);
    if (interaction.isStringSelectMenu()) return this.onModelChoice(interaction);
  }

  /**
   * The checks every button and menu of an answer passes: the allow/block lists (refused
   * ephemerally) and, with `control`, that the presser asked the answer or may manage messages.
   * True when the interaction may go on.
   */
  private async mayUse(
    interaction: ButtonInteraction | StringSelectMenuInteraction,
    key: ConversationKey,
    control: boolean,
  ): Promise<boolean> {
    const channel = interaction.channel;
    const refusal = await this.runner.refusal({
      userId: interaction.user.id,
      roleIds: this.commands.roleIdsOf(interaction),
      channelIds: [
        interaction.channelId,
        ...(channel?.isThread() && channel.parentId ? [channel.parentId] : []),
      ],
      isDm: !interaction.inGuild(),
    });
    if (refusal) {
      await interaction.reply({ content: describeError(refusal), flags: MessageFlags.Ephemeral });
      return false;
    }
    if (control && !(await this.commands.mayControl(interaction, key))) {
      await interaction.reply({ content: NOT_YOUR_ANSWER, flags: MessageFlags.Ephemeral });
      return false;
    }
    return true;
  }

  /** Stop cancels the running reply; Regenerate answers the last prompt again; 👍/👎 rate the answer. */
  private async onButton(interaction: ButtonInteraction): Promise<void> {
    const parsed = parseButtonId(interaction.customId);
    if (!parsed || parsed.action === 'model') return;
    // Anyone who may use the bot here may rate an answer; only its asker (or a moderator) controls it.
    const rating = parsed.action === 'up' ? 'positive' : parsed.action === 'down' ? 'negative' : undefined;
    if (!(await this.mayUse(interaction, parsed.key, rating === undefined))) return;
    const { engine } = this.options;
    if (rating) return rateFromButton(interaction, rating, engine, this.log);
    if (parsed.action === 'stop') {
      await interaction.deferUpdate();
      if (!(await engine.stop(parsed.key))) {
        await interaction.followUp({
          content: 'That answer is already finished.',
          flags: MessageFlags.Ephemeral,
        });
      }
      return;
    }
    return this.regenerate(interaction, parsed.key);
  }

  /** A model chosen in the regenerate menu: answer the last prompt again with it. */
  private async onModelChoice(interaction: StringSelectMenuInteraction): Promise<void> {
    const parsed = parseButtonId(interaction.customId);
    if (parsed?.action !== 'model') return;
    if (!(await this.mayUse(interaction, parsed.key, true))) return;
    const model = interaction.values[0] ?? '';
    try {
      this.options.engine.assertModelAllowed(model);
    } catch (error) {
      await interaction.reply({ content: describeError(error), flags: MessageFlags.Ephemeral });
      return;
    }
    return this.regenerate(interaction, parsed.key, model);
  }

  /** Answers the conversation's last prompt again below the old answer (with `model`, if chosen). */
  private async regenerate(
    interaction: ButtonInteraction | StringSelectMenuInteraction,
    key: ConversationKey,
    model?: string,
  ): Promise<void> {
    const { engine } = this.options;
    const channel = interaction.channel;
    if (isPrivateKey(key)) {
      // Private answers carry no Regenerate; an old button must not answer in the open channel.
      await interaction.reply({
        content: 'Ask again with /ask private:true to get a new private answer.',
        flags: MessageFlags.Ephemeral,
      });
      return;
    }
    if (engine.isStreaming(key)) {
      await interaction.reply({
        content: 'An answer is still being written here; wait for it or press Stop first.',
        flags: MessageFlags.Ephemeral,
      });
      return;
    }
    // Take the button off the old answer (one callback, no extra edit), then answer again below it.
    await interaction.update({ components: [] });
    if (!channel?.isSendable()) return;
    const inThreadOrDm = channel.isThread() || channel.isDMBased();
    const target: Target = {
      key: key,
      channel,
      ...(inThreadOrDm ? {} : { replyTo: interaction.message.id }),
    };
    const turn: IncomingTurn = {
      key: key,
      author: { id: interaction.user.id, name: interaction.user.displayName },
      text: '',
      attachments: [],
      messageIds: [interaction.id],
      ...(model ? { model } : {}),
      mode: 'regenerate',
    };
    await this.runner.run(turn, this.sinkFor(target), (sentence) =>
      interaction.followUp({ content: sentence, flags: MessageFlags.Ephemeral }),
    );
  }
}

/** The prompt a turn (running or kept in history) asked. */
function factsOfTurn(turn: { text: string; attachments: Array<{ id: string }> }): PromptFacts {
  return { text: turn.text, attachmentIds: turn.attachments.map((attachment) => attachment.id) };
}
