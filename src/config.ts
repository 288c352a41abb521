/**
 * Reads the environment (and a .env file) once, validates it, and hands out a typed `Config`.
 * A missing or malformed value becomes a `ConfigError` whose message is the one line printed at
 * start-up: it names the variable and what it expects. Every variable is documented in .env.example.
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './errors.js';

const list = z
  .string()
  .describe('a comma-separated list')
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  );

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .describe('true or false')
  .transform((value) => ['true', '1', 'yes', 'on'].includes(value));

const millis = z.coerce.number().int().min(0).describe('a whole number of milliseconds');
// A timeout of 0 would make every wait fail at once: timeouts are at least 1 ms.
const timeoutMillis = z.coerce.number().int().min(1).describe('a whole number of milliseconds, at least 1');
const port = z.coerce.number().int().min(0).max(65535).describe('a TCP port number (0-65535)');
const count = z.coerce.number().int().min(1).describe('a whole number of at least 1');
const budgetTokens = z.coerce
  .number()
  .int()
  .min(0)
  .describe('a whole number of tokens (0 turns the budget off)');

const httpUrl = z
  .string()
  .url()
  .refine((value) => /^https?:\/\//.test(value), 'an http(s) URL')
  .describe('an http(s) URL')
  .transform((value) => value.replace(/\/+$/, ''));

const storeUrl = z
  .string()
  .regex(/^(sqlite:\/\/.+|redis(s)?:\/\/.+|memory:\/\/.*)$/)
  .describe('sqlite://path, redis://host:port[/db] or memory://');

const schema = z.object({
  ACEDATA_API_TOKEN: z.string().min(1).describe('your AceData Cloud API token'),
  ACEDATA_BASE_URL: httpUrl.prefault('https://api.acedata.cloud'),
  DEFAULT_MODEL: z.string().min(1).prefault('gemini-2.5-pro'),
  ALLOWED_MODELS: list.prefault(
    'gemini-2.5-pro,gemini-2.5-flash,gemini-2.0-flash,gemini-3.0-pro,gemini-3-flash-preview,gemini-3.1-pro,gemini-3.5-flash',
  ),
  MODEL_FALLBACKS: z
    .string()
    .regex(/^\s*[^\s,>]+\s*>\s*[^\s,>]+\s*(,\s*[^\s,>]+\s*>\s*[^\s,>]+\s*)*$/)
    .describe('model>fallback pairs such as gemini-2.5-pro>gemini-2.5-flash, comma-separated')
    .optional(),
  SYSTEM_PROMPT: z
    .string()
    .prefault(
      'You are a helpful assistant in a team chat. Answer concisely and use Markdown where it helps.',
    ),
  STORE_URL: storeUrl.prefault('sqlite://./data/gemini-chat-bot.sqlite'),
  STORE_PREFIX: z.string().min(1).prefault('gcb'),
  FEEDBACK_RETENTION_DAYS: count.prefault(90),
  HISTORY_MAX_TURNS: count.prefault(40),
  HISTORY_MAX_CHARS: count.prefault(100_000),
  UPSTREAM_CONNECT_TIMEOUT_MS: timeoutMillis.prefault(10_000),
  UPSTREAM_FIRST_BYTE_TIMEOUT_MS: timeoutMillis.prefault(180_000),
  UPSTREAM_IDLE_TIMEOUT_MS: timeoutMillis.prefault(60_000),
  UPSTREAM_MAX_RETRIES: z.coerce
    .number()
    .int()
    .min(0)
    .max(10)
    .describe('a whole number from 0 to 10')
    .prefault(2),
  UPSTREAM_MAX_CONCURRENCY: count.prefault(20),
  REASONING_DISPLAY: z.enum(['status', 'text', 'hidden']).prefault('status'),
  ATTACHMENT_MAX_BYTES: count.prefault(20 * 1024 * 1024),
  TEXT_ATTACHMENT_MAX_BYTES: count.prefault(200 * 1024),
  ATTACHMENT_TIMEOUT_MS: timeoutMillis.prefault(30_000),
  TURN_TIMEOUT_MS: timeoutMillis.prefault(600_000),
  MAX_ANSWER_CHARS: count.prefault(200_000),
  SUMMARY_MAX_CHARS: count.prefault(40_000),
  ATTACHMENT_REQUEST_MAX_BYTES: count.prefault(20 * 1024 * 1024),
  RATE_LIMIT_PER_MINUTE: z.coerce
    .number()
    .int()
    .min(0)
    .describe('a whole number (0 turns the limit off)')
    .prefault(10),
  BUDGET_USER_DAILY_TOKENS: budgetTokens.prefault(0),
  BUDGET_USER_MONTHLY_TOKENS: budgetTokens.prefault(0),
  BUDGET_SPACE_DAILY_TOKENS: budgetTokens.prefault(0),
  BUDGET_SPACE_MONTHLY_TOKENS: budgetTokens.prefault(0),
  ALLOW_USERS: list.prefault(''),
  BLOCK_USERS: list.prefault(''),
  ALLOW_ROLES: list.prefault(''),
  BLOCK_ROLES: list.prefault(''),
  ALLOW_CHANNELS: list.prefault(''),
  BLOCK_CHANNELS: list.prefault(''),
  ADMIN_USERS: list.prefault(''),
  ALLOW_GUILDS: list.prefault(''),
  ALLOW_TEAMS: list.prefault(''),
  // Unset: DMs are answered unless ALLOW_CHANNELS narrows the bot to some channels.
  ALLOW_DMS: bool.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).prefault('info'),
  PORT: port.prefault(3000),
  SHUTDOWN_GRACE_MS: millis.prefault(20_000),
  DISCORD_TOKEN: z.string().min(1).optional(),
  DISCORD_API_URL: httpUrl.optional(),
  DISCORD_GUILD_ID: z.string().regex(/^\d+$/).describe('a Discord guild id (digits)').optional(),
  DISCORD_REGISTER_COMMANDS: bool.prefault('true'),
  DISCORD_SHARDS: z
    .string()
    .regex(/^(auto|\d+)$/)
    .describe('a number of shards or "auto"')
    .optional(),
  DISCORD_SHARD_IDS: z
    .string()
    .regex(/^\d+(-\d+)?(,\d+(-\d+)?)*$/)
    .describe('shard ids such as 0-3 or 0,2')
    .optional(),
  DISCORD_SHARD_COUNT: count.optional(),
  SLACK_BOT_TOKEN: z
    .string()
    .regex(/^xoxb-/)
    .describe('a Slack bot token (xoxb-…)')
    .optional(),
  SLACK_SIGNING_SECRET: z.string().min(1).optional(),
  SLACK_APP_TOKEN: z
    .string()
    .regex(/^xapp-/)
    .describe('a Slack app-level token (xapp-…)')
    .optional(),
  SLACK_API_URL: httpUrl.optional(),
  SLACK_FOLLOW_THREADS: bool.prefault('true'),
  SLACK_NATIVE_STREAMING: bool.prefault('true'),
  SLACK_UPDATES_PER_MINUTE: count.prefault(50),
  SLACK_COMMAND_NAMES: z
    .string()
    .regex(
      /^\s*(ask|model|system|reset|usage|help|summarize)\s*=\s*\/[\w-]+\s*(,\s*(ask|model|system|reset|usage|help|summarize)\s*=\s*\/[\w-]+\s*)*$/,
    )
    .describe(
      'renamed slash commands such as ask=/gemini,model=/gmodel (keys: ask, model, system, reset, usage, help, summarize)',
    )
    .optional(),
  SLACK_SUGGESTED_PROMPTS: z
    .string()
    .refine((value) => parseSuggestedPrompts(value) !== undefined)
    .describe('up to 4 suggested prompts as Title=message, separated by |')
    .optional(),
});

type Env = z.output<typeof schema>;

export interface Config {
  upstream: {
    apiToken: string;
    baseUrl: string;
    connectTimeoutMs: number;
    firstByteTimeoutMs: number;
    idleTimeoutMs: number;
    maxRetries: number;
    maxConcurrency: number;
  };
  models: {
    default: string;
    allowed: string[];
    /** MODEL_FALLBACKS: the model a turn is tried on once when its own fails before the first byte. */
    fallbacks: Record<string, string>;
  };
  systemPrompt: string;
  /** `feedbackRetentionDays`: how long a 👍/👎 rating is kept after its last change (FEEDBACK_RETENTION_DAYS). */
  store: { url: string; prefix: string; feedbackRetentionDays: number };
  history: { maxTurns: number; maxChars: number };
  reasoningDisplay: 'status' | 'text' | 'hidden';
  attachments: {
    maxBytes: number;
    maxTextBytes: number;
    timeoutMs: number;
    /** All attachment bytes of one request together, newest first (ATTACHMENT_REQUEST_MAX_BYTES). */
    maxRequestBytes: number;
  };
  /** Tokens per UTC day and month, per user and per space (guild, workspace); 0 = off (BUDGET_*_TOKENS). */
  budgets: { userDaily: number; userMonthly: number; spaceDaily: number; spaceMonthly: number };
  /** The longest a whole turn may take, lock and queue included (TURN_TIMEOUT_MS). */
  turnTimeoutMs: number;
  /** Longest answer kept; the stream is ended there and the user told (MAX_ANSWER_CHARS). */
  maxAnswerChars: number;
  /** Characters of channel history one summary reads, newest kept (SUMMARY_MAX_CHARS). */
  summaryMaxChars: number;
  access: {
    ratePerMinute: number;
    allowUsers: string[];
    blockUsers: string[];
    allowRoles: string[];
    blockRoles: string[];
    allowChannels: string[];
    blockChannels: string[];
    adminUsers: string[];
    /** Discord guild ids the bot serves (install scope); empty = any. */
    allowGuilds: string[];
    /** Slack team ids the bot serves (install scope); empty = any. */
    allowTeams: string[];
    allowDms: boolean;
  };
  logLevel: Env['LOG_LEVEL'];
  port: number;
  shutdownGraceMs: number;
  discord:
    | {
        token: string;
        apiUrl: string | undefined;
        guildId: string | undefined;
        /** Register the slash and message commands at start-up when they differ from Discord's. */
        registerCommands: boolean;
        shards: string | undefined;
        shardIds: string | undefined;
        shardCount: number | undefined;
      }
    | undefined;
  slack:
    | {
        botToken: string;
        signingSecret: string | undefined;
        appToken: string | undefined;
        apiUrl: string | undefined;
        followThreads: boolean;
        nativeStreaming: boolean;
        /** chat.update calls per minute per workspace, shared by every reply streaming there (Tier 3). */
        updatesPerMinute: number;
        /** Slash commands renamed from their defaults (SLACK_COMMAND_NAMES), keyed ask, model, system, reset, usage, help, summarize. */
        commandNames?: Record<string, string>;
        /** SLACK_SUGGESTED_PROMPTS: what a DM with the agent offers to start with (undefined: the built-in set). */
        suggestedPrompts?: SuggestedPrompt[];
      }
    | undefined;
}

