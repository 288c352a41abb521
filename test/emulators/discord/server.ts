/**
 * A loopback Discord for tests and benchmarks: REST v10 under `/api`, the gateway WebSocket at
 * `/gateway`, and the attachment CDN under `/cdn`, all on one 127.0.0.1 port. A real discord.js
 * Client logs in with `rest: { api: emulator.apiUrl }`; tests then act as Discord users through
 * `sendMessage`, `editMessage` and `interaction`, and assert on what Discord would show.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AttachmentCdn } from './cdn.js';
import { GatewayServer } from './gateway.js';
import { DEFAULT_MESSAGE_BUCKET, pingsOf, RateLimitBuckets } from './limits.js';
import { handleRest, type RestContext } from './rest.js';
import {
  type EmuAttachment,
  type EmuChannel,
  type EmuInteraction,
  EmulatorState,
  type EmuMessage,
  type EmuUser,
  type RestCall,
  toWireChannel,
  toWireMessage,
  toWireUser,
} from './state.js';

export type { EmuAttachment, EmuChannel, EmuInteraction, EmuMessage, EmuUser, RestCall };
export { pingsOf };

export interface DiscordEmulatorOptions {
  port?: number;
  token?: string;
  /** The message send+edit bucket per channel (default 5 per 5 s). */
  messageBucket?: { limit: number; windowMs: number };
  /** How long interaction tokens work for webhook calls (default 15 minutes). */
  interactionTokenLifetimeMs?: number;
  /** Delay added to every REST answer (benchmarks model Discord's latency with it). */
  restLatencyMs?: number;
}

export interface AttachmentInput {
  filename: string;
  contentType: string;
  bytes: Buffer;
}

export interface SendMessageInput {
  channelId: string;
  author?: EmuUser;
  content: string;
  /** Role ids of the author's member (guild channels). */
  roles?: string[];
  /** Users mentioned besides those found as `<@id>` in the content. */
  mentions?: EmuUser[];
  attachments?: AttachmentInput[];
  /** Id of the message this one replies to. */
  messageReference?: string;
  webhookId?: string;
  /** Message type (0 default, 19 reply, 7 member join, …). */
  type?: number;
}

/** Who installed the app for an interaction (`authorizing_integration_owners`). */
export type Installation = 'guild' | 'user' | 'both';

interface InteractionBase {
  channelId: string;
  user?: EmuUser;
  roles?: string[];
  /** Permission bits of the member (defaults to a plain member without Manage Channels). */
  permissions?: bigint;
  /** The invoking user's Discord locale (default en-US). */
  locale?: string;
  /**
   * `guild` (default): the bot is in the server; `user`: only the user installed the app (in a
   * server the bot is not in, a DM or a group DM); `both`: either way.
   */
  installation?: Installation;
}

export type InteractionInput =
  | (InteractionBase & {
      kind: 'command';
      name: string;
      options?: Array<{ name: string; type: number; value: string | number | boolean }>;
      /** Files for ATTACHMENT options: option name → file. */
      files?: Record<string, AttachmentInput>;
    })
  | (InteractionBase & {
      kind: 'button';
      customId: string;
      messageId: string;
    })
  | (InteractionBase & {
      /** Choosing in a string select menu (a message component, type 3) on `messageId`. */
      kind: 'select';
      customId: string;
      messageId: string;
      values: string[];
    })
  | (InteractionBase & {
      /** A message context-menu command (type 3) on `targetMessageId`. */
      kind: 'message-command';
      name: string;
      targetMessageId: string;
    })
  | (InteractionBase & {
      /** Typing into an option with autocomplete (interaction type 4); `focused` marks the one typed in. */
      kind: 'autocomplete';
      name: string;
      options: Array<{ name: string; type: number; value: string | number | boolean; focused?: boolean }>;
    })
  | (InteractionBase & {
      /** Submitting a modal (interaction type 5): text input custom id → value. */
      kind: 'modal-submit';
      customId: string;
      fields: Record<string, string>;
    });

