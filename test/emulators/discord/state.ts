/**
 * What the loopback Discord remembers: one guild with text channels, the bot user, the messages
 * every side posted (with their edits and `allowed_mentions`), threads, interactions and a log of
 * every REST call. The REST routes, the gateway and the CDN all read and write this one object, so
 * a test can assert on what a Discord user would see.
 */

/** Discord's epoch (2015-01-01T00:00:00Z), the base of every snowflake. */
const DISCORD_EPOCH = 1_420_070_400_000n;

export interface EmuUser {
  id: string;
  username: string;
  bot?: boolean;
  global_name?: string | null;
}

export interface EmuAttachment {
  id: string;
  filename: string;
  content_type: string;
  size: number;
  /** Signed CDN URL (`ex`, `is`, `hm`), as Discord gives it out. */
  url: string;
  proxy_url: string;
}

export interface EmuMessage {
  id: string;
  channel_id: string;
  guild_id?: string;
  author: EmuUser;
  content: string;
  embeds: unknown[];
  components: unknown[];
  attachments: EmuAttachment[];
  mentions: EmuUser[];
  mention_roles: string[];
  mention_everyone: boolean;
  message_reference?: { message_id: string; channel_id: string; guild_id?: string };
  type: number;
  flags: number;
  webhook_id?: string;
  timestamp: string;
  edited_timestamp: string | null;
  /** The `allowed_mentions` of the request that last wrote this message (bot messages only). */
  allowed_mentions?: unknown;
  /** Reactions the bot added: emoji → how many times (PUT …/reactions/{emoji}/@me). */
  reactions?: Record<string, number>;
  /** Every content this message had, first to last (for edit-cadence assertions). */
  history: Array<{ at: number; content: string }>;
  deleted?: boolean;
  /** Pinned to its channel (someone pressed Pin). */
  pinned?: boolean;
  /** The interaction this message answers (original response or follow-up), when it does. */
  interaction_token?: string;
}

export interface EmuChannel {
  id: string;
  type: number;
  name: string;
  guild_id?: string;
  parent_id?: string | null;
  /** For threads: the user who started it (owner_id). */
  owner_id?: string;
  /** For DM channels: the other person. */
  recipient?: EmuUser;
  /** The bot lacks View Channel / Read Message History here: reading its history is 403 50001. */
  botCannotRead?: boolean;
}

/** One REST call as the emulator saw it. */
export interface RestCall {
  at: number;
  method: string;
  path: string;
  query: string;
  body: unknown;
  status: number;
}

export interface EmuInteraction {
  id: string;
  token: string;
  /** Interaction type: 2 command, 3 component, 4 autocomplete, 5 modal submit. */
  type: number;
  channel_id: string;
  createdAt: number;
  /** Callback types received, in order (4 message, 5 deferred, 6 deferred update, 7 update, 8 choices, 9 modal). */
  callbacks: Array<{ type: number; data?: unknown }>;
  /** The message id of the original response, once there is one. */
  originalMessageId?: string;
  followUpIds: string[];
  ephemeral: boolean;
  /** For component interactions: the message whose button was pressed. */
  messageId?: string;
  /** Only the user installed the app here (not the server): at most 5 follow-ups. */
  userInstallOnly: boolean;
  /** Discord shows every response to the invoking user only, whatever the flags say. */
  forcedEphemeral: boolean;
  /** Autocomplete choices sent (callback type 8). */
  choices?: Array<{ name: string; value: string | number }>;
  /** The modal shown (callback type 9). */
  modal?: { custom_id: string; title: string; components: unknown[] };
}

/** Snowflake ids that grow with time, as Discord's do. */
export function makeSnowflakeFactory(): () => string {
  let last = 0n;
  return () => {
    let next = (BigInt(Date.now()) - DISCORD_EPOCH) << 22n;
    if (next <= last) next = last + 1n;
    last = next;
    return next.toString();
  };
}

