/**
 * The REST v10 routes the bot uses, under `/api/v10`. Each handler reads and writes the shared
 * `EmulatorState` and answers in Discord's shapes: JSON errors `{ code, message }`, rate-limit
 * headers on message routes, 429s when a bucket is spent. Every call lands in `state.log`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { storedCommand, validateCommandList } from './application-commands.js';
import type { AttachmentCdn } from './cdn.js';
import type { GatewayServer } from './gateway.js';
import {
  USER_INSTALL_MAX_FOLLOW_UPS,
  validateAutocompleteResult,
  validateModal,
} from './interaction-responses.js';
import { type JsonBody, type RateLimitBuckets, rateLimitBody, validateMessageBody } from './limits.js';
import {
  type EmuInteraction,
  type EmulatorState,
  type EmuMessage,
  toWireChannel,
  toWireMessage,
  toWireUser,
} from './state.js';

export interface RestContext {
  state: EmulatorState;
  gateway: GatewayServer;
  cdn: AttachmentCdn;
  buckets: RateLimitBuckets;
  token: string;
  gatewayUrl: () => string;
  /** How long an interaction token works for webhook calls (Discord: 15 minutes). */
  interactionTokenLifetimeMs: number;
  /** Added to every REST answer, to model Discord's latency in benchmarks. */
  latencyMs: number;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Handler = (ctx: RestContext, params: string[], body: JsonBody, query: URLSearchParams) => Reply;

const json = (status: number, body?: unknown, headers?: Record<string, string>): Reply => ({
  status,
  body,
  headers,
});
const error = (status: number, code: number, message: string): Reply => json(status, { code, message });
const unknownMessage = () => error(404, 10008, 'Unknown Message');
const unknownChannel = () => error(404, 10003, 'Unknown Channel');
const unknownGuild = () => error(404, 10004, 'Unknown Guild');
const unknownMember = () => error(404, 10007, 'Unknown Member');
const unknownEmoji = () => error(400, 10014, 'Unknown Emoji');

/** Routes that do not need the bot token (interaction tokens are the credential). */
const NO_AUTH = /^\/(interactions|webhooks)\//;

const routes: Array<[string, RegExp, Handler]> = [
  ['GET', /^\/gateway\/bot$/, (ctx) => json(200, gatewayBot(ctx))],
  ['GET', /^\/gateway$/, (ctx) => json(200, { url: ctx.gatewayUrl() })],
  ['GET', /^\/users\/@me$/, (ctx) => json(200, toWireUser(ctx.state.botUser))],
  [
    'GET',
    /^\/applications\/@me$/,
    (ctx) => json(200, { id: ctx.state.applicationId, name: ctx.state.botUser.username, flags: 0 }),
  ],
  ['PUT', /^\/applications\/(\d+)\/commands$/, (ctx, p, body) => putCommands(ctx, p[0]!, 'global', body)],
  ['GET', /^\/applications\/(\d+)\/commands$/, (ctx, p) => getCommands(ctx, p[0]!, 'global')],
  [
    'PUT',
    /^\/applications\/(\d+)\/guilds\/(\d+)\/commands$/,
    (ctx, p, body) => putCommands(ctx, p[0]!, p[1]!, body),
  ],
  ['GET', /^\/applications\/(\d+)\/guilds\/(\d+)\/commands$/, (ctx, p) => getCommands(ctx, p[0]!, p[1]!)],
  ['GET', /^\/channels\/(\d+)$/, (ctx, p) => getChannel(ctx, p[0]!)],
  ['POST', /^\/channels\/(\d+)\/messages$/, (ctx, p, body) => createMessage(ctx, p[0]!, body)],
  ['GET', /^\/channels\/(\d+)\/messages$/, (ctx, p, _b, query) => listMessages(ctx, p[0]!, query)],
  ['GET', /^\/channels\/(\d+)\/messages\/(\d+)$/, (ctx, p) => getMessage(ctx, p[0]!, p[1]!)],
  ['PATCH', /^\/channels\/(\d+)\/messages\/(\d+)$/, (ctx, p, body) => editMessage(ctx, p[0]!, p[1]!, body)],
  ['DELETE', /^\/channels\/(\d+)\/messages\/(\d+)$/, (ctx, p) => deleteMessage(ctx, p[0]!, p[1]!)],
  [
    'POST',
    /^\/channels\/(\d+)\/messages\/(\d+)\/threads$/,
    (ctx, p, body) => startThread(ctx, p[0]!, p[1]!, body),
  ],
  ['POST', /^\/channels\/(\d+)\/typing$/, () => json(204)],
  [
    'PUT',
    /^\/channels\/(\d+)\/messages\/(\d+)\/reactions\/([^/]+)\/@me$/,
    (ctx, p) => addReaction(ctx, p[0]!, p[1]!, decodeURIComponent(p[2]!)),
  ],
  ['GET', /^\/guilds\/(\d+)\/members\/(\d+)$/, (ctx, p) => getMember(ctx, p[0]!, p[1]!)],
  [
    'POST',
    /^\/interactions\/(\d+)\/([^/]+)\/callback$/,
    (ctx, p, body) => interactionCallback(ctx, p[0]!, p[1]!, body),
  ],
  ['POST', /^\/webhooks\/(\d+)\/([^/]+)$/, (ctx, p, body) => followUp(ctx, p[1]!, body)],
  [
    'PATCH',
    /^\/webhooks\/(\d+)\/([^/]+)\/messages\/(@original|\d+)$/,
    (ctx, p, body) => editWebhookMessage(ctx, p[1]!, p[2]!, body),
  ],
  [
    'GET',
    /^\/webhooks\/(\d+)\/([^/]+)\/messages\/(@original|\d+)$/,
    (ctx, p) => getWebhookMessage(ctx, p[1]!, p[2]!),
  ],
  [
    'DELETE',
    /^\/webhooks\/(\d+)\/([^/]+)\/messages\/(@original|\d+)$/,
    (ctx, p) => deleteWebhookMessage(ctx, p[1]!, p[2]!),
  ],
  [
    'POST',
    /^\/attachments\/refresh-urls$/,
    (ctx, _p, body) => json(200, ctx.cdn.refresh(body?.attachment_urls ?? [])),
  ],
];

