/**
 * A loopback Slack: the Web API methods the bot calls (POST /api/<method>), Slack's rate limits and
 * text limits, a private file route that only the bot token opens (anyone else gets Slack's
 * 200 + HTML login page), and `response_url` endpoints for slash commands. Every call is recorded
 * with its time and arguments so tests assert on what a person in Slack would see.
 * Point Bolt at it with `clientOptions: { slackApiUrl: emu.apiUrl }`.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileJson, METHODS, type MethodArgs, type MethodResult } from './methods.js';
import { RateLimits } from './rate-limits.js';
import { SocketModeHub } from './socket-mode.js';
import { type EmulatedFile, type EmulatedMessage, type EmulatedUser, WorkspaceState } from './state.js';

/** One Web API call as the emulator received it. */
export interface RecordedCall {
  method: string;
  args: MethodArgs;
  /** `Date.now()` when the call arrived. */
  at: number;
  /** 200, 429 when rate limited, 0 when the connection was dropped without an answer. */
  status: number;
  /** The `error` of an `ok: false` answer. */
  error: string | undefined;
}

/** Slack accepts at most five posts to one response_url… */
export const RESPONSE_URL_MAX_POSTS = 5;
/** …within thirty minutes of the command. */
export const RESPONSE_URL_LIFETIME_MS = 30 * 60_000;

/** One post to a response_url as the emulator received it. */
export interface ResponseUrlCall {
  /** `/response/<n>` */
  path: string;
  body: Record<string, unknown>;
  at: number;
  /** 200, or 404 when the URL is used up, expired or unknown. */
  status: number;
  error: string | undefined;
}

export interface SlackEmulatorOptions {
  port?: number;
  botToken?: string;
  /** The app-level token (Socket Mode) apps.connections.open accepts. */
  appToken?: string;
  signingSecret?: string;
  teamId?: string;
  botUserId?: string;
  botId?: string;
  /** How long a native stream accepts appends (default 5 minutes, as observed on Slack). */
  streamMaxAgeMs?: number;
  /** Whether the app is declared an agent (`agent_view`; default true). False: an assistant_view app. */
  agentApp?: boolean;
}

export interface SlackEmulator {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `slackApiUrl` for the WebClient: `http://127.0.0.1:<port>/api/` */
  readonly apiUrl: string;
  readonly botToken: string;
  readonly appToken: string;
  readonly signingSecret: string;
  /** Socket Mode: the WebSocket side, for pushing envelopes to a connected app. */
  readonly socketMode: SocketModeHub;
  readonly teamId: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly state: WorkspaceState;
  readonly rateLimits: RateLimits;
  readonly calls: RecordedCall[];
  streamMaxAgeMs: number;
  /** Declared an agent (agent_view): agents.sessions.* work; false answers them `not_allowed`. */
  agentApp: boolean;
  /** Calls of one method, oldest first. */
  callsOf(method: string): RecordedCall[];
  /** How many calls were answered 429. */
  rateLimitedCount(): number;
  addUser(user: EmulatedUser): void;
  /** Stores a file and returns its Slack file object (with `url_private`), ready to put in an event. */
  addFile(file: EmulatedFile): Record<string, unknown>;
  /** The method answers `{ ok: false, error }` the next `times` calls (default forever with `times: Infinity`). */
  failNext(method: string, error: string, times?: number): void;
  /** The next `times` calls of a method lose their connection before any answer (a network cut). */
  dropNext(method: string, times?: number): void;
  /** Makes a method unknown to this workspace (e.g. native streaming not offered): `unknown_method`. */
  disable(method: string): void;
  enable(method: string): void;
  /** A `response_url` to put in a slash command or block action (5 posts within 30 minutes). */
  responseUrl(): string;
  /** Every post to a response_url, refused ones too (404 `used_url` / `expired_url`). */
  readonly responseCalls: ResponseUrlCall[];
  /** A trigger_id for a shortcut or button payload (valid 3 s, one view); `issuedAgoMs` backdates it. */
  trigger(issuedAgoMs?: number): string;
  /** A message a person wrote, for conversations.replies; returns its ts. */
  postAsUser(fields: {
    channel: string;
    user: string;
    text: string;
    threadTs?: string;
    fileIds?: string[];
  }): string;
  /** Sets who is a member of `channel` (conversations.members); without the bot, its history is `not_in_channel`. */
  setMembers(channel: string, users: string[]): void;
  /** Bot messages of one thread, oldest first. */
  thread(channel: string, threadTs: string): EmulatedMessage[];
  /** Resolves once `check` returns a value other than undefined/false; re-checked after every call. */
  waitFor<T>(check: () => T | undefined | false, timeoutMs?: number): Promise<T>;
  reset(): void;
  close(): Promise<void>;
}