/** Discord's interaction types. */
const INTERACTION_TYPE = { command: 2, button: 3, select: 3, autocomplete: 4, 'modal-submit': 5 } as const;

/** A plain member: view, send, read history, use application commands. */
export const MEMBER_PERMISSIONS = (1n << 10n) | (1n << 11n) | (1n << 16n) | (1n << 31n) | (1n << 38n);
export const MANAGE_CHANNELS = 1n << 4n;
/** Lets a member's user-installed apps answer in public in a server (else Discord forces ephemeral). */
export const USE_EXTERNAL_APPS = 1n << 50n;
export const MANAGE_MESSAGES = 1n << 13n;

export const DEFAULT_USER: EmuUser = { id: '100000000000000001', username: 'alice', global_name: 'Alice' };

export class DiscordEmulator {
  readonly token: string;
  readonly state: EmulatorState;
  readonly gateway: GatewayServer;
  readonly cdn: AttachmentCdn;
  /** Text channels created at start. */
  readonly channels: { general: string; random: string };
  /** Guild roles created at start (put them on a member with `roles: [...]`). */
  readonly roles: { member: string; restricted: string; bot: string };
  private readonly server: Server;
  private port = 0;
  private readonly rest: RestContext;

  constructor(options: DiscordEmulatorOptions = {}) {
    this.token = options.token ?? `emu.${randomBytes(12).toString('hex')}`;
    this.state = new EmulatorState('gemini-bot');
    const general = this.state.addChannel({
      type: 0,
      name: 'general',
      guild_id: this.state.guildId,
      parent_id: null,
    });
    const random = this.state.addChannel({
      type: 0,
      name: 'random',
      guild_id: this.state.guildId,
      parent_id: null,
    });
    this.channels = { general: general.id, random: random.id };
    this.roles = { member: this.state.nextId(), restricted: this.state.nextId(), bot: this.state.nextId() };
    this.state.roles.push(
      { id: this.roles.member, name: 'member' },
      { id: this.roles.restricted, name: 'restricted' },
      // The managed role Discord gives a bot when it joins; people often mention it instead.
      { id: this.roles.bot, name: 'gemini-bot', botId: this.state.botUser.id },
    );
    this.gateway = new GatewayServer(this.state, this.token, () => this.gatewayUrl);
    this.cdn = new AttachmentCdn(() => this.url, this.state);
    this.rest = {
      state: this.state,
      gateway: this.gateway,
      cdn: this.cdn,
      buckets: new RateLimitBuckets(options.messageBucket ?? DEFAULT_MESSAGE_BUCKET),
      token: this.token,
      gatewayUrl: () => this.gatewayUrl,
      interactionTokenLifetimeMs: options.interactionTokenLifetimeMs ?? 15 * 60 * 1000,
      latencyMs: options.restLatencyMs ?? 0,
    };
    this.server = createServer((req, res) => {
      if (req.url?.startsWith('/cdn/')) return this.cdn.serve(req, res);
      if (req.url?.startsWith('/api/v10/')) {
        handleRest(this.rest, req, res).catch((err: unknown) => {
          res
            .writeHead(500, { 'content-type': 'application/json' })
            .end(JSON.stringify({ message: String(err) }));
        });
        return;
      }
      res.writeHead(404).end();
    });
    this.server.on('upgrade', (req, socket, head) => {
      if (req.url?.startsWith('/gateway')) this.gateway.handleUpgrade(req, socket, head);
      else socket.destroy();
    });
  }