/** Answers one `/api/v10/...` request. */
export async function handleRest(ctx: RestContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator');
  // discord.js percent-encodes path parts (`@original` arrives as `%40original`).
  const path = decodeURIComponent(url.pathname).replace(/^\/api\/v10/, '');
  const method = req.method ?? 'GET';
  const raw = await readBody(req);
  let body: JsonBody;
  try {
    body = raw.length > 0 ? parseBody(raw, req.headers['content-type'] ?? '') : undefined;
  } catch {
    body = undefined;
  }
  let reply: Reply;
  if (!NO_AUTH.test(path) && req.headers.authorization !== `Bot ${ctx.token}`) {
    reply = error(401, 0, '401: Unauthorized');
  } else if (inForeignGuild(ctx, path)) {
    // The bot is not a member there: no reading, no sending, no threads.
    reply = error(403, 50001, 'Missing Access');
  } else {
    const route = routes.find(([m, pattern]) => m === method && pattern.test(path));
    reply = route
      ? route[2](ctx, pattern(route[1], path), body, url.searchParams)
      : error(404, 0, '404: Not Found');
  }
  ctx.state.log.push({ at: Date.now(), method, path, query: url.search, body, status: reply.status });
  if (ctx.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, ctx.latencyMs));
  const headers: Record<string, string> = { ...reply.headers };
  if (reply.body !== undefined) headers['content-type'] = 'application/json';
  res.writeHead(reply.status, headers);
  res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
}

/** A `/channels/:id…` route on a channel of a server the bot is not in. */
function inForeignGuild(ctx: RestContext, path: string): boolean {
  const channelId = /^\/channels\/(\d+)/.exec(path)?.[1];
  const guildId = channelId ? ctx.state.channels.get(channelId)?.guild_id : undefined;
  return guildId !== undefined && ctx.state.foreignGuildIds.has(guildId);
}