const LOGIN_PAGE =
  '<!DOCTYPE html><html><head><title>Slack</title></head><body><form action="/signin">Sign in to Slack</form></body></html>';

export async function startSlackEmulator(options: SlackEmulatorOptions = {}): Promise<SlackEmulator> {
  const botToken = options.botToken ?? 'xoxb-emulated-bot-token';
  const appToken = options.appToken ?? 'xapp-1-emulated-app-token';
  const socketMode = new SocketModeHub();
  const teamId = options.teamId ?? 'T0EMULATED';
  const botUserId = options.botUserId ?? 'UBOT00001';
  const botId = options.botId ?? 'BBOT00001';
  const state = new WorkspaceState(teamId);
  const rateLimits = new RateLimits();
  const calls: RecordedCall[] = [];
  const faults = new Map<string, { error: string; remaining: number }>();
  const drops = new Map<string, number>();
  const disabled = new Set<string>();
  const changes = new EventEmitter();
  changes.setMaxListeners(0);
  let responseCounter = 0;
  /** Each response_url handed out: when, and how many posts it took. */
  const responseUses = new Map<string, { createdAt: number; posts: number }>();
  const responseCalls: ResponseUrlCall[] = [];
  let baseUrl = '';

  const record = (call: RecordedCall) => {
    calls.push(call);
    changes.emit('change');
  };

  async function handleApi(method: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const args = await readArgs(req);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ?? args.token;
    const at = Date.now();
    const answer = (result: MethodResult) => {
      record({ method, args, at, status: 200, error: result.ok ? undefined : String(result.error) });
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(result));
    };
    if (!token) return answer({ ok: false, error: 'not_authed' });
    // apps.connections.open takes only the app-level token; every other method only the bot token.
    if (method === 'apps.connections.open') {
      return answer(
        token === appToken
          ? { ok: true, url: socketMode.connectionUrl() }
          : { ok: false, error: 'invalid_auth' },
      );
    }
    if (token !== botToken) return answer({ ok: false, error: 'invalid_auth' });
    const handler = METHODS[method];
    if (!handler || disabled.has(method)) return answer({ ok: false, error: 'unknown_method' });
    const retryAfter = rateLimits.take(method, args.channel);
    if (retryAfter > 0) {
      record({ method, args, at, status: 429, error: 'ratelimited' });
      res
        .writeHead(429, { 'content-type': 'application/json', 'retry-after': String(retryAfter) })
        .end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      return;
    }
    const dropsLeft = drops.get(method) ?? 0;
    if (dropsLeft > 0) {
      drops.set(method, dropsLeft - 1);
      record({ method, args, at, status: 0, error: 'connection reset' });
      req.socket.destroy();
      return;
    }
    const fault = faults.get(method);
    if (fault && fault.remaining > 0) {
      fault.remaining -= 1;
      return answer({ ok: false, error: fault.error });
    }
    answer(
      handler({
        state,
        args,
        botUserId,
        botId,
        baseUrl,
        streamMaxAgeMs: emulator.streamMaxAgeMs,
        agentApp: emulator.agentApp,
      }),
    );
  }

  function handleFile(path: string, req: IncomingMessage, res: ServerResponse): void {
    // Without the bot token Slack does not refuse: it answers 200 with its sign-in page.
    const authorized = req.headers.authorization === `Bearer ${botToken}`;
    const id = /^\/files-pri\/[^-/]+-([^/]+)\//.exec(path)?.[1];
    const file = id ? state.files.get(id) : undefined;
    if (!authorized || !file) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(LOGIN_PAGE);
      return;
    }
    res.writeHead(200, { 'content-type': file.mimetype, 'content-length': String(file.bytes.length) });
    res.end(file.bytes);
  }

  async function handleResponseUrl(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = JSON.parse((await readBody(req)) || '{}') as Record<string, unknown>;
    const use = responseUses.get(path);
    // Slack: "use it up to five times within thirty minutes"; past that the URL is refused.
    const refusal = !use
      ? 'invalid_url'
      : Date.now() - use.createdAt > RESPONSE_URL_LIFETIME_MS
        ? 'expired_url'
        : use.posts >= RESPONSE_URL_MAX_POSTS
          ? 'used_url'
          : undefined;
    if (use && !refusal) use.posts += 1;
    responseCalls.push({ path, body, at: Date.now(), status: refusal ? 404 : 200, error: refusal });
    if (refusal) {
      changes.emit('change');
      res.writeHead(404, { 'content-type': 'text/plain' }).end(refusal);
      return;
    }
    state.ephemerals.push({
      channel: undefined,
      user: undefined,
      text: String(body.text ?? ''),
      via: 'response_url',
      responseType: typeof body.response_type === 'string' ? body.response_type : undefined,
      at: Date.now(),
      responseUrl: `${baseUrl}${path}`,
    });
    changes.emit('change');
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const api = /^\/api\/([\w.]+)$/.exec(path);
    let work: Promise<void> | undefined;
    if (api && req.method === 'POST') work = handleApi(api[1]!, req, res);
    else if (path.startsWith('/files-pri/') && req.method === 'GET') handleFile(path, req, res);
    else if (path.startsWith('/response/') && req.method === 'POST') work = handleResponseUrl(path, req, res);
    else res.writeHead(404).end();
    Promise.resolve(work).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://127.0.0.1:${port}`;
  socketMode.attach(server, baseUrl);

  const emulator: SlackEmulator = {
    url: baseUrl,
    apiUrl: `${baseUrl}/api/`,
    botToken,
    appToken,
    socketMode,
    signingSecret: options.signingSecret ?? 'emulated-signing-secret',
    teamId,
    botUserId,
    botId,
    state,
    rateLimits,
    calls,
    streamMaxAgeMs: options.streamMaxAgeMs ?? 5 * 60_000,
    agentApp: options.agentApp ?? true,
    callsOf: (method) => calls.filter((call) => call.method === method),
    rateLimitedCount: () => calls.filter((call) => call.status === 429).length,
    addUser: (user) => void state.users.set(user.id, user),
    addFile(file) {
      state.files.set(file.id, file);
      return fileJson(file, teamId, baseUrl);
    },
    failNext(method, error, times = 1) {
      faults.set(method, { error, remaining: times });
    },
    dropNext(method, times = 1) {
      drops.set(method, times);
    },
    disable: (method) => void disabled.add(method),
    enable: (method) => void disabled.delete(method),
    responseUrl() {
      responseCounter += 1;
      responseUses.set(`/response/${responseCounter}`, { createdAt: Date.now(), posts: 0 });
      return `${baseUrl}/response/${responseCounter}`;
    },
    responseCalls,
    trigger: (issuedAgoMs) => state.issueTrigger(issuedAgoMs),
    setMembers: (channel, users) => state.members.set(channel, new Set(users)),
    postAsUser: (fields) => state.addUserMessage({ ...fields, threadTs: fields.threadTs }).ts,
    thread: (channel, threadTs) => state.thread(channel, threadTs),
    waitFor(check, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const attempt = () => {
          const value = check();
          if (value === undefined || value === false) return false;
          cleanup();
          resolve(value);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`slack emulator: condition not met within ${timeoutMs} ms`));
        }, timeoutMs);
        // Some conditions depend on time or on the bot's own state, not only on calls: poll too.
        const poll = setInterval(attempt, 50);
        const cleanup = () => {
          clearTimeout(timer);
          clearInterval(poll);
          changes.off('change', attempt);
        };
        changes.on('change', attempt);
        attempt();
      });
    },
    reset() {
      calls.length = 0;
      responseCalls.length = 0;
      state.clear();
      faults.clear();
      drops.clear();
      disabled.clear();
      rateLimits.reset();
    },
    close() {
      socketMode.close();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return emulator;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Form-encoded (what the WebClient sends) or JSON arguments, as strings. */
async function readArgs(req: IncomingMessage): Promise<MethodArgs> {
  const raw = await readBody(req);
  if ((req.headers['content-type'] ?? '').includes('application/json')) {
    const parsed = JSON.parse(raw || '{}') as Record<string, unknown>;
    return Object.fromEntries(
      Object.entries(parsed).map(([key, value]) => [
        key,
        typeof value === 'string' ? value : JSON.stringify(value),
      ]),
    );
  }
  return Object.fromEntries(new URLSearchParams(raw));
}
