/**
 * Pure translation of Slack payloads into the engine's vocabulary: which message events are turns at
 * all, the conversation a message belongs to, where the reply goes, the prompt with the bot's
 * mention stripped, and file references. No I/O here, so every rule is unit-tested from fixtures.
 */
import type { IncomingTurn } from '../../engine/types.js';
import type { AttachmentRef, ConversationKey } from '../../store/types.js';

/** The fields of a Slack message / app_mention event the bot reads. */
export interface SlackMessageEvent {
  type: string;
  subtype?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
  channel: string;
  channel_type?: string;
  team?: string;
  files?: SlackFile[];
}

/** A file object as Slack puts it in message events and files.info. */
export interface SlackFile {
  id: string;
  name?: string;
  title?: string;
  mimetype?: string;
  size?: number;
  url_private?: string;
  url_private_download?: string;
  mode?: string;
  /** A remote file (files.remote.add): its URL was chosen by the app that added it, not Slack. */
  is_external?: boolean;
}

/**
 * Subtypes that still carry a person's message. Everything else (message_changed, message_deleted,
 * channel_join, bot_message, …) is not a turn. See ../../../docs/platform-limits.md ("duplicate events").
 */
const TURN_SUBTYPES = new Set(['file_share', 'thread_broadcast']);

/** Why an event is not a turn, or undefined when it is one. */
export function ignoreReason(event: SlackMessageEvent, botUserId: string | undefined): string | undefined {
  // bot_id covers our own posts and edits and every other bot: bots never talk to each other here.
  if (event.bot_id) return 'bot_message';
  if (event.subtype && !TURN_SUBTYPES.has(event.subtype)) return `subtype:${event.subtype}`;
  if (!event.user) return 'no_user';
  if (botUserId && event.user === botUserId) return 'own_message';
  return undefined;
}

/** True for direct messages (message.im); the assistant surface lives there too. */
export function isDirectMessage(event: Pick<SlackMessageEvent, 'channel' | 'channel_type'>): boolean {
  return event.channel_type === 'im' || (event.channel_type === undefined && event.channel.startsWith('D'));
}

/** Whether the text mentions the bot (`<@U…>` or `<@U…|name>`). */
export function mentionsBot(text: string | undefined, botUserId: string): boolean {
  return !!text && new RegExp(`<@${botUserId}(\\|[^>]*)?>`).test(text);
}

/** The prompt without the bot's mention(s), whitespace tidied. Other users' mentions stay. */
export function stripBotMention(text: string, botUserId: string): string {
  return text
    .replace(new RegExp(`<@${botUserId}(\\|[^>]*)?>`, 'g'), ' ')
    .replace(/[ \t]{2,}/g, ' ')
    .trim();
}

/**
 * Where a reply goes. In a channel every answer goes in a thread: the one the message is in, or a
 * new one under the message. A top-level DM is answered in the DM itself; a DM thread (the AI app
 * surface opens one per conversation) is answered in that thread.
 */
export function replyThreadTs(
  event: Pick<SlackMessageEvent, 'ts' | 'thread_ts' | 'channel' | 'channel_type'>,
) {
  if (isDirectMessage(event)) return event.thread_ts;
  return event.thread_ts ?? event.ts;
}

/**
 * The conversation a message belongs to: a thread. A top-level DM is one running conversation per
 * DM channel (the thread id is the channel again, as the store's key contract says).
 */
export function conversationKeyFor(
  event: Pick<SlackMessageEvent, 'ts' | 'thread_ts' | 'channel' | 'channel_type'>,
  teamId: string,
): ConversationKey {
  const thread = replyThreadTs(event) ?? event.channel;
  return { platform: 'slack', workspace: teamId, channel: event.channel, thread };
}

/**
 * Slack files as history keeps them: references, resolved with the bot token when needed. A remote
 * file keeps no URL, so the resolver asks files.info and sees it is external (never sent the token).
 */
export function toAttachmentRefs(files: SlackFile[] | undefined): AttachmentRef[] {
  if (!files) return [];
  return files
    .filter((file) => file.id && file.mode !== 'tombstone' && file.mode !== 'hidden_by_limit')
    .map((file) => ({
      platform: 'slack' as const,
      id: file.id,
      ...(file.url_private && !isExternal(file) ? { url: file.url_private } : {}),
      name: file.name ?? file.title ?? file.id,
      mimeType: file.mimetype ?? 'application/octet-stream',
      size: file.size ?? 0,
    }));
}

function isExternal(file: SlackFile): boolean {
  return file.is_external === true || file.mode === 'external';
}

/** A message event → the engine's turn. Call `ignoreReason` first. */
export function turnFromMessage(
  event: SlackMessageEvent,
  context: { teamId: string; botUserId: string },
): IncomingTurn {
  const user = event.user ?? 'unknown';
  return {
    key: conversationKeyFor(event, event.team ?? context.teamId),
    author: { id: user, name: user },
    text: stripBotMention(event.text ?? '', context.botUserId),
    attachments: toAttachmentRefs(event.files),
    messageIds: [event.ts],
    mode: 'new',
  };
}

/** The de-duplication id of a person's message: app_mention and message events of one post share it. */
export function messageDedupeId(event: Pick<SlackMessageEvent, 'channel' | 'ts'>, teamId: string): string {
  return `slack:msg:${teamId}:${event.channel}:${event.ts}`;
}

/** Splits the first word off a slash command's text: `/gemini-model gemini-2.5-pro` → ['gemini-2.5-pro', '']. */
export function splitCommandText(text: string): [first: string, rest: string] {
  const trimmed = text.trim();
  const space = trimmed.search(/\s/);
  if (space < 0) return [trimmed, ''];
  return [trimmed.slice(0, space), trimmed.slice(space + 1).trim()];
}
