/**
 * The message context-menu commands (Apps → Explain / Translate / Ask Gemini / Summarize on any message). Each
 * answers privately (an ephemeral response streamed through an `InteractionSink`) with a Share
 * button that posts the answer for everyone. "Ask Gemini" first opens a modal for the question.
 * The target message's text and its image and video attachments are the turn's input; the
 * attachments go through the engine's resolver and budgets like any other turn's.
 */
import {
  ActionRowBuilder,
  type MessageContextMenuCommandInteraction,
  MessageFlags,
  ModalBuilder,
  type ModalSubmitInteraction,
  TextInputBuilder,
  TextInputStyle,
} from 'discord.js';
import type { Config } from '../../config.js';
import type { ConversationEngineApi } from '../../engine/conversation-engine-api.js';
import { describeError } from '../../engine/describe-error.js';
import type { IncomingTurn } from '../../engine/types.js';
import type { Logger } from '../../log.js';
import type { AttachmentRef, ConversationKey } from '../../store/types.js';
import { fitContent, NO_MENTIONS } from './format.js';
import { refusalFor } from './interaction-access.js';
import { keyForRootMessage, toAttachmentRefs } from './normalize.js';
import { privateAnswerSink } from './private-answer-sink.js';
import { DiscordSummaries } from './summaries.js';
import type { DiscordTurnRunner } from './turns.js';
import { keyForUserInstall, webhookOnly } from './user-install.js';

/** The message commands' names as Discord shows them (1-32 characters, capitals and spaces allowed). */
export const MESSAGE_COMMAND = {
  explain: 'Explain',
  translate: 'Translate',
  ask: 'Ask Gemini',
  summarize: 'Summarize',
} as const;

/** Every message command this file answers; a test checks the definitions match. */
export const HANDLED_MESSAGE_COMMANDS: readonly string[] = Object.values(MESSAGE_COMMAND);

/** Custom id prefix of the "Ask Gemini" modal; the rest is the command interaction's id. */
export const ASK_MODAL_PREFIX = 'gcb:askmsg:';
/** The modal's one text input. */
export const QUESTION_FIELD = 'question';
const QUESTION_MAX_LENGTH = 2_000;
/** How long a message waits for its question (a modal can stay open; the token lives 15 minutes). */
const PENDING_QUESTION_TTL_MS = 15 * 60 * 1000;

/** What a message command works on: the target message's text, author and media. */
interface TargetMessage {
  content: string;
  authorName: string;
  attachments: AttachmentRef[];
}

export interface MessageCommandsOptions {
  config: Config;
  engine: ConversationEngineApi;
  logger: Logger;
  runner: DiscordTurnRunner;
}

type Answerable = MessageContextMenuCommandInteraction | ModalSubmitInteraction;

/** The language a Discord locale (`en-US`, `pt-BR`, `zh-TW`) names, in English. */
export function languageOf(locale: string): string {
  try {
    return new Intl.DisplayNames(['en'], { type: 'language' }).of(locale) ?? locale;
  } catch {
    return locale;
  }
}

export class DiscordMessageCommands {
  /** "Ask Gemini" targets waiting for their modal, by command interaction id. */
  private readonly pending = new Map<string, { target: TargetMessage; expiresAt: number }>();
  private readonly summaries: DiscordSummaries;

  constructor(private readonly options: MessageCommandsOptions) {
    this.summaries = new DiscordSummaries(options);
  }

  async handle(interaction: MessageContextMenuCommandInteraction): Promise<void> {
    const refusal = await refusalFor(this.options.runner, interaction);
    if (refusal) return this.privately(interaction, describeError(refusal));
    const target = this.targetOf(interaction);
    switch (interaction.commandName) {
      case MESSAGE_COMMAND.explain:
        if (!target.content && target.attachments.length === 0) {
          return this.privately(interaction, 'That message has no text, image or video to explain.');
        }
        return this.answer(interaction, target.attachments, explainPrompt(target));
      case MESSAGE_COMMAND.translate:
        if (!target.content) return this.privately(interaction, 'That message has no text to translate.');
        return this.answer(interaction, [], translatePrompt(target, languageOf(interaction.locale)));
      case MESSAGE_COMMAND.ask:
        return this.askQuestion(interaction, target);
      case MESSAGE_COMMAND.summarize:
        return this.summaries.messageCommand(interaction);
      default:
        return this.privately(interaction, `Unknown command ${interaction.commandName}.`);
    }
  }