function pattern(regex: RegExp, path: string): string[] {
  return (regex.exec(path) ?? []).slice(1);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** JSON, or multipart with a `payload_json` part (discord.js sends files that way). */
function parseBody(raw: Buffer, contentType: string): unknown {
  if (contentType.startsWith('multipart/form-data')) {
    const match = /name="payload_json"\r\n(?:[^\r\n]*\r\n)*\r\n([\s\S]*?)\r\n--/.exec(raw.toString('utf8'));
    return match ? JSON.parse(match[1]!) : {};
  }
  return JSON.parse(raw.toString('utf8'));
}

function gatewayBot(ctx: RestContext): unknown {
  return {
    url: ctx.gatewayUrl(),
    shards: 1,
    session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 },
  };
}

/** Who may read or write a scope's commands: this application, and guilds the bot is in. */
function commandScopeRefusal(ctx: RestContext, applicationId: string, scope: string): Reply | undefined {
  if (applicationId !== ctx.state.applicationId) return error(404, 10002, 'Unknown Application');
  if (scope !== 'global' && scope !== ctx.state.guildId) return error(403, 50001, 'Missing Access');
  return undefined;
}

function getCommands(ctx: RestContext, applicationId: string, scope: string): Reply {
  return commandScopeRefusal(ctx, applicationId, scope) ?? json(200, ctx.state.commands.get(scope) ?? []);
}

/** Bulk overwrite: the whole list is checked first; a refused list changes nothing. */
function putCommands(ctx: RestContext, applicationId: string, scope: string, body: unknown): Reply {
  const refused = commandScopeRefusal(ctx, applicationId, scope);
  if (refused) return refused;
  ctx.state.commandOverwrites += 1;
  if (ctx.state.commandCreateLimitReached) {
    ctx.state.rateLimitedCount += 1;
    const retryAfter = 3_600;
    return json(429, rateLimitBody(retryAfter), {
      'retry-after': String(retryAfter),
      'x-ratelimit-limit': '200',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset-after': String(retryAfter),
      'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + retryAfter),
      'x-ratelimit-bucket': 'emu-application-commands',
      'x-ratelimit-scope': 'user',
    });
  }
  const invalid = validateCommandList(body);
  if (invalid) return json(400, invalid);
  const list = (body as JsonBody[]).map((command: JsonBody) => {
    // Discord keeps integration_types and contexts for global commands only.
    const { integration_types: _i, contexts: _c, ...guildCommand } = command;
    return storedCommand(scope === 'global' ? command : guildCommand, {
      id: ctx.state.nextId(),
      applicationId: ctx.state.applicationId,
      version: ctx.state.nextId(),
      ...(scope === 'global' ? {} : { guildId: scope }),
    });
  });
  ctx.state.commands.set(scope, list);
  return json(200, list);
}

/** The bot reacts to a message; Discord answers 204, and 10014 for an emoji that is neither unicode nor `name:id`. */
function addReaction(ctx: RestContext, channelId: string, messageId: string, emoji: string): Reply {
  if (!ctx.state.channels.has(channelId)) return unknownChannel();
  const message = ctx.state.messages.get(messageId);
  if (!message || message.channel_id !== channelId || message.deleted) return unknownMessage();
  if (!emoji || (/^[\w-]+$/.test(emoji) && !emoji.includes(':'))) return unknownEmoji();
  message.reactions = { ...message.reactions, [emoji]: (message.reactions?.[emoji] ?? 0) + 1 };
  return json(204);
}

/** One member of the guild, or Discord's 10007 Unknown Member for someone who is not in it. */
function getMember(ctx: RestContext, guildId: string, userId: string): Reply {
  if (guildId !== ctx.state.guildId) return unknownGuild();
  const member = ctx.state.members.get(userId);
  if (!member) return unknownMember();
  return json(200, {
    user: toWireUser(member.user),
    roles: member.roles,
    joined_at: new Date(ctx.state.now()).toISOString(),
    deaf: false,
    mute: false,
    flags: 0,
  });
}

function getChannel(ctx: RestContext, channelId: string): Reply {
  const channel = ctx.state.channels.get(channelId);
  return channel ? json(200, toWireChannel(channel)) : unknownChannel();
}

/** Counts a message create/edit against the channel's bucket; a 429 reply when it is spent. */
function takeMessageBucket(
  ctx: RestContext,
  key: string,
): { refused?: Reply; headers: Record<string, string> } {
  const decision = ctx.buckets.take(key, `emu-${key.split(':')[0]}`);
  if (decision.allowed) return { headers: decision.headers };
  ctx.state.rateLimitedCount += 1;
  return {
    refused: json(429, rateLimitBody(decision.retryAfterSeconds), decision.headers),
    headers: decision.headers,
  };
}

