/**
 * The Web API methods the bot calls, with Slack's response shapes: `{ ok: true, ... }` on success,
 * `{ ok: false, error }` (HTTP 200) on failure. Arguments arrive form-encoded from the WebClient, so
 * every value is a string and JSON fields (blocks, chunks) are JSON text.
 */
import { blockErrors } from './blocks.js';
import type { EmulatedFile, EmulatedMessage, WorkspaceState } from './state.js';

/** Slack refuses chat.postMessage/chat.update text near 4,000 characters (observed). */
export const MAX_MESSAGE_TEXT = 4_000;
/** chat.startStream / appendStream / stopStream take at most 12,000 characters of markdown per call. */
export const MAX_STREAM_CHUNK = 12_000;

export type MethodArgs = Record<string, string | undefined>;
export type MethodResult = Record<string, unknown> & { ok: boolean };

export interface MethodContext {
  state: WorkspaceState;
  args: MethodArgs;
  botUserId: string;
  botId: string;
  baseUrl: string;
  /** How long a native stream accepts appends (Slack: about 5 minutes, observed). */
  streamMaxAgeMs: number;
}

type Handler = (context: MethodContext) => MethodResult;

const fail = (error: string, extra: Record<string, unknown> = {}): MethodResult => ({
  ok: false,
  error,
  ...extra,
});

// biome-ignore lint/suspicious/noExplicitAny: JSON fields of any shape.
function json(value: string | undefined): any {
  if (value === undefined || value === '') return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return null;
  }
}

/** The markdown a streaming call carries: `markdown_text` and/or `chunks` of type markdown_text. */
function streamText(args: MethodArgs): string {
  let text = args.markdown_text ?? '';
  const chunks = json(args.chunks);
  if (Array.isArray(chunks)) {
    for (const chunk of chunks) if (chunk?.type === 'markdown_text') text += String(chunk.text ?? '');
  }
  return text;
}

function messageJson(message: EmulatedMessage, botUserId: string, botId: string): Record<string, unknown> {
  return {
    type: 'message',
    user: botUserId,
    bot_id: botId,
    text: message.text,
    ts: message.ts,
    ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
    ...(message.blocks ? { blocks: message.blocks } : {}),
  };
}

const isDm = (channel: string) => channel.startsWith('D');

