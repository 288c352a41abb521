/**
 * Pure rules that turn a Discord message into the engine's terms: whether the bot should answer it
 * at all and where (a new thread, an existing thread, a reply chain, a DM), the prompt without the
 * bot's mention, attachment references that survive CDN expiry, and conversation keys. Nothing here
 * talks to Discord, so every rule is unit-tested on plain objects.
 */
import { mimeTypeFromName } from '../../engine/attachments.js';
import type { AttachmentRef, ConversationKey } from '../../store/types.js';

/** The workspace of every DM conversation (DMs belong to no guild). */
export const DM_WORKSPACE = '@dm';

/** Discord message types a person produces: DEFAULT (0) and REPLY (19); the rest are system notices. */
const USER_MESSAGE_TYPES = new Set([0, 19]);

/** The facts about a message that decide whether and where the bot answers. */
export interface MessageFacts {
  authorIsBot: boolean;
  /** Set when a webhook (not a person) posted the message. */
  webhookId: string | null | undefined;
  /** Discord's message type number. */
  type: number;
  /** System messages (joins, pins, boosts) carry this flag or a non-user type. */
  system: boolean;
  content: string;
  attachmentCount: number;
  isDm: boolean;
  inThread: boolean;
  /** The thread was started by the bot (so every message in it is for the bot). */
  threadOwnedByBot: boolean;
  mentionsBot: boolean;
  /** The author of the message this one replies to, when it is a reply. */
  repliesToBot: boolean;
  /** Id of the message this one replies to. */
  referencedMessageId: string | undefined;
}

export type Route =
  | { kind: 'ignore'; reason: string }
  /** A mention in a server channel: start a thread from the message and answer there. */
  | { kind: 'new-thread' }
  /** A message inside a thread; `certain` is false when only an existing conversation would make it ours. */
  | { kind: 'thread'; certain: boolean }
  /** A reply to one of the bot's messages outside a thread. */
  | { kind: 'reply-chain'; referencedMessageId: string }
  | { kind: 'dm' };

/** Decides whether the bot answers a message, and how. */
export function routeMessage(facts: MessageFacts): Route {
  if (facts.authorIsBot) return { kind: 'ignore', reason: 'bot author' };
  if (facts.webhookId) return { kind: 'ignore', reason: 'webhook' };
  if (facts.system || !USER_MESSAGE_TYPES.has(facts.type))
    return { kind: 'ignore', reason: 'system message' };
  if (onlyPingsEveryone(facts.content) && facts.attachmentCount === 0) {
    return { kind: 'ignore', reason: 'only @everyone/@here' };
  }
  if (facts.isDm) return { kind: 'dm' };
  if (facts.inThread) return { kind: 'thread', certain: facts.threadOwnedByBot || facts.mentionsBot };
  if (facts.mentionsBot) return { kind: 'new-thread' };
  if (facts.repliesToBot && facts.referencedMessageId) {
    return { kind: 'reply-chain', referencedMessageId: facts.referencedMessageId };
  }
  return { kind: 'ignore', reason: 'not addressed to the bot' };
}

/**
 * True when a text is nothing but @everyone/@here pings (and whitespace). Such a message mentions
 * everyone, not the bot; answering it would turn a server-wide ping into a bot conversation.
 */
export function onlyPingsEveryone(content: string): boolean {
  const pings = content.match(/@(everyone|here)\b/g);
  return pings !== null && content.replace(/@(everyone|here)\b/g, '').trim() === '';
}