function createMessage(ctx: RestContext, channelId: string, body: JsonBody): Reply {
  const channel = ctx.state.channels.get(channelId);
  if (!channel) return unknownChannel();
  const bucket = takeMessageBucket(ctx, `messages:${channelId}`);
  if (bucket.refused) return bucket.refused;
  const invalid = validateMessageBody(body ?? {}, { requireSomething: true });
  if (invalid) return json(400, invalid, bucket.headers);
  const message = ctx.state.buildMessage({
    channel_id: channelId,
    author: ctx.state.botUser,
    content: body.content ?? '',
    embeds: body.embeds ?? [],
    components: body.components ?? [],
    allowed_mentions: body.allowed_mentions,
    message_reference: body.message_reference
      ? { channel_id: channelId, guild_id: channel.guild_id, ...body.message_reference }
      : undefined,
  });
  ctx.gateway.dispatch('MESSAGE_CREATE', toWireMessage(message));
  return json(200, toWireMessage(message), bucket.headers);
}

/**
 * GET /channels/{id}/messages: newest first, `limit` 1-100 (default 50), at most one of `before`,
 * `after` and `around`; 50035 for a limit out of range, 50001 where the bot may not read history.
 */
function listMessages(ctx: RestContext, channelId: string, query: URLSearchParams): Reply {
  const channel = ctx.state.channels.get(channelId);
  if (!channel) return unknownChannel();
  if (channel.botCannotRead) return error(403, 50001, 'Missing Access');
  const limit = query.has('limit') ? Number(query.get('limit')) : 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    const code = limit < 1 ? 'NUMBER_TYPE_MIN' : 'NUMBER_TYPE_MAX';
    const message =
      limit < 1
        ? 'int value should be greater than or equal to 1.'
        : 'int value should be less than or equal to 100.';
    return json(400, {
      code: 50035,
      message: 'Invalid Form Body',
      errors: { limit: { _errors: [{ code, message }] } },
    });
  }
  const anchors = ['before', 'after', 'around'].filter((name) => query.has(name));
  if (anchors.length > 1) return json(400, { code: 50035, message: 'Invalid Form Body', errors: {} });
  // Ephemeral messages belong to one user's client: Discord never lists them in channel history.
  const newestFirst = ctx.state
    .channelMessages(channelId)
    .filter((m) => (m.flags & 64) === 0)
    .reverse();
  const id = (name: string) => BigInt(query.get(name) ?? '0');
  if (query.has('before')) {
    return json(
      200,
      newestFirst
        .filter((m) => BigInt(m.id) < id('before'))
        .slice(0, limit)
        .map(toWireMessage),
    );
  }
  if (query.has('after')) {
    const newer = newestFirst.filter((m) => BigInt(m.id) > id('after'));
    return json(200, newer.slice(Math.max(0, newer.length - limit)).map(toWireMessage));
  }
  if (query.has('around')) {
    const at = newestFirst.findIndex((m) => BigInt(m.id) <= id('around'));
    const start = Math.max(0, (at < 0 ? newestFirst.length : at) - Math.floor(limit / 2));
    return json(200, newestFirst.slice(start, start + limit).map(toWireMessage));
  }
  return json(200, newestFirst.slice(0, limit).map(toWireMessage));
}

function getMessage(ctx: RestContext, channelId: string, messageId: string): Reply {
  const message = ctx.state.messages.get(messageId);
  if (!message || message.deleted || message.channel_id !== channelId) return unknownMessage();
  return json(200, toWireMessage(message));
}

/** Applies an edit body to a stored message (content, embeds, components, allowed_mentions). */
function applyEdit(ctx: RestContext, message: EmuMessage, body: JsonBody): void {
  if (typeof body.content === 'string') message.content = body.content;
  if (Array.isArray(body.embeds)) message.embeds = body.embeds;
  if (Array.isArray(body.components)) message.components = body.components;
  if ('allowed_mentions' in body) message.allowed_mentions = body.allowed_mentions;
  message.flags &= ~128; // an edit ends the "thinking…" state of a deferred response
  message.edited_timestamp = new Date(ctx.state.now()).toISOString();
  message.history.push({ at: Date.now(), content: message.content });
}