  /** The "Ask Gemini" modal was submitted: answer the question about the remembered message. */
  async onModalSubmit(interaction: ModalSubmitInteraction): Promise<void> {
    if (!interaction.customId.startsWith(ASK_MODAL_PREFIX)) return;
    const refusal = await refusalFor(this.options.runner, interaction);
    if (refusal) return this.privately(interaction, describeError(refusal));
    const commandId = interaction.customId.slice(ASK_MODAL_PREFIX.length);
    const waiting = this.pending.get(commandId);
    this.pending.delete(commandId);
    if (!waiting || waiting.expiresAt < Date.now()) {
      return this.privately(interaction, 'I no longer have that message: use Ask Gemini on it again.');
    }
    const question = interaction.fields.getTextInputValue(QUESTION_FIELD).trim();
    if (!question) return this.privately(interaction, 'Write a question about the message.');
    const target = waiting.target;
    return this.answer(interaction, target.attachments, askPrompt(target, question));
  }

  /** Opens the question modal; the message is remembered until it is submitted. */
  private async askQuestion(
    interaction: MessageContextMenuCommandInteraction,
    target: TargetMessage,
  ): Promise<void> {
    const now = Date.now();
    for (const [id, entry] of this.pending) if (entry.expiresAt < now) this.pending.delete(id);
    this.pending.set(interaction.id, { target, expiresAt: now + PENDING_QUESTION_TTL_MS });
    const question = new TextInputBuilder()
      .setCustomId(QUESTION_FIELD)
      .setLabel('Your question about the message')
      .setStyle(TextInputStyle.Paragraph)
      .setRequired(true)
      .setMaxLength(QUESTION_MAX_LENGTH);
    await interaction.showModal(
      new ModalBuilder()
        .setCustomId(`${ASK_MODAL_PREFIX}${interaction.id}`)
        .setTitle('Ask Gemini about this message')
        .addComponents(new ActionRowBuilder<TextInputBuilder>().addComponents(question)),
    );
  }

  private targetOf(interaction: MessageContextMenuCommandInteraction): TargetMessage {
    const message = interaction.targetMessage;
    const media = [...message.attachments.values()];
    return {
      content: message.content.trim(),
      authorName: message.member?.displayName ?? message.author.displayName,
      attachments: toAttachmentRefs(media, { channel: message.channelId, message: message.id }).filter(
        (ref) => /^(image|video)\//.test(ref.mimeType ?? ''),
      ),
    };
  }

  /** The conversation a message command starts: per user where only the user installed the app. */
  private keyFor(interaction: Answerable): ConversationKey {
    return webhookOnly(interaction)
      ? keyForUserInstall(interaction.user.id, interaction.id)
      : keyForRootMessage(interaction.guildId, interaction.channelId ?? interaction.user.id, interaction.id);
  }

  /** Streams a private answer with a Share button, through the interaction webhook only. */
  private async answer(interaction: Answerable, attachments: AttachmentRef[], prompt: string): Promise<void> {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const key = this.keyFor(interaction);
    const sink = privateAnswerSink(interaction, key, this.options);
    const turn: IncomingTurn = {
      key,
      author: { id: interaction.user.id, name: interaction.user.displayName },
      text: prompt,
      attachments,
      messageIds: [interaction.id],
      mode: 'new',
    };
    await this.options.runner.run(turn, sink, (sentence) => this.privately(interaction, sentence));
  }

  /** A short private answer, whether or not the interaction was acknowledged yet. */
  private async privately(interaction: Answerable, text: string): Promise<void> {
    const payload = { content: fitContent(text), allowedMentions: NO_MENTIONS };
    if (interaction.deferred || interaction.replied) await interaction.editReply(payload);
    else await interaction.reply({ ...payload, flags: MessageFlags.Ephemeral });
  }
}

const quoted = (target: TargetMessage) =>
  target.content ? `\n\n<message author="${target.authorName}">\n${target.content}\n</message>` : '';

function explainPrompt(target: TargetMessage): string {
  const media = target.attachments.length > 0 ? ' and what its attached images or videos show' : '';
  return `Explain this Discord message: what it says and means${media}.${quoted(target)}`;
}

function translatePrompt(target: TargetMessage, language: string): string {
  return `Translate this Discord message into ${language}. Answer with the translation only.${quoted(target)}`;
}

function askPrompt(target: TargetMessage, question: string): string {
  return `${question}\n\nThe question is about this Discord message${target.attachments.length > 0 ? ' and its attachments' : ''}:${quoted(target) || ' (it has no text)'}`;
}