  async listen(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  /** What discord.js takes as `rest.api`. */
  get apiUrl(): string {
    return `${this.url}/api`;
  }
  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.port}/gateway`;
  }
  get botUser(): EmuUser {
    return this.state.botUser;
  }
  get guildId(): string {
    return this.state.guildId;
  }
  get log(): RestCall[] {
    return this.state.log;
  }
  /** How many 429 answers were given. */
  get rateLimitedCount(): number {
    return this.state.rateLimitedCount;
  }

  /** A DM channel between the bot and `user` (created once). */
  dmChannel(user: EmuUser = DEFAULT_USER): string {
    const existing = [...this.state.channels.values()].find(
      (c) => c.type === 1 && c.recipient?.id === user.id,
    );
    return (existing ?? this.state.addChannel({ type: 1, name: '', recipient: user })).id;
  }

  /** Makes `user` a member of the guild with these roles (what GET /guilds/{id}/members/{user} answers). */
  addMember(user: EmuUser, roles: string[] = []): void {
    this.state.members.set(user.id, { user, roles });
  }

  /** A user posts a message: stored, then dispatched as MESSAGE_CREATE. */
  sendMessage(input: SendMessageInput): EmuMessage {
    const channel = this.requireChannel(input.channelId);
    const author = input.author ?? DEFAULT_USER;
    const id = this.state.nextId();
    const attachments = (input.attachments ?? []).map((file) => this.attach(channel.id, file));
    const mentionedIds = [...input.content.matchAll(/<@!?(\d+)>/g)].map((m) => m[1]!);
    const mentions = [
      ...(mentionedIds.includes(this.botUser.id) ? [this.botUser] : []),
      ...(input.mentions ?? []),
    ];
    const reference = input.messageReference ? this.state.messages.get(input.messageReference) : undefined;
    const message = this.state.buildMessage({
      id,
      channel_id: channel.id,
      author,
      content: input.content,
      attachments,
      mentions,
      mention_everyone: /@(everyone|here)/.test(input.content),
      mention_roles: [...input.content.matchAll(/<@&(\d+)>/g)].map((m) => m[1]!),
      message_reference: input.messageReference
        ? { message_id: input.messageReference, channel_id: channel.id, guild_id: channel.guild_id }
        : undefined,
      webhook_id: input.webhookId,
      type: input.type ?? (input.messageReference ? 19 : 0),
    });
    this.gateway.dispatch('MESSAGE_CREATE', {
      ...this.wireFromUser(message, input.roles),
      ...(reference ? { referenced_message: toWireMessage(reference) } : {}),
    });
    return message;
  }

  /** A user edits their message: MESSAGE_UPDATE with the new content. */
  editMessage(messageId: string, content: string, roles?: string[]): EmuMessage {
    const message = this.state.messages.get(messageId);
    if (!message) throw new Error(`emulator: no message ${messageId}`);
    message.content = content;
    message.edited_timestamp = new Date(this.state.now()).toISOString();
    message.history.push({ at: Date.now(), content });
    this.gateway.dispatch('MESSAGE_UPDATE', this.wireFromUser(message, roles));
    return message;
  }

  /**
   * A text channel in a server the bot is not in: the gateway never mentions it and the bot's REST
   * calls on it are refused (403 Missing Access); only user-installed commands reach the bot from it.
   */
  foreignChannel(name = 'elsewhere'): string {
    const guildId = this.state.nextId();
    this.state.foreignGuildIds.add(guildId);
    return this.state.addChannel({ type: 0, name, guild_id: guildId, parent_id: null }).id;
  }

  /** Takes the bot's right to read this channel's history away (its history answers 403 50001). */
  hideFromBot(channelId: string): void {
    this.requireChannel(channelId).botCannotRead = true;
  }

  /**
   * Discord resolved a link preview: MESSAGE_UPDATE with the embed added. The content and
   * `edited_timestamp` stay as they were; nobody edited anything.
   */
  unfurlEmbed(messageId: string, embed: Record<string, unknown>): EmuMessage {
    const message = this.requireMessage(messageId);
    message.embeds = [...message.embeds, embed];
    this.gateway.dispatch('MESSAGE_UPDATE', this.wireFromUser(message));
    return message;
  }

  /** Someone pinned a message: MESSAGE_UPDATE with `pinned: true`, content and edit time unchanged. */
  pinMessage(messageId: string): EmuMessage {
    const message = this.requireMessage(messageId);
    message.pinned = true;
    this.gateway.dispatch('MESSAGE_UPDATE', this.wireFromUser(message));
    return message;
  }

  /**
   * A user runs a slash or message command, presses a button, types into an autocompleted option
   * or submits a modal: INTERACTION_CREATE.
   */
  interaction(input: InteractionInput): EmuInteraction {
    const channel = this.requireChannel(input.channelId);
    const user = input.user ?? DEFAULT_USER;
    const installation = input.installation ?? 'guild';
    const guildId = channel.guild_id;
    const botInGuild = guildId !== undefined && !this.state.foreignGuildIds.has(guildId);
    if (installation === 'guild' && guildId && !botInGuild) {
      throw new Error('emulator: a guild-installed interaction needs a guild the bot is in');
    }
    const permissions = input.permissions ?? MEMBER_PERMISSIONS;
    const userInstallOnly = installation === 'user' && (!guildId || !botInGuild);
    const type = input.kind === 'message-command' ? 2 : INTERACTION_TYPE[input.kind];
    const interaction: EmuInteraction = {
      id: this.state.nextId(),
      token: `itok.${randomBytes(16).toString('hex')}`,
      type,
      channel_id: channel.id,
      createdAt: Date.now(),
      callbacks: [],
      followUpIds: [],
      ephemeral: false,
      messageId: input.kind === 'button' || input.kind === 'select' ? input.messageId : undefined,
      userInstallOnly,
      // A user-installed app in a server where the member may not use external apps: Discord
      // shows its answers to that member only.
      forcedEphemeral: userInstallOnly && guildId !== undefined && (permissions & USE_EXTERNAL_APPS) === 0n,
    };
    this.state.interactions.set(interaction.id, interaction);
    const owners: Record<string, string> = {};
    if (installation !== 'user') owners['0'] = guildId ?? '0';
    if (installation !== 'guild') owners['1'] = user.id;
    const isBotDm = channel.type === 1 && channel.recipient !== undefined;
    const base: Record<string, unknown> = {
      id: interaction.id,
      application_id: this.state.applicationId,
      token: interaction.token,
      type,
      version: 1,
      channel_id: channel.id,
      channel: toWireChannel(channel),
      locale: input.locale ?? 'en-US',
      app_permissions: String(MEMBER_PERMISSIONS),
      entitlements: [],
      authorizing_integration_owners: owners,
      // 0 guild, 1 the bot's DM, 2 a private channel (group DM or a DM between users).
      context: guildId ? 0 : isBotDm ? 1 : 2,
    };
    if (guildId) {
      base.guild_id = guildId;
      base.guild_locale = 'en-US';
      base.member = this.member(user, input.roles, permissions);
    } else {
      base.user = toWireUser(user);
    }
    if (input.kind === 'command') {
      const resolvedAttachments: Record<string, unknown> = {};
      const options = [...(input.options ?? [])];
      for (const [name, file] of Object.entries(input.files ?? {})) {
        const attachment = this.attach(channel.id, file);
        resolvedAttachments[attachment.id] = attachment;
        options.push({ name, type: 11, value: attachment.id });
      }
      base.data = {
        id: this.state.nextId(),
        name: input.name,
        type: 1,
        options,
        ...(Object.keys(resolvedAttachments).length > 0
          ? { resolved: { attachments: resolvedAttachments } }
          : {}),
      };
    } else if (input.kind === 'message-command') {
      const target = this.state.messages.get(input.targetMessageId);
      if (!target) throw new Error(`emulator: no message ${input.targetMessageId}`);
      base.data = {
        id: this.state.nextId(),
        name: input.name,
        type: 3,
        target_id: target.id,
        resolved: { messages: { [target.id]: toWireMessage(target) } },
      };
    } else if (input.kind === 'autocomplete') {
      base.data = { id: this.state.nextId(), name: input.name, type: 1, options: input.options };
    } else if (input.kind === 'modal-submit') {
      base.data = {
        custom_id: input.customId,
        components: Object.entries(input.fields).map(([customId, value]) => ({
          type: 1,
          components: [{ type: 4, custom_id: customId, value }],
        })),
      };
    } else {
      const message = this.state.messages.get(input.messageId);
      if (!message) throw new Error(`emulator: no message ${input.messageId}`);
      base.data =
        input.kind === 'select'
          ? { custom_id: input.customId, component_type: 3, values: input.values }
          : { custom_id: input.customId, component_type: 2 };
      base.message = toWireMessage(message);
    }
    this.gateway.dispatch('INTERACTION_CREATE', base);
    return interaction;
  }

  /** A message by the bot that the bot did not send through REST (history from before a test). */
  seedBotMessage(channelId: string, content: string): EmuMessage {
    this.requireChannel(channelId);
    const message = this.state.buildMessage({ channel_id: channelId, author: this.botUser, content });
    this.gateway.dispatch('MESSAGE_CREATE', toWireMessage(message));
    return message;
  }

  /** Messages in a channel (or thread), oldest first. */
  messagesIn(channelId: string): EmuMessage[] {
    return this.state.channelMessages(channelId);
  }

  /** The bot's messages in a channel, oldest first. */
  botMessagesIn(channelId: string): EmuMessage[] {
    return this.messagesIn(channelId).filter((m) => m.author.id === this.botUser.id);
  }

  /** Threads created from messages, by message id. */
  threadOf(messageId: string): EmuChannel | undefined {
    const channel = this.state.channels.get(messageId);
    return channel && (channel.type === 11 || channel.type === 12) ? channel : undefined;
  }

  /** How long interaction tokens work for webhook calls from now on (Discord: 15 minutes). */
  set interactionTokenLifetimeMs(ms: number) {
    this.rest.interactionTokenLifetimeMs = ms;
  }

  /** Moves the emulator's clock forward (CDN URL expiry, interaction token lifetime). */
  advanceClock(ms: number): void {
    this.state.clockOffsetMs += ms;
  }

  /** Polls `check` until it returns a truthy value; throws with `what` after `timeoutMs`. */
  async waitFor<T>(what: string, check: () => T | undefined | false | null, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`emulator: timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async close(): Promise<void> {
    await this.gateway.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private requireMessage(messageId: string): EmuMessage {
    const message = this.state.messages.get(messageId);
    if (!message) throw new Error(`emulator: no message ${messageId}`);
    return message;
  }

  private requireChannel(channelId: string): EmuChannel {
    const channel = this.state.channels.get(channelId);
    if (!channel) throw new Error(`emulator: no channel ${channelId}`);
    return channel;
  }

  private attach(channelId: string, file: AttachmentInput): EmuAttachment {
    const id = this.state.nextId();
    const path = this.cdn.put(channelId, id, file.filename, file.bytes, file.contentType);
    const url = this.cdn.sign(path);
    return {
      id,
      filename: file.filename,
      content_type: file.contentType,
      size: file.bytes.length,
      url,
      proxy_url: url,
    };
  }

  private member(user: EmuUser, roles: string[] | undefined, permissions: bigint): Record<string, unknown> {
    return {
      user: toWireUser(user),
      roles: roles ?? [],
      joined_at: new Date().toISOString(),
      deaf: false,
      mute: false,
      flags: 0,
      permissions: String(permissions),
    };
  }

  /** A user's message as the gateway sends it: with `member` in guilds and `channel_type` in DMs. */
  private wireFromUser(message: EmuMessage, roles?: string[]): Record<string, unknown> {
    const channel = this.state.channels.get(message.channel_id);
    const wire = toWireMessage(message);
    if (channel?.guild_id) {
      const {
        user: _user,
        permissions: _p,
        ...member
      } = this.member(message.author, roles, MEMBER_PERMISSIONS);
      wire.member = member;
    } else wire.channel_type = channel?.type ?? 1;
    return wire;
  }
}

/** Starts an emulator on 127.0.0.1 (port 0 = any free port). */
export function startDiscordEmulator(options: DiscordEmulatorOptions = {}): Promise<DiscordEmulator> {
  return new DiscordEmulator(options).listen(options.port ?? 0);
}