export const METHODS: Record<string, Handler> = {
  'auth.test': ({ state, botUserId, botId, baseUrl }) => ({
    ok: true,
    url: `${baseUrl}/`,
    team: 'Emulated Workspace',
    user: 'gemini',
    team_id: state.teamId,
    user_id: botUserId,
    bot_id: botId,
    is_enterprise_install: false,
  }),

  'chat.postMessage': ({ state, args, botUserId, botId }) => {
    if (!args.channel) return fail('channel_not_found');
    const blocks = json(args.blocks);
    if (blocks === null) return fail('invalid_blocks');
    const blockProblems = blocks === undefined ? undefined : blockErrors(blocks);
    if (blockProblems) return fail('invalid_blocks', { errors: blockProblems });
    const text = args.text ?? args.markdown_text ?? '';
    if (!text && !blocks) return fail('no_text');
    if (text.length > MAX_MESSAGE_TEXT) return fail('msg_too_long');
    const message = state.addMessage({
      channel: args.channel,
      threadTs: args.thread_ts || undefined,
      text,
      blocks,
      via: 'postMessage',
      recipientUserId: undefined,
    });
    return {
      ok: true,
      channel: args.channel,
      ts: message.ts,
      message: messageJson(message, botUserId, botId),
    };
  },

  'chat.update': ({ state, args, botUserId, botId }) => {
    const message = args.channel && args.ts ? state.find(args.channel, args.ts) : undefined;
    if (!message || message.deleted) return fail('message_not_found');
    if (message.streaming) return fail('streaming_state_conflict');
    const blocks = json(args.blocks);
    if (blocks === null) return fail('invalid_blocks');
    const blockProblems = blocks === undefined ? undefined : blockErrors(blocks);
    if (blockProblems) return fail('invalid_blocks', { errors: blockProblems });
    const text = args.text ?? args.markdown_text ?? message.text;
    if (text.length > MAX_MESSAGE_TEXT) return fail('msg_too_long');
    if (blocks !== undefined) message.blocks = blocks;
    state.change(message, text);
    return {
      ok: true,
      channel: message.channel,
      ts: message.ts,
      text,
      message: messageJson(message, botUserId, botId),
    };
  },

  'chat.delete': ({ state, args }) => {
    const message = args.channel && args.ts ? state.find(args.channel, args.ts) : undefined;
    if (!message || message.deleted) return fail('message_not_found');
    message.deleted = true;
    return { ok: true, channel: message.channel, ts: message.ts };
  },

  'chat.postEphemeral': ({ state, args }) => {
    if (!args.channel) return fail('channel_not_found');
    if (!args.user) return fail('user_not_in_channel');
    const text = args.text ?? '';
    if (text.length > MAX_MESSAGE_TEXT) return fail('msg_too_long');
    state.ephemerals.push({
      channel: args.channel,
      user: args.user,
      text,
      via: 'postEphemeral',
      responseType: 'ephemeral',
      at: Date.now(),
    });
    return { ok: true, message_ts: state.nextTs() };
  },

  'chat.startStream': ({ state, args, botUserId, botId }) => {
    if (!args.channel) return fail('channel_not_found');
    if (!args.thread_ts) return fail('invalid_arguments', { detail: 'thread_ts is required' });
    if (!isDm(args.channel) && (!args.recipient_user_id || !args.recipient_team_id)) {
      return fail('missing_recipient_user_id');
    }
    const text = streamText(args);
    if (text.length > MAX_STREAM_CHUNK) return fail('msg_too_long');
    const message = state.addMessage({
      channel: args.channel,
      threadTs: args.thread_ts,
      text,
      blocks: undefined,
      via: 'startStream',
      recipientUserId: args.recipient_user_id,
    });
    return {
      ok: true,
      channel: args.channel,
      ts: message.ts,
      message: messageJson(message, botUserId, botId),
    };
  },

  'chat.appendStream': ({ state, args, streamMaxAgeMs }) => {
    const message = args.channel && args.ts ? state.find(args.channel, args.ts) : undefined;
    if (!message || message.deleted) return fail('message_not_found');
    if (!message.streaming) return fail('message_not_in_streaming_state');
    if (Date.now() - (message.streamStartedAt ?? 0) > streamMaxAgeMs) {
      return fail('message_not_in_streaming_state');
    }
    const text = streamText(args);
    if (!text) return fail('invalid_arguments', { detail: 'markdown_text or chunks is required' });
    if (text.length > MAX_STREAM_CHUNK) return fail('msg_too_long');
    state.change(message, message.text + text);
    return { ok: true, channel: message.channel, ts: message.ts };
  },

  'chat.stopStream': ({ state, args, botUserId, botId }) => {
    const message = args.channel && args.ts ? state.find(args.channel, args.ts) : undefined;
    if (!message || message.deleted) return fail('message_not_found');
    if (!message.streaming) return fail('message_not_in_streaming_state');
    const text = streamText(args);
    if (text.length > MAX_STREAM_CHUNK) return fail('msg_too_long');
    const blocks = json(args.blocks);
    if (blocks === null) return fail('invalid_blocks');
    const blockProblems = blocks === undefined ? undefined : blockErrors(blocks);
    if (blockProblems) return fail('invalid_blocks', { errors: blockProblems });
    message.streaming = false;
    if (blocks !== undefined) message.blocks = blocks;
    if (text) state.change(message, message.text + text);
    return {
      ok: true,
      channel: message.channel,
      ts: message.ts,
      message: messageJson(message, botUserId, botId),
    };
  },

  'assistant.threads.setStatus': ({ args }) =>
    args.channel_id && args.thread_ts ? { ok: true } : fail('invalid_arguments'),
  'assistant.threads.setSuggestedPrompts': ({ args }) => {
    const prompts = json(args.prompts);
    if (!Array.isArray(prompts) || prompts.length === 0 || prompts.length > 4)
      return fail('invalid_arguments');
    return args.channel_id && args.thread_ts ? { ok: true } : fail('invalid_arguments');
  },
  'assistant.threads.setTitle': ({ args }) =>
    args.channel_id && args.thread_ts && args.title ? { ok: true } : fail('invalid_arguments'),

  'conversations.info': ({ args }) => {
    if (!args.channel) return fail('channel_not_found');
    const dm = isDm(args.channel);
    return {
      ok: true,
      channel: {
        id: args.channel,
        name: dm ? undefined : `channel-${args.channel.toLowerCase()}`,
        is_channel: args.channel.startsWith('C'),
        is_group: args.channel.startsWith('G'),
        is_im: dm,
        is_private: !args.channel.startsWith('C'),
      },
    };
  },

  'users.info': ({ state, args }) => {
    const user = args.user ? state.users.get(args.user) : undefined;
    if (!user) return fail('user_not_found');
    return {
      ok: true,
      user: {
        id: user.id,
        team_id: state.teamId,
        name: user.name,
        real_name: user.name,
        is_admin: user.isAdmin ?? false,
        is_owner: user.isOwner ?? false,
        is_bot: user.isBot ?? false,
      },
    };
  },

  'reactions.add': ({ state, args }) => {
    if (!args.channel || !args.timestamp || !args.name) return fail('invalid_arguments');
    if (!/^[a-z0-9_+'-]+$/.test(String(args.name))) return fail('invalid_name');
    const reaction = `${args.channel}/${args.timestamp}/${args.name}`;
    if (state.reactions.has(reaction)) return fail('already_reacted');
    state.reactions.add(reaction);
    return { ok: true };
  },
  'reactions.remove': ({ args }) =>
    args.channel && args.timestamp && args.name ? { ok: true } : fail('invalid_arguments'),

  'files.info': ({ state, args, baseUrl }) => {
    const file = args.file ? state.files.get(args.file) : undefined;
    if (!file) return fail('file_not_found');
    return { ok: true, file: fileJson(file, state.teamId, baseUrl) };
  },

  // A remote file: an app registers a URL it hosts; Slack keeps no bytes (files.remote.add).
  'files.remote.add': ({ state, args, baseUrl }) => {
    if (!args.external_id || !args.external_url || !args.title) return fail('invalid_arguments');
    if (!/^https?:\/\//.test(args.external_url)) return fail('invalid_external_url');
    const file: EmulatedFile = {
      id: `FR${String(state.files.size + 1).padStart(7, '0')}`,
      name: args.title,
      mimetype: args.filetype ? mimeOfFiletype(args.filetype) : 'application/octet-stream',
      bytes: Buffer.alloc(0),
      externalUrl: args.external_url,
      externalId: args.external_id,
    };
    state.files.set(file.id, file);
    return { ok: true, file: fileJson(file, state.teamId, baseUrl) };
  },
};

function mimeOfFiletype(filetype: string): string {
  const known: Record<string, string> = {
    png: 'image/png',
    jpg: 'image/jpeg',
    gif: 'image/gif',
    text: 'text/plain',
  };
  return known[filetype] ?? 'application/octet-stream';
}

/** A file object as Slack shows it in events and files.info. */
export function fileJson(file: EmulatedFile, teamId: string, baseUrl: string): Record<string, unknown> {
  const common = {
    id: file.id,
    name: file.name,
    title: file.name,
    mimetype: file.mimetype,
    filetype: file.name.split('.').pop() ?? 'binary',
    size: file.bytes.length,
  };
  if (file.externalUrl) {
    // Slack's remote file object: no download URL of its own, the app's URL as url_private.
    return {
      ...common,
      mode: 'external',
      is_external: true,
      external_type: 'app',
      external_id: file.externalId ?? file.id,
      external_url: file.externalUrl,
      url_private: file.externalUrl,
    };
  }
  const url = `${baseUrl}/files-pri/${teamId}-${file.id}/${encodeURIComponent(file.name)}`;
  return { ...common, url_private: url, url_private_download: `${url}?download=1`, mode: 'hosted' };
}
