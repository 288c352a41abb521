/**
 * The Web API methods the bot calls, with Slack's response shapes: `{ ok: true, ... }` on success,
 * `{ ok: false, error }` (HTTP 200) on failure. Arguments arrive form-encoded from the WebClient, so
 * every value is a string and JSON fields (blocks, chunks) are JSON text.
 */
import { blockErrors } from './blocks.js';
import {
  type EmulatedFile,
  type EmulatedMessage,
  type EmulatedSession,
  type EmulatedTask,
  TRIGGER_LIFETIME_MS,
  type WorkspaceState,
} from './state.js';

/** Slack refuses chat.postMessage/chat.update text near 4,000 characters (observed). */
export const MAX_MESSAGE_TEXT = 4_000;
/** chat.startStream / appendStream / stopStream take at most 12,000 characters of markdown per call. */
export const MAX_STREAM_CHUNK = 12_000;
/** The `markdown` blocks of one message hold at most 12,000 characters between them (Slack's limit). */
export const MAX_MARKDOWN_BLOCKS_TEXT = 12_000;

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
  /**
   * Whether the app is declared an agent (manifest `agent_view`): only agents may create sessions
   * (agents.sessions.* answer `not_allowed` otherwise), and their suggested prompts are per DM.
   */
  agentApp: boolean;
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

const CHUNK_TYPES = new Set(['markdown_text', 'task_update', 'plan_update', 'blocks']);
const TASK_STATUSES = new Set(['pending', 'in_progress', 'complete', 'error']);
/** A task's title and details are short labels in Slack's timeline; longer ones are refused. */
export const MAX_TASK_TITLE = 256;
export const MAX_TASK_DETAILS = 3_000;

/**
 * The `chunks` of a streaming call, checked as Slack checks them: an array of known chunk types, a
 * task_update with an id, a title and one of the four statuses. Returns an error code, or the chunks.
 */
// biome-ignore lint/suspicious/noExplicitAny: JSON chunks of any shape.
function streamChunks(args: MethodArgs): { error: string } | { chunks: any[] } {
  if (args.chunks === undefined || args.chunks === '') return { chunks: [] };
  const chunks = json(args.chunks);
  if (!Array.isArray(chunks)) return { error: 'invalid_chunks' };
  for (const chunk of chunks) {
    if (!CHUNK_TYPES.has(chunk?.type)) return { error: 'invalid_chunks' };
    if (chunk.type === 'markdown_text' && typeof chunk.text !== 'string') return { error: 'invalid_chunks' };
    if (chunk.type === 'task_update') {
      const { id, title, status, details } = chunk;
      if (typeof id !== 'string' || !id || typeof title !== 'string' || !title)
        return { error: 'invalid_chunks' };
      if (!TASK_STATUSES.has(status)) return { error: 'invalid_chunks' };
      if (title.length > MAX_TASK_TITLE) return { error: 'invalid_chunks' };
      if (details !== undefined && (typeof details !== 'string' || details.length > MAX_TASK_DETAILS))
        return { error: 'invalid_chunks' };
    }
  }
  return { chunks };
}

/** Applies a call's task_update chunks to the message's timeline. */
// biome-ignore lint/suspicious/noExplicitAny: JSON chunks of any shape.
function applyTasks(message: EmulatedMessage, chunks: any[]): void {
  for (const chunk of chunks) {
    if (chunk.type !== 'task_update') continue;
    const task: EmulatedTask = message.tasks.get(chunk.id) ?? {
      title: chunk.title,
      status: chunk.status,
      details: undefined,
      statuses: [],
    };
    task.title = chunk.title;
    task.status = chunk.status;
    if (chunk.details !== undefined) task.details = chunk.details;
    task.statuses.push(chunk.status);
    message.tasks.set(chunk.id, task);
  }
}

const SESSION_STATUSES = new Set(['active', 'processing', 'suspended', 'closed']);
/** agents.sessions.setStatus / rename take titles of at most 200 characters. */
export const MAX_SESSION_TITLE = 200;
/** assistant.threads.setSuggestedPrompts takes at most four prompts. */
export const MAX_SUGGESTED_PROMPTS = 4;
/** A Home tab view holds at most 100 blocks. */
export const MAX_VIEW_BLOCKS = 100;

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

