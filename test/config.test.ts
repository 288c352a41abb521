import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';

const base = { ACEDATA_API_TOKEN: 'token-123' };

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('fills documented defaults from a minimal environment', () => {
    const config = loadConfig(base);
    expect(config.upstream.baseUrl).toBe('https://api.acedata.cloud');
    expect(config.models.default).toBe('gemini-2.5-pro');
    expect(config.store.url).toBe('sqlite://./data/gemini-chat-bot.sqlite');
    expect(config.reasoningDisplay).toBe('status');
    expect(config.discord).toBeUndefined();
    expect(config.slack).toBeUndefined();
  });

  it('names a missing token and what it expects, in one line', () => {
    const error = errorOf({});
    expect(error.variable).toBe('ACEDATA_API_TOKEN');
    expect(error.message).toBe('ACEDATA_API_TOKEN is required: expected your AceData Cloud API token.');
    expect(error.message).not.toContain('\n');
  });

  it.each([
    ['ACEDATA_BASE_URL', 'ftp://example.com', /ACEDATA_BASE_URL is malformed/],
    ['PORT', 'eighty', /PORT is malformed: expected a TCP port number/],
    ['STORE_URL', 'mysql://db', /STORE_URL is malformed: expected sqlite:\/\/path, redis/],
    ['REASONING_DISPLAY', 'loud', /expected one of status, text, hidden/],
    ['SLACK_BOT_TOKEN', 'xoxp-user', /SLACK_BOT_TOKEN is malformed: expected a Slack bot token/],
    ['ALLOW_DMS', 'maybe', /ALLOW_DMS is malformed/],
    ['DISCORD_SHARDS', 'many', /DISCORD_SHARDS is malformed: expected a number of shards or "auto"/],
    [
      'DISCORD_REGISTER_COMMANDS',
      'sometimes',
      /DISCORD_REGISTER_COMMANDS is malformed: expected one of .*true, false/,
    ],
    ['SLACK_SUGGESTED_PROMPTS', 'no equals sign', /SLACK_SUGGESTED_PROMPTS is malformed: expected up to 4/],
    ['SLACK_SUGGESTED_PROMPTS', 'a=1|b=2|c=3|d=4|e=5', /SLACK_SUGGESTED_PROMPTS is malformed/],
    ['SLACK_SUGGESTED_PROMPTS', 'a=1||b=2', /SLACK_SUGGESTED_PROMPTS is malformed/],
  ])('rejects a malformed %s', (variable, value, message) => {
    const error = errorOf({ ...base, [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(message);
  });

  it('bounds the attachment bytes of one request: 20 MiB by default, at least 1 byte', () => {
    expect(loadConfig(base).attachments.maxRequestBytes).toBe(20 * 1024 * 1024);
    expect(loadConfig({ ...base, ATTACHMENT_REQUEST_MAX_BYTES: '5000000' }).attachments.maxRequestBytes).toBe(
      5_000_000,
    );
    for (const value of ['0', '-1', 'lots', '1.5']) {
      const error = errorOf({ ...base, ATTACHMENT_REQUEST_MAX_BYTES: value });
      expect(error.variable).toBe('ATTACHMENT_REQUEST_MAX_BYTES');
      expect(error.message).toBe(
        'ATTACHMENT_REQUEST_MAX_BYTES is malformed: expected a whole number of at least 1.',
      );
    }
  });

  it.each([
    'ATTACHMENT_TIMEOUT_MS',
    'UPSTREAM_CONNECT_TIMEOUT_MS',
    'UPSTREAM_FIRST_BYTE_TIMEOUT_MS',
    'UPSTREAM_IDLE_TIMEOUT_MS',
    'TURN_TIMEOUT_MS',
    'MAX_ANSWER_CHARS',
  ])('rejects %s=0, naming the variable (0 would make every wait fail at once)', (variable) => {
    const error = errorOf({ ...base, [variable]: '0' });
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(new RegExp(`^${variable} is malformed: expected .*at least 1`));
  });

  it('keeps 0 where it means something: no shutdown grace, an ephemeral port', () => {
    const config = loadConfig({ ...base, SHUTDOWN_GRACE_MS: '0', PORT: '0' });
    expect(config.shutdownGraceMs).toBe(0);
    expect(config.port).toBe(0);
  });

  it('bounds a whole turn and an answer by default (10 minutes, 200,000 characters)', () => {
    const config = loadConfig(base);
    expect(config.turnTimeoutMs).toBe(600_000);
    expect(config.maxAnswerChars).toBe(200_000);
    expect(loadConfig({ ...base, TURN_TIMEOUT_MS: '1500' }).turnTimeoutMs).toBe(1500);
  });

  it('reads 40,000 characters of history for a summary by default; SUMMARY_MAX_CHARS=0 is one clear line', () => {
    expect(loadConfig(base).summaryMaxChars).toBe(40_000);
    expect(loadConfig({ ...base, SUMMARY_MAX_CHARS: '5000' }).summaryMaxChars).toBe(5_000);
    const error = errorOf({ ...base, SUMMARY_MAX_CHARS: '0' });
    expect(error.variable).toBe('SUMMARY_MAX_CHARS');
    expect(error.message).toMatch(/^SUMMARY_MAX_CHARS is malformed: expected .*at least 1/);
  });

  it('requires the default model to be an allowed one', () => {
    const error = errorOf({ ...base, DEFAULT_MODEL: 'gpt-4', ALLOWED_MODELS: 'gemini-2.5-pro' });
    expect(error.variable).toBe('DEFAULT_MODEL');
  });

  it('reads MODEL_FALLBACKS as model>fallback pairs of allowed models, and names a bad one in one line', () => {
    expect(loadConfig(base).models.fallbacks).toEqual({});
    const config = loadConfig({
      ...base,
      MODEL_FALLBACKS: 'gemini-2.5-pro>gemini-2.5-flash, gemini-3.1-pro > gemini-3-flash-preview',
    });
    expect(config.models.fallbacks).toEqual({
      'gemini-2.5-pro': 'gemini-2.5-flash',
      'gemini-3.1-pro': 'gemini-3-flash-preview',
    });
    const unknown = errorOf({ ...base, MODEL_FALLBACKS: 'gemini-2.5-pro>gpt-4' });
    expect(unknown.variable).toBe('MODEL_FALLBACKS');
    expect(unknown.message).toBe('MODEL_FALLBACKS names "gpt-4", which is not in ALLOWED_MODELS.');
    expect(errorOf({ ...base, MODEL_FALLBACKS: 'gemini-2.5-pro' }).message).toMatch(
      /^MODEL_FALLBACKS is malformed: expected model>fallback pairs/,
    );
    expect(errorOf({ ...base, MODEL_FALLBACKS: 'gemini-2.5-pro>gemini-2.5-pro' }).variable).toBe(
      'MODEL_FALLBACKS',
    );
    expect(
      errorOf({ ...base, MODEL_FALLBACKS: 'gemini-2.5-pro>gemini-2.5-flash,gemini-2.5-pro>gemini-2.0-flash' })
        .message,
    ).toBe('MODEL_FALLBACKS must give "gemini-2.5-pro" one fallback, and a different model.');
  });

  it('reads the four spend budgets: off (0) by default, whole numbers of tokens', () => {
    expect(loadConfig(base).budgets).toEqual({
      userDaily: 0,
      userMonthly: 0,
      spaceDaily: 0,
      spaceMonthly: 0,
    });
    const config = loadConfig({
      ...base,
      BUDGET_USER_DAILY_TOKENS: '1000',
      BUDGET_SPACE_MONTHLY_TOKENS: '50000',
    });
    expect(config.budgets).toMatchObject({ userDaily: 1000, spaceMonthly: 50000 });
    expect(errorOf({ ...base, BUDGET_USER_MONTHLY_TOKENS: '-5' }).message).toBe(
      'BUDGET_USER_MONTHLY_TOKENS is malformed: expected a whole number of tokens (0 turns the budget off).',
    );
  });

  it('needs a signing secret for Slack HTTP mode but not for Socket Mode', () => {
    expect(errorOf({ ...base, SLACK_BOT_TOKEN: 'xoxb-1' }).variable).toBe('SLACK_SIGNING_SECRET');
    const socket = loadConfig({ ...base, SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' });
    expect(socket.slack?.appToken).toBe('xapp-1');
  });

  it('parses lists and booleans, treating empty strings as unset', () => {
    const config = loadConfig({ ...base, BLOCK_USERS: ' u1, u2 ,', ALLOW_DMS: 'off', DISCORD_TOKEN: '' });
    expect(config.access.blockUsers).toEqual(['u1', 'u2']);
    expect(config.access.allowDms).toBe(false);
    expect(config.discord).toBeUndefined();
  });

  it('refuses DMs by default once ALLOW_CHANNELS is set, unless ALLOW_DMS is set explicitly', () => {
    expect(loadConfig(base).access.allowDms).toBe(true);
    expect(loadConfig({ ...base, ALLOW_CHANNELS: 'c1' }).access.allowDms).toBe(false);
    expect(loadConfig({ ...base, ALLOW_CHANNELS: 'c1', ALLOW_DMS: 'true' }).access.allowDms).toBe(true);
    const scoped = loadConfig({ ...base, ALLOW_GUILDS: ' g1, g2', ALLOW_TEAMS: 'T1' }).access;
    expect([scoped.allowGuilds, scoped.allowTeams]).toEqual([['g1', 'g2'], ['T1']]);
  });

  it('documents every variable of the schema in .env.example', () => {
    const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    const documented = new Set([...example.matchAll(/^([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1]));
    const source = readFileSync(new URL('../src/config.ts', import.meta.url), 'utf8');
    const inSchema = [...source.matchAll(/^ {2}([A-Z][A-Z0-9_]+): /gm)].map((match) => match[1]);
    expect(inSchema.length).toBeGreaterThan(30);
    expect(inSchema.filter((name) => !documented.has(name))).toEqual([]);
  });
});
