/**
 * The slash commands (defined in commands/discord-commands.ts). Each one acknowledges with
 * `deferReply` first (Discord's 3-second deadline), then edits its response: /ask and /chat stream
 * the answer through an `InteractionSink` or a thread; the others answer once, ephemerally.
 * Refusals and bad input get an ephemeral sentence, never a stack trace.
 */
import {
  type ChatInputCommandInteraction,
  type Client,
  type Interaction,
  MessageFlags,
  PermissionFlagsBits,
} from 'discord.js';
import type { Config } from '../../config.js';
import { formatBudgetLines } from '../../engine/budgets.js';
import type { ConversationEngineApi } from '../../engine/conversation-engine-api.js';
import { describeError } from '../../engine/describe-error.js';
import type { IncomingTurn } from '../../engine/types.js';
import { UserInputError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { ConversationKey, Store } from '../../store/types.js';
import { fitContent, formatUsage, helpText, NO_MENTIONS } from './format.js';
import {
  type ChannelPlace,
  keyForPlace,
  keyForRootMessage,
  privateKeyFor,
  scopeForPlace,
  threadTitle,
  toAttachmentRefs,
} from './normalize.js';
import { privateAnswerComponents } from './share-button.js';
import { ChannelSink, InteractionSink } from './sink.js';
import { DiscordSummaries } from './summaries.js';
import type { DiscordTurnRunner } from './turns.js';
import { webhookAnswerPlan } from './user-install.js';

/** Option names, shared by these handlers and the definitions in commands/discord-commands.ts. */
export const OPTION = {
  prompt: 'prompt',
  attachment: 'attachment',
  model: 'model',
  private: 'private',
  name: 'name',
  clear: 'clear',
  messages: 'messages',
} as const;

/** Every command this file answers; a test checks the definitions match. */
export const HANDLED_COMMANDS = [
  'ask',
  'chat',
  'model',
  'system',
  'reset',
  'stop',
  'usage',
  'help',
  'summarize',
] as const;

export interface DiscordCommandsOptions {
  client: Client;
  config: Config;
  engine: ConversationEngineApi;
  store: Store;
  logger: Logger;
  runner: DiscordTurnRunner;
}

type Command = ChatInputCommandInteraction;

/** Stop and Regenerate belong to whoever asked; Manage Messages (or ADMIN_USERS) may use them on any answer. */
export const NOT_YOUR_ANSWER = 'Only the person who asked (or someone with Manage Messages) can do that.';

export class DiscordCommands {
  private readonly summaries: DiscordSummaries;

  constructor(private readonly options: DiscordCommandsOptions) {
    this.summaries = new DiscordSummaries(options);
  }

  /** Role ids of whoever triggered an interaction (cached member or raw API member). */
  roleIdsOf(interaction: Interaction): string[] {
    const roles = interaction.member?.roles;
    if (!roles) return [];
    return Array.isArray(roles) ? roles : [...roles.cache.keys()];
  }

  /**
   * Whether this user may stop or regenerate the answer of `key`: they asked it (the running turn,
   * else the last prompt in history), manage the channel's messages, or are in ADMIN_USERS.
   */
  async mayControl(interaction: Interaction, key: ConversationKey): Promise<boolean> {
    const user = interaction.user.id;
    if (interaction.memberPermissions?.has(PermissionFlagsBits.ManageMessages)) return true;
    if (this.options.config.access.adminUsers.includes(user)) return true;
    const asker =
      this.options.runner.askerOf(key) ??
      (await this.options.store.history.load(key)).findLast((turn) => turn.role === 'user')?.author?.id;
    return asker === user;
  }

  async handle(interaction: Command): Promise<void> {
    const place = this.place(interaction);
    const refusal = await this.options.runner.refusal({
      userId: interaction.user.id,
      roleIds: this.roleIdsOf(interaction),
      channelIds: [interaction.channelId, ...(place.parentId ? [place.parentId] : [])],
      isDm: !interaction.inGuild(),
    });
    if (refusal && interaction.commandName !== 'help') {
      await interaction.reply({ content: describeError(refusal), flags: MessageFlags.Ephemeral });
      return;
    }
    try {
      switch (interaction.commandName) {
        case 'ask':
          return await this.ask(interaction);
        case 'chat':
          return await this.chat(interaction);
        case 'model':
          return await this.model(interaction);
        case 'system':
          return await this.system(interaction);
        case 'reset':
          return await this.reset(interaction);
        case 'stop':
          return await this.stop(interaction);
        case 'usage':
          return await this.usage(interaction);
        case 'summarize':
          return await this.summaries.slash(interaction, interaction.options.getInteger(OPTION.messages));
        case 'help':
          return await this.ephemeral(interaction, helpText(this.options.engine.allowedModels));
        default:
          return await this.ephemeral(interaction, `Unknown command /${interaction.commandName}.`);
      }
    } catch (error) {
      this.options.logger.warn({ err: error, command: interaction.commandName }, 'slash command failed');
      await this.ephemeral(interaction, describeError(error)).catch(() => undefined);
    }
  }

  /** Where the command was used: its guild, channel and (for a thread) parent channel. */
  private place(interaction: Command): ChannelPlace {
    const channel = interaction.channel;
    return {
      guildId: interaction.guildId,
      channelId: interaction.channelId,
      parentId: channel?.isThread() ? channel.parentId : null,
    };
  }

  /** The conversation of a thread or DM; undefined in a plain channel (no conversation lives there). */
  private conversationHere(interaction: Command): ConversationKey | undefined {
    const place = this.place(interaction);
    return place.parentId || !place.guildId ? keyForPlace(place) : undefined;
  }

  /** Answers for the user's eyes only, whether or not the command deferred yet. */
  private async ephemeral(interaction: Command, text: string): Promise<void> {
    const payload = { content: fitContent(text), allowedMentions: NO_MENTIONS };
    if (interaction.deferred || interaction.replied) {
      if (interaction.ephemeral) await interaction.editReply(payload);
      else {
        await interaction.deleteReply().catch(() => undefined);
        await interaction.followUp({ ...payload, flags: MessageFlags.Ephemeral });
      }
      return;
    }
    await interaction.reply({ ...payload, flags: MessageFlags.Ephemeral });
  }

  /** /ask prompt [attachment] [model] [private]: one answer as the command's response. */
  private async ask(interaction: Command): Promise<void> {
    const prompt = interaction.options.getString(OPTION.prompt)?.trim() ?? '';
    const model = interaction.options.getString(OPTION.model) ?? undefined;
    const attachment = interaction.options.getAttachment(OPTION.attachment);
    const askedPrivate = interaction.options.getBoolean(OPTION.private);
    // Where only the user installed the app, the webhook is the only way to answer (user-install.ts).
    const viaWebhook = webhookAnswerPlan(interaction, askedPrivate);
    const isPrivate = viaWebhook?.isPrivate ?? askedPrivate ?? false;
    // Bad input is answered before deferring, so the explanation can be ephemeral.
    if (!prompt && !attachment)
      return this.ephemeral(interaction, 'Write a question in the `prompt` option.');
    if (model && !this.options.engine.allowedModels.includes(model)) {
      return this.ephemeral(interaction, describeError(this.modelError(model)));
    }
    await interaction.deferReply(isPrivate ? { flags: MessageFlags.Ephemeral } : {});
    // Where only the user installed the app, each answer is its own conversation (user-install.ts);
    // elsewhere a private answer continues its owner's private conversation, never the thread's.
    const key =
      viaWebhook?.key ??
      (isPrivate
        ? privateKeyFor(this.place(interaction), interaction.user.id)
        : (this.conversationHere(interaction) ??
          keyForRootMessage(interaction.guildId, interaction.channelId, interaction.id)));
    const channel = !viaWebhook && interaction.channel?.isSendable() ? interaction.channel : null;
    const sink = new InteractionSink({
      ...(viaWebhook
        ? {
            maxFollowUps: viaWebhook.maxFollowUps,
            components: privateAnswerComponents(viaWebhook.shareable),
          }
        : {}),
      interaction,
      key,
      ephemeral: isPrivate,
      onPosted: (id) => this.options.runner.notePosted(key, id),
      models: this.options.engine.allowedModels,
      ...(!isPrivate && channel
        ? {
            fallback: () =>
              new ChannelSink({
                channel,
                key,
                models: this.options.engine.allowedModels,
                logger: this.options.logger,
              }),
          }
        : {}),
      logger: this.options.logger,
    });
    const turn: IncomingTurn = {
      key,
      author: { id: interaction.user.id, name: interaction.user.displayName },
      text: prompt,
      // Command attachments live on no message; their URL can still be refreshed by Discord.
      attachments: attachment ? toAttachmentRefs([attachment]) : [],
      messageIds: [interaction.id],
      ...(model ? { model } : {}),
      mode: 'new',
    };
    await this.options.runner.run(turn, sink, (sentence) => this.ephemeral(interaction, sentence));
  }

  /** /chat [prompt]: opens a thread from the command's response and answers the prompt there. */
  private async chat(interaction: Command): Promise<void> {
    const channel = interaction.channel;
    if (!interaction.inGuild() || !channel || channel.isThread() || !('threads' in channel)) {
      return this.ephemeral(interaction, 'Use /chat in a server channel. Here, just write your message.');
    }
    const prompt = interaction.options.getString(OPTION.prompt)?.trim() ?? '';
    await interaction.deferReply();
    const title = threadTitle(prompt, `Chat with ${interaction.user.displayName}`);
    const shown = prompt ? `**${interaction.user.displayName}:** ${prompt}` : `🧵 ${title}`;
    const opener = await interaction.editReply({ content: fitContent(shown), allowedMentions: NO_MENTIONS });
    const thread = await channel.threads.create({
      name: title,
      startMessage: opener.id,
      autoArchiveDuration: 1440,
    });
    if (!prompt) {
      await thread.send({
        content: 'Write your first message here; I answer everything in this thread.',
        allowedMentions: NO_MENTIONS,
      });
      return;
    }
    const key = keyForPlace({ guildId: interaction.guildId, channelId: thread.id, parentId: channel.id });
    const turn: IncomingTurn = {
      key,
      author: { id: interaction.user.id, name: interaction.user.displayName },
      text: prompt,
      attachments: [],
      messageIds: [interaction.id],
      mode: 'new',
    };
    const sink = new ChannelSink({
      channel: thread,
      key,
      models: this.options.engine.allowedModels,
      logger: this.options.logger,
    });
    await this.options.runner.run(turn, sink, (sentence) =>
      thread.send({ content: sentence, allowedMentions: NO_MENTIONS }),
    );
  }

  /** /model [name]: shows or sets (Manage Channels) the model for this thread (in a thread) or channel. */
  private async model(interaction: Command): Promise<void> {
    const name = interaction.options.getString(OPTION.name);
    const scope = scopeForPlace(this.place(interaction));
    const where = scope.thread && scope.thread !== scope.channel ? 'this thread' : 'this channel';
    if (!name) {
      const current = await this.options.engine.settings(scope);
      return this.ephemeral(
        interaction,
        `The model for ${where} is \`${current.model}\`. Available: ${this.options.engine.allowedModels.map((m) => `\`${m}\``).join(', ')}.`,
      );
    }
    // The same right as changing the instructions (/system).
    if (interaction.inGuild() && !interaction.memberPermissions?.has(PermissionFlagsBits.ManageChannels)) {
      return this.ephemeral(interaction, 'Changing the model needs the Manage Channels permission.');
    }
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    try {
      await this.options.engine.setModel(scope, name);
    } catch (error) {
      if (error instanceof UserInputError) return this.ephemeral(interaction, describeError(error));
      throw error;
    }
    await this.ephemeral(interaction, `From now on ${where} uses \`${name}\`.`);
  }

  /** /system [prompt] [clear]: the channel's instructions; changing them needs Manage Channels. */
  private async system(interaction: Command): Promise<void> {
    const prompt = interaction.options.getString(OPTION.prompt)?.trim();
    const clear = interaction.options.getBoolean(OPTION.clear) ?? false;
    const place = this.place(interaction);
    // The channel's prompt, also when asked from one of its threads.
    const scope = scopeForPlace(
      place.parentId ? { ...place, channelId: place.parentId, parentId: null } : place,
    );
    if (!prompt && !clear) {
      const current = await this.options.engine.settings(scope);
      return this.ephemeral(interaction, `The instructions here are:\n>>> ${current.systemPrompt}`);
    }
    if (interaction.inGuild() && !interaction.memberPermissions?.has(PermissionFlagsBits.ManageChannels)) {
      return this.ephemeral(interaction, 'Changing the instructions needs the Manage Channels permission.');
    }
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    await this.options.engine.setSystemPrompt(scope, clear ? null : (prompt ?? null));
    await this.ephemeral(
      interaction,
      clear ? 'The instructions are back to the default.' : 'New instructions saved for this channel.',
    );
  }

  /** /reset [private]: forgets the history of this thread or DM, or the caller's private conversation. */
  private async reset(interaction: Command): Promise<void> {
    if (interaction.options.getBoolean(OPTION.private)) {
      const key = privateKeyFor(this.place(interaction), interaction.user.id);
      await interaction.deferReply({ flags: MessageFlags.Ephemeral });
      await this.options.engine.stop(key);
      await this.options.engine.reset(key);
      return this.ephemeral(interaction, 'Done: I forgot your private conversation in this channel.');
    }
    const key = this.conversationHere(interaction);
    if (!key)
      return this.ephemeral(interaction, 'Use /reset inside a conversation thread (or in a DM with me).');
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    await this.options.engine.stop(key);
    await this.options.engine.reset(key);
    await this.ephemeral(interaction, 'Done: I forgot this conversation. The next message starts afresh.');
  }

  /** /stop: cancels the answer being written in this thread or DM. */
  private async stop(interaction: Command): Promise<void> {
    const key = this.conversationHere(interaction);
    if (key && this.options.engine.isStreaming(key) && !(await this.mayControl(interaction, key))) {
      return this.ephemeral(interaction, NOT_YOUR_ANSWER);
    }
    const stopped = key ? await this.options.engine.stop(key) : false;
    await this.ephemeral(interaction, stopped ? 'Stopped.' : 'Nothing is being written here right now.');
  }

  /** /usage: tokens of this conversation (in a thread or DM) and of the user. */
  private async usage(interaction: Command): Promise<void> {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const key = this.conversationHere(interaction);
    const totals = await this.options.engine.usage(
      key ?? keyForRootMessage(interaction.guildId, interaction.channelId, interaction.id),
      interaction.user.id,
    );
    const budgets = formatBudgetLines('discord', totals.budgets);
    await this.ephemeral(interaction, [formatUsage(totals, key !== undefined), ...budgets].join('\n'));
  }

  private modelError(model: string): UserInputError {
    return new UserInputError(
      'model_not_allowed',
      `The model "${model}" is not available. Choose one of: ${this.options.engine.allowedModels.join(', ')}.`,
    );
  }
}
