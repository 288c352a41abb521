/**
 * Reply sinks on discord.js: where the renderer's posts and edits land. `ChannelSink` writes channel
 * (and thread, and DM) messages; `InteractionSink` writes a slash command's deferred response and
 * its follow-ups, and falls back to channel messages once the interaction token lapses (15 minutes).
 *
 * Every message goes out with `allowed_mentions: { parse: [] }` (model text never pings anyone),
 * carries Stop while streaming and Regenerate afterwards, with 👍/👎 and the regenerate-with-model
 * menu once the answer is whole (on the last message of the reply only),
 * and first takes a slot of its channel's shared budget. The client is built with
 * `rejectOnRateLimit` for message routes (see client.ts), so a spent bucket surfaces here as a
 * `RateLimitError`, which becomes the `PlatformRateLimitError` the renderer backs off on.
 */
import { DiscordAPIError, type Message, MessageFlags, RateLimitError, RESTJSONErrorCodes } from 'discord.js';
import { TYPING_EVERY_MS } from '../../engine/renderer.js';
import type { ReplyPhase, ReplySink, SinkLimits } from '../../engine/types.js';
import { PlatformRateLimitError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { ConversationKey } from '../../store/types.js';
import type { ChannelEditBudget } from './edit-budget.js';
import {
  answerComponents,
  DISCORD_MAX_CONTENT,
  DISCORD_REPLY_LIMIT,
  type MessageRowJson,
  NO_MENTIONS,
} from './format.js';

/** About one edit per second per reply, as streaming Discord bots settled on (platforms.md). */
export const DISCORD_EDIT_INTERVAL_MS = 1_000;
const LIMITS: SinkLimits = {
  maxMessageLength: DISCORD_REPLY_LIMIT,
  editIntervalMs: DISCORD_EDIT_INTERVAL_MS,
};
/** Interaction tokens work for 15 minutes; leave a margin for the request in flight. */
const INTERACTION_TOKEN_LIFETIME_MS = 14.5 * 60 * 1000;
/** What `InteractionSink.post` returns once the follow-up cap is reached (edits to it do nothing). */
const CUT_MESSAGE_ID = 'cut';
/** Discord's codes for an interaction token that no longer works. */
const EXPIRED_TOKEN_CODES = new Set<number>([
  RESTJSONErrorCodes.InvalidWebhookToken,
  RESTJSONErrorCodes.UnknownWebhook,
]);

/** Turns discord.js rate-limit outcomes into the renderer's back-off signal; other errors pass. */
export function toSinkError(error: unknown): unknown {
  if (error instanceof RateLimitError) {
    return new PlatformRateLimitError(Math.max(error.retryAfter, error.timeToReset, 250), error.message, {
      cause: error,
    });
  }
  if (error instanceof DiscordAPIError && error.status === 429) return new PlatformRateLimitError(1_000);
  return error;
}

/** The part of a discord.js text channel (guild text, thread, DM) a sink needs. */
export interface SendableChannel {
  id: string;
  send(options: object): Promise<Message>;
  sendTyping(): Promise<void>;
  messages: { edit(id: string, options: object): Promise<Message> };
}

export interface ChannelSinkOptions {
  channel: SendableChannel;
  key: ConversationKey;
  budget: ChannelEditBudget;
  /** The user's message the reply answers (a reply reference, outside threads). */
  replyTo?: string;
  /** Told about every message posted (the adapter maps replies to conversations before history has them). */
  onPosted?: (messageId: string) => void;
  /** The models Regenerate may answer with (a menu on the finished answer when more than one). */
  models?: readonly string[];
  logger?: Logger;
}

/** A reply made of channel messages: post with `channel.send`, edit with `messages.edit`. */
export class ChannelSink implements ReplySink {
  readonly limits = LIMITS;
  private readonly posted: string[] = [];
  private lastTypingAt = 0;

  constructor(private readonly options: ChannelSinkOptions) {}

  async post(text: string, phase: ReplyPhase): Promise<string> {
    const { channel, key, replyTo, budget } = this.options;
    await budget.acquire(channel.id);
    try {
      const message = await channel.send({
        content: text,
        allowedMentions: NO_MENTIONS,
        components: answerComponents(phase, key, this.options.models ?? []),
        // Only the first message of a reply points at the prompt; continuations follow it.
        ...(replyTo && this.posted.length === 0
          ? { reply: { messageReference: replyTo, failIfNotExists: false } }
          : {}),
      });
      const previous = this.posted.at(-1);
      this.posted.push(message.id);
      this.options.onPosted?.(message.id);
      if (previous) await this.clearButtons(previous);
      return message.id;
    } catch (error) {
      throw toSinkError(error);
    }
  }

  /**
   * The renderer finishes a message (phase `done`) before it posts the continuation, so that
   * message showed Regenerate for a moment; once it is no longer the last, its buttons go.
   */
  private async clearButtons(messageId: string): Promise<void> {
    await this.options.budget.acquire(this.options.channel.id);
    await this.options.channel.messages.edit(messageId, { components: [] }).catch((err: unknown) => {
      this.options.logger?.debug({ err }, 'could not clear the buttons of an earlier reply message');
    });
  }

  async edit(messageId: string, text: string, phase: ReplyPhase): Promise<void> {
    const { channel, key, budget } = this.options;
    await budget.acquire(channel.id);
    const isLast = this.posted.at(-1) === messageId;
    try {
      await channel.messages.edit(messageId, {
        content: text,
        allowedMentions: NO_MENTIONS,
        // Buttons belong to the reply's last message; earlier parts lose them when it moves on.
        components: isLast ? answerComponents(phase, key, this.options.models ?? []) : [],
      });
    } catch (error) {
      throw toSinkError(error);
    }
  }

  async typing(): Promise<void> {
    if (Date.now() - this.lastTypingAt < TYPING_EVERY_MS) return;
    this.lastTypingAt = Date.now();
    await this.options.channel.sendTyping();
  }

  async notice(text: string): Promise<void> {
    await this.options.budget.acquire(this.options.channel.id);
    try {
      await this.options.channel.send({ content: text, allowedMentions: NO_MENTIONS });
    } catch (error) {
      throw toSinkError(error);
    }
  }
}

/** The part of a deferred discord.js command interaction a sink needs. */
export interface DeferredInteraction {
  token: string;
  createdTimestamp: number;
  editReply(options: object): Promise<Message>;
  followUp(options: object): Promise<Message>;
}

export interface InteractionSinkOptions {
  interaction: DeferredInteraction;
  key: ConversationKey;
  budget: ChannelEditBudget;
  /** The answer is only for the user who asked (/ask private:true). */
  ephemeral: boolean;
  /** Builds the channel sink used once the interaction token lapsed; none for ephemeral answers. */
  fallback?: () => ChannelSink;
  /** The buttons by phase (default Stop while streaming, Regenerate afterwards; none after for ephemeral). */
  components?: (phase: ReplyPhase, key: ConversationKey) => MessageRowJson[];
  /** The models Regenerate may answer with (see ChannelSinkOptions.models). */
  models?: readonly string[];
  /**
   * Discord's follow-up cap for this interaction (5 for an app only the user installed). Text past
   * the last allowed message is cut there, with a note, rather than failing the answer.
   */
  maxFollowUps?: number;
  onPosted?: (messageId: string) => void;
  now?: () => number;
  logger?: Logger;
}

/**
 * A slash command's reply: the deferred original response first, then follow-ups. Past the token's
 * lifetime (or when Discord says the token is invalid) the rest goes to channel messages: a
 * message the renderer wants to edit but can no longer reach is posted again in the channel once,
 * and edited there from then on.
 */
export class InteractionSink implements ReplySink {
  readonly limits = LIMITS;
  private readonly posted: string[] = [];
  private originalId: string | undefined;
  private fallbackSink: ChannelSink | undefined;
  /** Interaction message id → the channel message that replaced it after the token lapsed. */
  private readonly replaced = new Map<string, string>();
  private tokenLapsed = false;
  /** The newest text of the last message, for the cut note once the follow-up cap is reached. */
  private lastText = '';
  private cut = false;
  private cutAtPhase: ReplyPhase | undefined;

  constructor(private readonly options: InteractionSinkOptions) {}

  /**
   * The buttons for `phase`: the caller's (`components`), else Stop while streaming, then
   * Regenerate; an ephemeral answer gets Stop only, since a regenerated answer would be posted in
   * the channel for everyone to see.
   */
  private componentsFor(phase: ReplyPhase): MessageRowJson[] {
    if (this.options.components) return this.options.components(phase, this.options.key);
    if (this.options.ephemeral && phase !== 'streaming') return [];
    return answerComponents(phase, this.options.key, this.options.models ?? []);
  }

  async post(text: string, phase: ReplyPhase): Promise<string> {
    const fallback = this.activeFallback();
    if (fallback) return fallback.post(text, phase);
    const { interaction, budget, ephemeral, maxFollowUps } = this.options;
    if (this.originalId !== undefined && maxFollowUps !== undefined && this.posted.length > maxFollowUps) {
      return this.cutHere(phase);
    }
    await budget.acquire(`interaction:${interaction.token}`);
    const payload = { content: text, allowedMentions: NO_MENTIONS, components: this.componentsFor(phase) };
    try {
      const message =
        this.originalId === undefined
          ? await interaction.editReply(payload)
          : await interaction.followUp({
              ...payload,
              ...(ephemeral ? { flags: MessageFlags.Ephemeral } : {}),
            });
      this.originalId ??= message.id;
      const previous = this.posted.at(-1);
      this.posted.push(message.id);
      this.lastText = text;
      this.options.onPosted?.(message.id);
      if (previous) {
        // As in ChannelSink: only the last message of a reply keeps the buttons.
        await budget.acquire(`interaction:${interaction.token}`);
        await interaction
          .editReply({ message: previous === this.originalId ? '@original' : previous, components: [] })
          .catch(() => undefined);
      }
      return message.id;
    } catch (error) {
      if (this.lapsedBy(error)) return this.post(text, phase);
      throw toSinkError(error);
    }
  }

  /**
   * No follow-up is left: the last message ends with a note instead, and the rest of the answer
   * (kept whole in history) is not shown. Returns an id whose edits change nothing.
   */
  private async cutHere(phase: ReplyPhase): Promise<string> {
    const last = this.posted.at(-1);
    if (!this.cut && last) {
      this.cut = true;
      const note = '\n… (cut here: Discord allows this app no more messages for one answer)';
      const kept = [...this.lastText].slice(0, DISCORD_MAX_CONTENT - note.length).join('');
      await this.options.budget.acquire(`interaction:${this.options.interaction.token}`);
      await this.options.interaction
        .editReply({
          message: last === this.originalId ? '@original' : last,
          content: `${kept}${note}`,
          components: this.componentsFor(phase),
        })
        .catch((err: unknown) => this.options.logger?.debug({ err }, 'could not add the cut note'));
    }
    this.cutAtPhase = phase;
    return CUT_MESSAGE_ID;
  }

  /** After the cut, the last shown message's buttons still follow the answer (Stop → done). */
  private async cutPhase(phase: ReplyPhase): Promise<void> {
    const last = this.posted.at(-1);
    if (!last || phase === this.cutAtPhase) return;
    this.cutAtPhase = phase;
    await this.options.budget.acquire(`interaction:${this.options.interaction.token}`);
    await this.options.interaction
      .editReply({
        message: last === this.originalId ? '@original' : last,
        components: this.componentsFor(phase),
      })
      .catch((err: unknown) =>
        this.options.logger?.debug({ err }, 'could not update the buttons after the cut'),
      );
  }

  async edit(messageId: string, text: string, phase: ReplyPhase): Promise<void> {
    if (messageId === CUT_MESSAGE_ID) return this.cutPhase(phase);
    const fallback = this.activeFallback();
    if (fallback) {
      const replacement = this.replaced.get(messageId);
      if (replacement) return fallback.edit(replacement, text, phase);
      // The renderer may still edit a message from before the token lapsed: repost it once.
      this.replaced.set(messageId, await fallback.post(text, phase));
      return;
    }
    if (this.tokenLapsed) return; // ephemeral answers cannot move to the channel: stop updating
    const { interaction, budget } = this.options;
    await budget.acquire(`interaction:${interaction.token}`);
    const isLast = this.posted.at(-1) === messageId;
    if (isLast) this.lastText = text;
    try {
      await interaction.editReply({
        message: messageId === this.originalId ? '@original' : messageId,
        content: text,
        allowedMentions: NO_MENTIONS,
        components: isLast ? this.componentsFor(phase) : [],
      });
    } catch (error) {
      if (this.lapsedBy(error)) return this.edit(messageId, text, phase);
      throw toSinkError(error);
    }
  }

  async notice(text: string): Promise<void> {
    const fallback = this.activeFallback();
    if (fallback) return fallback.notice(text);
    if (this.tokenLapsed) return;
    const { interaction, budget } = this.options;
    await budget.acquire(`interaction:${interaction.token}`);
    await interaction
      .followUp({ content: text, allowedMentions: NO_MENTIONS, flags: MessageFlags.Ephemeral })
      .catch(() => undefined);
  }

  /** The channel sink, once the interaction token is past its lifetime (or was refused). */
  private activeFallback(): ChannelSink | undefined {
    const now = this.options.now?.() ?? Date.now();
    if (
      !this.tokenLapsed &&
      now - this.options.interaction.createdTimestamp > INTERACTION_TOKEN_LIFETIME_MS
    ) {
      this.tokenLapsed = true;
    }
    if (!this.tokenLapsed || !this.options.fallback) return undefined;
    this.fallbackSink ??= this.options.fallback();
    return this.fallbackSink;
  }

  /** True (and switches to the fallback) when `error` says the token no longer works. */
  private lapsedBy(error: unknown): boolean {
    if (!(error instanceof DiscordAPIError) || !EXPIRED_TOKEN_CODES.has(Number(error.code))) return false;
    if (this.tokenLapsed) return false;
    this.options.logger?.info({ code: error.code }, 'interaction token lapsed; continuing in the channel');
    this.tokenLapsed = true;
    return true;
  }
}