/** The prompt with every mention of the bot (`<@id>`, `<@!id>`) removed and whitespace tidied. */
export function stripBotMention(content: string, botUserId: string): string {
  return content
    .replace(new RegExp(`<@!?${botUserId}>`, 'g'), ' ')
    .replace(/[ \t]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .trim();
}

/** What a prompt asks: its text (bot mention stripped) and the ids of its files. */
export interface PromptFacts {
  text: string;
  attachmentIds: string[];
}

/**
 * Whether a message update changed what its prompt asks. Discord sends MESSAGE_UPDATE for embed
 * unfurls and pins too (and, after a restart, without the old version); those leave text and
 * files as they were and must not be answered again.
 */
export function promptChanged(before: PromptFacts, after: PromptFacts): boolean {
  if (before.text !== after.text) return true;
  const ids = new Set(before.attachmentIds);
  return ids.size !== new Set(after.attachmentIds).size || after.attachmentIds.some((id) => !ids.has(id));
}

/** An attachment as discord.js exposes it (Attachment) or as an interaction option resolves it. */
export interface DiscordAttachmentLike {
  id: string;
  name: string;
  url: string;
  contentType: string | null;
  size: number;
}

/**
 * Attachment references for history: the id plus the channel and message they live on, so the
 * resolver can get a fresh URL once the signed one expired (about a day on Discord).
 */
export function toAttachmentRefs(
  attachments: Iterable<DiscordAttachmentLike>,
  /** Omitted for files that live on no message (slash command options). */
  location?: { channel: string; message: string },
): AttachmentRef[] {
  return [...attachments].map((attachment) => ({
    platform: 'discord',
    id: attachment.id,
    url: attachment.url,
    ...(location ? { location } : {}),
    name: attachment.name,
    // Discord omits `content_type` for some uploads; the extension is the next best hint.
    mimeType: attachment.contentType ?? mimeTypeFromName(attachment.name),
    size: attachment.size,
  }));
}

/** Where a channel sits: its guild (or none for DMs), and for a thread its parent channel. */
export interface ChannelPlace {
  guildId: string | null;
  channelId: string;
  /** Set when the channel is a thread. */
  parentId: string | null;
}

/**
 * The conversation of a thread or DM. A thread is its own conversation under its parent channel;
 * a DM channel is one conversation.
 */
export function keyForPlace(place: ChannelPlace): ConversationKey {
  if (!place.guildId) {
    return {
      platform: 'discord',
      workspace: DM_WORKSPACE,
      channel: place.channelId,
      thread: place.channelId,
    };
  }
  if (place.parentId) {
    return {
      platform: 'discord',
      workspace: place.guildId,
      channel: place.parentId,
      thread: place.channelId,
    };
  }
  // A channel message outside a thread that starts its own conversation (a slash command's answer,
  // a reply to a bot message nobody remembers): the starting message stands in for the thread.
  return { platform: 'discord', workspace: place.guildId, channel: place.channelId, thread: place.channelId };
}

/** A conversation rooted at one message of a channel (reply chains, /ask outside threads). */
export function keyForRootMessage(
  guildId: string | null,
  channelId: string,
  messageId: string,
): ConversationKey {
  return { platform: 'discord', workspace: guildId ?? DM_WORKSPACE, channel: channelId, thread: messageId };
}

/** Marks the thread part of a private conversation's key (no Discord id starts like this). */
const PRIVATE_THREAD_PREFIX = 'private-';

/**
 * The private conversation of one user in a channel (/ask private:true): the channel's, also when
 * asked from one of its threads, so a thread's shared history never holds it. Its settings are the
 * channel's. No colon in the thread part: button ids are colon-separated.
 */
export function privateKeyFor(place: ChannelPlace, userId: string): ConversationKey {
  const channel = place.guildId ? (place.parentId ?? place.channelId) : place.channelId;
  return {
    platform: 'discord',
    workspace: place.guildId ?? DM_WORKSPACE,
    channel,
    thread: `${PRIVATE_THREAD_PREFIX}${userId}`,
  };
}

/** True for a conversation made by `privateKeyFor`: its answers are ephemeral and only its owner's. */
export function isPrivateKey(key: ConversationKey): boolean {
  return key.thread.startsWith(PRIVATE_THREAD_PREFIX);
}

/** Settings scope of a place: a thread's settings override its channel's. */
export function scopeForPlace(place: ChannelPlace): {
  platform: 'discord';
  workspace: string;
  channel: string;
  thread?: string;
} {
  const key = keyForPlace(place);
  return place.parentId || !place.guildId
    ? { platform: 'discord', workspace: key.workspace, channel: key.channel, thread: key.thread }
    : { platform: 'discord', workspace: key.workspace, channel: key.channel };
}

/** Discord thread names are 1–100 characters; ~80 keeps the sidebar readable. */
const THREAD_TITLE_MAX = 80;

/** A thread title from the prompt: its first words on one line, cut at a word boundary. */
export function threadTitle(prompt: string, fallback = 'Conversation'): string {
  const oneLine = prompt
    .replace(/```[\s\S]*?(```|$)/g, ' ')
    .replace(/<a?:\w+:\d+>/g, '')
    .replace(/<[@#][!&]?\d+>/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (!oneLine) return fallback;
  if ([...oneLine].length <= THREAD_TITLE_MAX) return oneLine;
  const cut = [...oneLine].slice(0, THREAD_TITLE_MAX - 1).join('');
  const lastSpace = cut.lastIndexOf(' ');
  return `${(lastSpace > 40 ? cut.slice(0, lastSpace) : cut).trimEnd()}…`;
}