/** A prompt a chat surface offers to start with: the button's title and the message it sends. */
export interface SuggestedPrompt {
  title: string;
  message: string;
}

/** Slack shows at most four suggested prompts. */
const MAX_SUGGESTED_PROMPTS = 4;

/** `Title=message|Title=message` → prompts; undefined when malformed (empty part, no `=`, more than four). */
export function parseSuggestedPrompts(value: string): SuggestedPrompt[] | undefined {
  const prompts = value.split('|').map((part) => {
    const at = part.indexOf('=');
    return at < 0
      ? { title: '', message: '' }
      : { title: part.slice(0, at).trim(), message: part.slice(at + 1).trim() };
  });
  const valid = prompts.every((prompt) => prompt.title && prompt.message);
  return valid && prompts.length <= MAX_SUGGESTED_PROMPTS ? prompts : undefined;
}

/** Loads .env (if present) into process.env without overriding what is already set. */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

/** Validates `env`; throws `ConfigError` naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, as in most .env tooling.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    const expected =
      descriptionOf(schema.shape[variable as keyof typeof schema.shape]) ?? expectationOf(issue);
    const problem = present[variable] === undefined ? 'is required' : 'is malformed';
    throw new ConfigError(variable, `${variable} ${problem}: expected ${expected}.`);
  }
  const e = parsed.data;
  if (!e.ALLOWED_MODELS.includes(e.DEFAULT_MODEL)) {
    throw new ConfigError('DEFAULT_MODEL', `DEFAULT_MODEL "${e.DEFAULT_MODEL}" is not in ALLOWED_MODELS.`);
  }
  if (e.SLACK_BOT_TOKEN && !e.SLACK_APP_TOKEN && !e.SLACK_SIGNING_SECRET) {
    throw new ConfigError(
      'SLACK_SIGNING_SECRET',
      'SLACK_SIGNING_SECRET is required: HTTP mode (no SLACK_APP_TOKEN) checks every request signature with it.',
    );
  }
  return {
    upstream: {
      apiToken: e.ACEDATA_API_TOKEN,
      baseUrl: e.ACEDATA_BASE_URL,
      connectTimeoutMs: e.UPSTREAM_CONNECT_TIMEOUT_MS,
      firstByteTimeoutMs: e.UPSTREAM_FIRST_BYTE_TIMEOUT_MS,
      idleTimeoutMs: e.UPSTREAM_IDLE_TIMEOUT_MS,
      maxRetries: e.UPSTREAM_MAX_RETRIES,
      maxConcurrency: e.UPSTREAM_MAX_CONCURRENCY,
    },
    models: {
      default: e.DEFAULT_MODEL,
      allowed: e.ALLOWED_MODELS,
      fallbacks: parseFallbacks(e.MODEL_FALLBACKS, e.ALLOWED_MODELS),
    },
    systemPrompt: e.SYSTEM_PROMPT,
    store: { url: e.STORE_URL, prefix: e.STORE_PREFIX, feedbackRetentionDays: e.FEEDBACK_RETENTION_DAYS },
    history: { maxTurns: e.HISTORY_MAX_TURNS, maxChars: e.HISTORY_MAX_CHARS },
    reasoningDisplay: e.REASONING_DISPLAY,
    attachments: {
      maxBytes: e.ATTACHMENT_MAX_BYTES,
      maxTextBytes: e.TEXT_ATTACHMENT_MAX_BYTES,
      timeoutMs: e.ATTACHMENT_TIMEOUT_MS,
      maxRequestBytes: e.ATTACHMENT_REQUEST_MAX_BYTES,
    },
    budgets: {
      userDaily: e.BUDGET_USER_DAILY_TOKENS,
      userMonthly: e.BUDGET_USER_MONTHLY_TOKENS,
      spaceDaily: e.BUDGET_SPACE_DAILY_TOKENS,
      spaceMonthly: e.BUDGET_SPACE_MONTHLY_TOKENS,
    },
    turnTimeoutMs: e.TURN_TIMEOUT_MS,
    maxAnswerChars: e.MAX_ANSWER_CHARS,
    summaryMaxChars: e.SUMMARY_MAX_CHARS,
    access: {
      ratePerMinute: e.RATE_LIMIT_PER_MINUTE,
      allowUsers: e.ALLOW_USERS,
      blockUsers: e.BLOCK_USERS,
      allowRoles: e.ALLOW_ROLES,
      blockRoles: e.BLOCK_ROLES,
      allowChannels: e.ALLOW_CHANNELS,
      blockChannels: e.BLOCK_CHANNELS,
      adminUsers: e.ADMIN_USERS,
      allowGuilds: e.ALLOW_GUILDS,
      allowTeams: e.ALLOW_TEAMS,
      allowDms: e.ALLOW_DMS ?? e.ALLOW_CHANNELS.length === 0,
    },
    logLevel: e.LOG_LEVEL,
    port: e.PORT,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    discord: e.DISCORD_TOKEN
      ? {
          token: e.DISCORD_TOKEN,
          apiUrl: e.DISCORD_API_URL,
          guildId: e.DISCORD_GUILD_ID,
          registerCommands: e.DISCORD_REGISTER_COMMANDS,
          shards: e.DISCORD_SHARDS,
          shardIds: e.DISCORD_SHARD_IDS,
          shardCount: e.DISCORD_SHARD_COUNT,
        }
      : undefined,
    slack: e.SLACK_BOT_TOKEN
      ? {
          botToken: e.SLACK_BOT_TOKEN,
          signingSecret: e.SLACK_SIGNING_SECRET,
          appToken: e.SLACK_APP_TOKEN,
          apiUrl: e.SLACK_API_URL,
          followThreads: e.SLACK_FOLLOW_THREADS,
          nativeStreaming: e.SLACK_NATIVE_STREAMING,
          updatesPerMinute: e.SLACK_UPDATES_PER_MINUTE,
          ...(e.SLACK_SUGGESTED_PROMPTS
            ? { suggestedPrompts: parseSuggestedPrompts(e.SLACK_SUGGESTED_PROMPTS)! }
            : {}),
          ...(e.SLACK_COMMAND_NAMES
            ? {
                commandNames: Object.fromEntries(
                  e.SLACK_COMMAND_NAMES.split(',').map((pair) => pair.split('=').map((part) => part.trim())),
                ),
              }
            : {}),
        }
      : undefined,
  };
}

/** `a>b,c>d` → `{ a: 'b', c: 'd' }`; both sides must be allowed models, one fallback per model. */
function parseFallbacks(value: string | undefined, allowed: string[]): Record<string, string> {
  const fallbacks: Record<string, string> = {};
  for (const pair of value?.split(',') ?? []) {
    const [from = '', to = ''] = pair.split('>').map((part) => part.trim());
    for (const model of [from, to]) {
      if (!allowed.includes(model)) {
        throw new ConfigError(
          'MODEL_FALLBACKS',
          `MODEL_FALLBACKS names "${model}", which is not in ALLOWED_MODELS.`,
        );
      }
    }
    if (from === to || fallbacks[from] !== undefined) {
      throw new ConfigError(
        'MODEL_FALLBACKS',
        `MODEL_FALLBACKS must give "${from}" one fallback, and a different model.`,
      );
    }
    fallbacks[from] = to;
  }
  return fallbacks;
}

/** The `.describe()` text of a field, looking through `.prefault()` and `.optional()` wrappers. */
function descriptionOf(field: z.ZodType | undefined): string | undefined {
  let current: z.ZodType | undefined = field;
  while (current) {
    if (current.description) return current.description;
    const inner: unknown = (current.def as { innerType?: unknown }).innerType;
    current = inner instanceof z.ZodType ? inner : undefined;
  }
  return undefined;
}

function expectationOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value') return `one of ${issue.values.map(String).join(', ')}`;
  if (issue.code === 'too_small') return `at least ${String(issue.minimum)}`;
  if (issue.code === 'too_big') return `at most ${String(issue.maximum)}`;
  return issue.message.toLowerCase();
}