/**
 * Slack's checks on a message's blocks that the bot could break: each `markdown` block needs a
 * text, and all of them together hold at most 12,000 characters. Anything else passes.
 */
// biome-ignore lint/suspicious/noExplicitAny: Block Kit JSON of any shape.
function blocksProblem(blocks: any): string | undefined {
  if (blocks === null) return 'invalid_blocks';
  if (blocks === undefined) return undefined;
  if (!Array.isArray(blocks) || blocks.length > 50) return 'invalid_blocks';
  let markdown = 0;
  for (const block of blocks) {
    if (block?.type !== 'markdown') continue;
    if (typeof block.text !== 'string' || block.text.length === 0) return 'invalid_blocks';
    markdown += block.text.length;
  }
  return markdown > MAX_MARKDOWN_BLOCKS_TEXT ? 'invalid_blocks' : undefined;
}

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
    const problem = blocksProblem(blocks);
    if (problem) return fail(problem);
    const blockProblems = blocks === undefined || blocks === null ? undefined : blockErrors(blocks);
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
    const problem = blocksProblem(blocks);
    if (problem) return fail(problem);
    const blockProblems = blocks === undefined || blocks === null ? undefined : blockErrors(blocks);
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

  // A message's web link; Slack needs no message it knows of to build one from a well-formed ts.
  // A modal: needs a fresh trigger_id (3 s, one view), a modal with a title of at most 24 characters.
  'views.open': ({ state, args }) => {
    if (!args.trigger_id) return fail('invalid_arguments', { detail: 'trigger_id is required' });
    const view = json(args.view);
    if (view?.type !== 'modal' || !Array.isArray(view.blocks) || view.blocks.length > 100)
      return fail('invalid_arguments');
    if (typeof view.title?.text !== 'string' || view.title.text.length > 24) return fail('invalid_arguments');
    if ((view.private_metadata ?? '').length > 3_000) return fail('invalid_arguments');
    const trigger = state.triggers.get(args.trigger_id);
    if (!trigger) return fail('invalid_trigger_id');
    if (trigger.used) return fail('exchanged_trigger_id');
    if (Date.now() - trigger.issuedAt > TRIGGER_LIFETIME_MS) return fail('expired_trigger_id');
    trigger.used = true;
    const id = `V${String(state.views.length + 1).padStart(8, '0')}`;
    state.views.push({ id, triggerId: args.trigger_id, view, openedAt: Date.now() });
    return {
      ok: true,
      view: { ...view, id, team_id: state.teamId, state: { values: {} }, hash: `${id}.hash` },
    };
  },

  // A thread's messages, the root first, oldest to newest; `limit` per page (at most 1,000), `cursor`.
  'conversations.replies': ({ state, args, botUserId, botId, baseUrl }) => {
    if (!args.channel) return fail('channel_not_found');
    if (!args.ts) return fail('invalid_arguments', { detail: 'ts is required' });
    const inThread = (message: { ts: string; threadTs: string | undefined }) =>
      message.ts === args.ts || message.threadTs === args.ts;
    const people = state.userMessages
      .filter((m) => m.channel === args.channel && inThread(m))
      .map((m) => ({
        type: 'message',
        user: m.user,
        text: m.text,
        ts: m.ts,
        ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
        ...(m.fileIds.length > 0
          ? {
              files: m.fileIds.flatMap((id) => {
                const file = state.files.get(id);
                return file ? [fileJson(file, state.teamId, baseUrl)] : [];
              }),
            }
          : {}),
      }));
    const bot = state.messages
      .filter((m) => m.channel === args.channel && !m.deleted && inThread(m))
      .map((m) => messageJson(m, botUserId, botId));
    const all = [...people, ...bot].sort((a, b) => Number(a.ts) - Number(b.ts));
    if (all.length === 0) return fail('thread_not_found');
    return messagePage(all, args, { defaultLimit: 1_000, maxLimit: 1_000 });
  },

  // A channel's top-level messages (and thread roots), newest first as Slack returns them; `limit`
  // per page (at most 999, default 100), `cursor`/`has_more`. The bot must be in a channel it reads.
  'conversations.history': ({ state, args, botUserId, botId }) => {
    if (!args.channel || !/^[CGD][A-Z0-9]+$/.test(args.channel)) return fail('channel_not_found');
    const members = state.members.get(args.channel);
    if (members && !members.has(botUserId)) return fail('not_in_channel');
    const people = state.userMessages
      .filter((m) => m.channel === args.channel && (m.threadTs === undefined || m.threadTs === m.ts))
      .map((m) => ({ type: 'message', user: m.user, text: m.text, ts: m.ts }));
    const bot = state.messages
      .filter((m) => m.channel === args.channel && !m.deleted && m.threadTs === undefined)
      .map((m) => messageJson(m, botUserId, botId));
    const all = [...people, ...bot].sort((a, b) => Number(b.ts) - Number(a.ts));
    return messagePage(all, args, { defaultLimit: 100, maxLimit: 999 });
  },

  // A channel's member ids; `limit` per page (at most 1,000, default 100), `cursor`.
  'conversations.members': ({ state, args }) => {
    if (!args.channel || !/^[CGD][A-Z0-9]+$/.test(args.channel)) return fail('channel_not_found');
    const all = [...(state.members.get(args.channel) ?? [])];
    const limit = Math.min(Math.max(Number(args.limit) || 100, 1), 1_000);
    const start = Number(args.cursor?.replace('offset:', '') || 0);
    const more = start + limit < all.length;
    return {
      ok: true,
      members: all.slice(start, start + limit),
      response_metadata: { next_cursor: more ? `offset:${start + limit}` : '' },
    };
  },

  'chat.getPermalink': ({ state, args }) => {
    if (!args.channel) return fail('channel_not_found');
    if (!args.message_ts || !/^\d+\.\d+$/.test(args.message_ts)) return fail('message_not_found');
    const found = state.find(args.channel, args.message_ts);
    if (found?.deleted) return fail('message_not_found');
    // A reply's permalink names its thread, as Slack's do.
    const threadTs =
      found?.threadTs ??
      state.userMessages.find((m) => m.channel === args.channel && m.ts === args.message_ts)?.threadTs;
    const inThread =
      threadTs && threadTs !== args.message_ts ? `?thread_ts=${threadTs}&cid=${args.channel}` : '';
    return {
      ok: true,
      channel: args.channel,
      permalink: `https://emulated.slack.com/archives/${args.channel}/p${args.message_ts.replace('.', '')}${inThread}`,
    };
  },

  'chat.startStream': ({ state, args, botUserId, botId }) => {
    if (!args.channel) return fail('channel_not_found');
    if (!args.thread_ts) return fail('invalid_arguments', { detail: 'thread_ts is required' });
    if (!isDm(args.channel) && (!args.recipient_user_id || !args.recipient_team_id)) {
      return fail('missing_recipient_user_id');
    }
    const checked = streamChunks(args);
    if ('error' in checked) return fail(checked.error);
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
    applyTasks(message, checked.chunks);
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
    const checked = streamChunks(args);
    if ('error' in checked) return fail(checked.error);
    const text = streamText(args);
    if (!text && checked.chunks.length === 0)
      return fail('invalid_arguments', { detail: 'markdown_text or chunks is required' });
    if (text.length > MAX_STREAM_CHUNK) return fail('msg_too_long');
    applyTasks(message, checked.chunks);
    if (text) state.change(message, message.text + text);
    return { ok: true, channel: message.channel, ts: message.ts };
  },

  'chat.stopStream': ({ state, args, botUserId, botId }) => {
    const message = args.channel && args.ts ? state.find(args.channel, args.ts) : undefined;
    if (!message || message.deleted) return fail('message_not_found');
    if (!message.streaming) return fail('message_not_in_streaming_state');
    const checked = streamChunks(args);
    if ('error' in checked) return fail(checked.error);
    const text = streamText(args);
    if (text.length > MAX_STREAM_CHUNK) return fail('msg_too_long');
    const blocks = json(args.blocks);
    if (blocks === null) return fail('invalid_blocks');
    const blockProblems = blocks === undefined ? undefined : blockErrors(blocks);
    if (blockProblems) return fail('invalid_blocks', { errors: blockProblems });
    applyTasks(message, checked.chunks);
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
  // thread_ts is for assistant apps only; an agent app sets the prompts of the whole DM without it.
  'assistant.threads.setSuggestedPrompts': ({ state, args }) => {
    const prompts = json(args.prompts);
    if (!args.channel_id) return fail('invalid_arguments');
    if (!Array.isArray(prompts) || prompts.length === 0 || prompts.length > MAX_SUGGESTED_PROMPTS)
      return fail('invalid_arguments');
    for (const prompt of prompts) {
      if (
        typeof prompt?.title !== 'string' ||
        !prompt.title ||
        typeof prompt.message !== 'string' ||
        !prompt.message
      )
        return fail('invalid_arguments');
    }
    const where = args.thread_ts ? `${args.channel_id}/${args.thread_ts}` : args.channel_id;
    state.suggestedPrompts.set(where, { title: args.title, prompts });
    return { ok: true };
  },

  // Creates the thread's session if needed; title and initiator count only on creation.
  'agents.sessions.setStatus': ({ state, args, agentApp }) => {
    if (!agentApp) return fail('not_allowed');
    if (!args.status || !SESSION_STATUSES.has(args.status)) return fail('invalid_arguments');
    if (!args.channel_id || !args.thread_ts) return fail('invalid_arguments');
    if (args.title !== undefined && args.title.length > MAX_SESSION_TITLE) return fail('invalid_arguments');
    const key = `${args.channel_id}/${args.thread_ts}`;
    const session: EmulatedSession = state.sessions.get(key) ?? {
      channel: args.channel_id,
      threadTs: args.thread_ts,
      status: 'active',
      title: args.title || undefined,
      initiatorUserId: args.initiator_user_id,
      statuses: [],
      titles: args.title ? [args.title] : [],
    };
    session.status = args.status as EmulatedSession['status'];
    session.statuses.push(args.status);
    state.sessions.set(key, session);
    return { ok: true, status: session.status, ...(session.title ? { title: session.title } : {}) };
  },
  'agents.sessions.rename': ({ state, args, agentApp }) => {
    if (!agentApp) return fail('not_allowed');
    if (!args.channel_id || !args.thread_ts || !args.title || args.title.length > MAX_SESSION_TITLE)
      return fail('invalid_arguments');
    const session = state.sessions.get(`${args.channel_id}/${args.thread_ts}`);
    if (!session) return fail('session_not_found');
    session.title = args.title;
    session.titles.push(args.title);
    return { ok: true, title: session.title };
  },

  'views.publish': ({ state, args }) => {
    if (!args.user_id) return fail('invalid_arguments');
    if (!state.users.has(args.user_id) && !/^U[A-Z0-9]+$/.test(args.user_id)) return fail('user_not_found');
    const view = json(args.view);
    if (!view || typeof view !== 'object') return fail('invalid_arguments');
    if (view.type !== 'home') return fail('invalid_arguments');
    if (!Array.isArray(view.blocks) || view.blocks.length > MAX_VIEW_BLOCKS) return fail('invalid_blocks');
    for (const block of view.blocks) if (typeof block?.type !== 'string') return fail('invalid_blocks');
    const published = {
      ...view,
      id: `V${String(state.homeViews.size + 1).padStart(8, '0')}`,
      team_id: state.teamId,
    };
    state.homeViews.set(args.user_id, published);
    return { ok: true, view: published };
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
        profile: { display_name: user.displayName ?? user.name, real_name: user.name },
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

/** One page of a message list the way Slack pages them: `limit`, an opaque `cursor`, `has_more`. */
function messagePage(
  all: unknown[],
  args: { limit?: string; cursor?: string },
  limits: { defaultLimit: number; maxLimit: number },
): MethodResult {
  const limit = Math.min(Math.max(Number(args.limit) || limits.defaultLimit, 1), limits.maxLimit);
  const start = Number(args.cursor?.replace('offset:', '') || 0);
  const more = start + limit < all.length;
  return {
    ok: true,
    messages: all.slice(start, start + limit),
    has_more: more,
    response_metadata: { next_cursor: more ? `offset:${start + limit}` : '' },
  };
}