/** The mutable world of one emulator instance. */
export class EmulatorState {
  readonly nextId = makeSnowflakeFactory();
  readonly applicationId: string;
  readonly guildId: string;
  readonly botUser: EmuUser;
  readonly channels = new Map<string, EmuChannel>();
  readonly messages = new Map<string, EmuMessage>();
  readonly interactions = new Map<string, EmuInteraction>();
  /** Registered application commands, per scope (`global` or a guild id). */
  readonly commands = new Map<string, unknown[]>();
  /** Guilds that exist but the bot is not in (user-installed commands come from them). */
  readonly foreignGuildIds = new Set<string>();
  /**
   * Discord's daily application-command create limit (200 a day per scope) is spent: overwrites get
   * a 429 with a retry-after of hours, as Discord answers then.
   */
  commandCreateLimitReached = false;
  /** Bulk overwrites (PUT) of application commands received, accepted or not. */
  commandOverwrites = 0;
  /** Guild members the REST API knows (GET /guilds/{id}/members/{user}), by user id. */
  readonly members = new Map<string, { user: EmuUser; roles: string[] }>();
  /** Guild roles besides @everyone (tests put them on members for role allow/block lists). */
  readonly roles: Array<{ id: string; name: string; botId?: string }> = [];
  readonly log: RestCall[] = [];
  /** How many 429 answers the emulator gave. */
  rateLimitedCount = 0;
  /** Added to the wall clock for everything time-dependent (CDN expiry, token lifetime). */
  clockOffsetMs = 0;

  constructor(botName: string) {
    this.applicationId = this.nextId();
    this.botUser = { id: this.applicationId, username: botName, bot: true, global_name: null };
    this.guildId = this.nextId();
  }

  /** The emulator's idea of now (the wall clock plus any advance a test asked for). */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  addChannel(input: Omit<EmuChannel, 'id'> & { id?: string }): EmuChannel {
    const channel: EmuChannel = { ...input, id: input.id ?? this.nextId() };
    this.channels.set(channel.id, channel);
    return channel;
  }

  /** Messages of a channel in posting order, without deleted ones. */
  channelMessages(channelId: string): EmuMessage[] {
    return [...this.messages.values()].filter((m) => m.channel_id === channelId && !m.deleted);
  }

  /** A fresh message object with Discord's defaults filled in. */
  buildMessage(input: Partial<EmuMessage> & { channel_id: string; author: EmuUser }): EmuMessage {
    const channel = this.channels.get(input.channel_id);
    const id = input.id ?? this.nextId();
    const message: EmuMessage = {
      id,
      guild_id: channel?.guild_id,
      content: '',
      embeds: [],
      components: [],
      attachments: [],
      mentions: [],
      mention_roles: [],
      mention_everyone: false,
      type: input.message_reference ? 19 : 0,
      flags: 0,
      timestamp: new Date(this.now()).toISOString(),
      edited_timestamp: null,
      history: [],
      ...input,
    };
    message.history.push({ at: Date.now(), content: message.content });
    this.messages.set(id, message);
    return message;
  }
}

/** A message as the REST API and the gateway serialise it (no emulator bookkeeping). */
export function toWireMessage(message: EmuMessage): Record<string, unknown> {
  const {
    history: _h,
    deleted: _d,
    allowed_mentions: _a,
    interaction_token: _t,
    reactions: _r,
    ...wire
  } = message;
  return {
    ...wire,
    author: toWireUser(message.author),
    mentions: message.mentions.map(toWireUser),
    tts: false,
    pinned: message.pinned ?? false,
  };
}

export function toWireUser(user: EmuUser): Record<string, unknown> {
  return {
    id: user.id,
    username: user.username,
    discriminator: '0',
    global_name: user.global_name ?? null,
    avatar: null,
    bot: user.bot ?? false,
  };
}

export function toWireChannel(channel: EmuChannel): Record<string, unknown> {
  const base: Record<string, unknown> = {
    id: channel.id,
    type: channel.type,
    name: channel.name,
    position: 0,
    permission_overwrites: [],
    nsfw: false,
    last_message_id: null,
  };
  if (channel.guild_id) base.guild_id = channel.guild_id;
  if (channel.parent_id !== undefined) base.parent_id = channel.parent_id;
  if (channel.type === 11 || channel.type === 12) {
    base.owner_id = channel.owner_id;
    base.thread_metadata = {
      archived: false,
      auto_archive_duration: 1440,
      archive_timestamp: new Date().toISOString(),
      locked: false,
    };
    base.message_count = 0;
    base.member_count = 1;
    base.rate_limit_per_user = 0;
  }
  if (channel.type === 1 && channel.recipient) base.recipients = [toWireUser(channel.recipient)];
  return base;
}