function editMessage(ctx: RestContext, channelId: string, messageId: string, body: JsonBody): Reply {
  const message = ctx.state.messages.get(messageId);
  if (!message || message.deleted || message.channel_id !== channelId) return unknownMessage();
  if (message.author.id !== ctx.state.botUser.id) {
    return error(403, 50005, 'Cannot edit a message authored by another user');
  }
  const bucket = takeMessageBucket(ctx, `messages:${channelId}`);
  if (bucket.refused) return bucket.refused;
  const invalid = validateMessageBody(body ?? {}, { requireSomething: false });
  if (invalid) return json(400, invalid, bucket.headers);
  applyEdit(ctx, message, body ?? {});
  ctx.gateway.dispatch('MESSAGE_UPDATE', toWireMessage(message));
  return json(200, toWireMessage(message), bucket.headers);
}

function deleteMessage(ctx: RestContext, channelId: string, messageId: string): Reply {
  const message = ctx.state.messages.get(messageId);
  if (!message || message.deleted || message.channel_id !== channelId) return unknownMessage();
  message.deleted = true;
  ctx.gateway.dispatch('MESSAGE_DELETE', {
    id: messageId,
    channel_id: channelId,
    guild_id: message.guild_id,
  });
  return json(204);
}

function startThread(ctx: RestContext, channelId: string, messageId: string, body: JsonBody): Reply {
  const parent = ctx.state.channels.get(channelId);
  const message = ctx.state.messages.get(messageId);
  if (!parent || !message || message.channel_id !== channelId) return unknownMessage();
  if (ctx.state.channels.has(messageId)) {
    return error(400, 160004, 'A thread has already been created for this message');
  }
  const name = String(body?.name ?? '');
  if (name.length < 1 || name.length > 100) {
    return json(400, {
      code: 50035,
      message: 'Invalid Form Body',
      errors: {
        name: {
          _errors: [{ code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 1 and 100 in length.' }],
        },
      },
    });
  }
  // A thread started from a message has the message's id, as on Discord.
  const thread = ctx.state.addChannel({
    id: messageId,
    type: 11,
    name,
    guild_id: parent.guild_id,
    parent_id: channelId,
    owner_id: ctx.state.botUser.id,
  });
  const wire = toWireChannel(thread);
  ctx.gateway.dispatch('THREAD_CREATE', { ...wire, newly_created: true });
  return json(201, wire);
}

function interactionCallback(ctx: RestContext, id: string, token: string, body: JsonBody): Reply {
  const interaction = ctx.state.interactions.get(id);
  if (!interaction || interaction.token !== token) return error(404, 10062, 'Unknown interaction');
  // Discord drops interactions not acknowledged within 3 seconds.
  if (Date.now() - interaction.createdAt > 3_000) return error(404, 10062, 'Unknown interaction');
  if (interaction.callbacks.length > 0)
    return error(400, 40060, 'Interaction has already been acknowledged.');
  const type = Number(body?.type);
  const data = body?.data ?? {};
  const AUTOCOMPLETE = 4;
  const MODAL_SUBMIT = 5;
  // Autocomplete interactions take choices and nothing else; choices answer nothing else.
  if ((interaction.type === AUTOCOMPLETE) !== (type === 8)) return wrongCallbackType();
  if (type === 4 || type === 5) {
    const invalid = type === 4 ? validateMessageBody(data, { requireSomething: true }) : undefined;
    if (invalid) return json(400, invalid);
    interaction.ephemeral = interaction.forcedEphemeral || ((data.flags ?? 0) & 64) !== 0;
    const message = ctx.state.buildMessage({
      channel_id: interaction.channel_id,
      author: ctx.state.botUser,
      content: data.content ?? '',
      embeds: data.embeds ?? [],
      components: data.components ?? [],
      allowed_mentions: data.allowed_mentions,
      flags: (interaction.ephemeral ? 64 : 0) | (type === 5 ? 128 : 0),
      webhook_id: ctx.state.applicationId,
      interaction_token: token,
    });
    interaction.originalMessageId = message.id;
  } else if (type === 7) {
    const target = interaction.messageId ? ctx.state.messages.get(interaction.messageId) : undefined;
    if (target) applyEdit(ctx, target, data);
  } else if (type === 8) {
    const invalid = validateAutocompleteResult(data);
    if (invalid) return json(400, invalid);
    interaction.choices = data.choices;
  } else if (type === 9) {
    // A modal answers a command or a component, never a modal submit.
    if (interaction.type === MODAL_SUBMIT) return wrongCallbackType();
    const invalid = validateModal(data);
    if (invalid) return json(400, invalid);
    interaction.modal = data;
  } else if (type !== 6) {
    return wrongCallbackType();
  }
  interaction.callbacks.push({ type, data: body?.data });
  return json(204);
}

function wrongCallbackType(): Reply {
  return json(400, {
    code: 50035,
    message: 'Invalid Form Body',
    errors: { type: { _errors: [{ code: 'INTERACTION_CALLBACK_TYPE_INVALID', message: 'Invalid type' }] } },
  });
}

function interactionByToken(
  ctx: RestContext,
  token: string,
): { interaction?: EmuInteraction; refused?: Reply } {
  const interaction = [...ctx.state.interactions.values()].find((i) => i.token === token);
  if (!interaction) return { refused: error(404, 10015, 'Unknown Webhook') };
  if (Date.now() + ctx.state.clockOffsetMs - interaction.createdAt > ctx.interactionTokenLifetimeMs) {
    return { refused: error(401, 50027, 'Invalid Webhook Token') };
  }
  return { interaction };
}

function followUp(ctx: RestContext, token: string, body: JsonBody): Reply {
  const { interaction, refused } = interactionByToken(ctx, token);
  if (!interaction) return refused!;
  if (interaction.callbacks.length === 0) return error(404, 10015, 'Unknown Webhook');
  if (interaction.userInstallOnly && interaction.followUpIds.length >= USER_INSTALL_MAX_FOLLOW_UPS) {
    return error(400, 40094, 'This interaction has hit the maximum number of follow up messages');
  }
  const bucket = takeMessageBucket(ctx, `webhook:${token}`);
  if (bucket.refused) return bucket.refused;
  const invalid = validateMessageBody(body ?? {}, { requireSomething: true });
  if (invalid) return json(400, invalid, bucket.headers);
  const message = ctx.state.buildMessage({
    channel_id: interaction.channel_id,
    author: ctx.state.botUser,
    content: body.content ?? '',
    embeds: body.embeds ?? [],
    components: body.components ?? [],
    allowed_mentions: body.allowed_mentions,
    flags: interaction.forcedEphemeral ? 64 : (body.flags ?? 0) & 64,
    webhook_id: ctx.state.applicationId,
    interaction_token: token,
  });
  interaction.followUpIds.push(message.id);
  return json(200, toWireMessage(message), bucket.headers);
}

function webhookTarget(
  ctx: RestContext,
  token: string,
  messageId: string,
): { message?: EmuMessage; refused?: Reply } {
  const { interaction, refused } = interactionByToken(ctx, token);
  if (!interaction) return { refused };
  const id = messageId === '@original' ? interaction.originalMessageId : messageId;
  const message = id ? ctx.state.messages.get(id) : undefined;
  if (!message || message.interaction_token !== token) return { refused: unknownMessage() };
  return { message };
}

function editWebhookMessage(ctx: RestContext, token: string, messageId: string, body: JsonBody): Reply {
  const { message, refused } = webhookTarget(ctx, token, messageId);
  if (!message) return refused!;
  const bucket = takeMessageBucket(ctx, `webhook:${token}`);
  if (bucket.refused) return bucket.refused;
  const invalid = validateMessageBody(body ?? {}, { requireSomething: false });
  if (invalid) return json(400, invalid, bucket.headers);
  applyEdit(ctx, message, body ?? {});
  return json(200, toWireMessage(message), bucket.headers);
}

function deleteWebhookMessage(ctx: RestContext, token: string, messageId: string): Reply {
  const { message, refused } = webhookTarget(ctx, token, messageId);
  if (!message) return refused!;
  message.deleted = true;
  return json(204);
}

function getWebhookMessage(ctx: RestContext, token: string, messageId: string): Reply {
  const { message, refused } = webhookTarget(ctx, token, messageId);
  return message ? json(200, toWireMessage(message)) : refused!;
}
