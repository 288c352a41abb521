/**
 * What an operator's log may hold at LOG_LEVEL=info: a full conversation on the Discord and Slack
 * emulators with failures along the way (a reply deleted mid-stream so Discord answers 404 to an
 * edit whose request body is the answer, an upstream 500, a Slack `ok: false`, a Slack call whose
 * connection is cut) must leave no token, no signing secret and no prompt text in the output, and an
 * `Authorization` header logged by anyone, in any letter case, is redacted.
 */
import { Writable } from 'node:stream';
import { DiscordAPIError } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../../src/log.js';
import { type HttpServerHandle, startHttpServer } from '../../src/ops/http-server.js';
import { startDiscord } from '../../src/platforms/discord/index.js';
import { type SlackHandle, startSlack } from '../../src/platforms/slack/index.js';
import type { PlatformHandle } from '../../src/platforms/types.js';
import { type DiscordEmulator, startDiscordEmulator } from '../emulators/discord/server.js';
import { appMention, userTs } from '../emulators/slack/payloads.js';
import { createSlackSender } from '../emulators/slack/sender.js';
import { type SlackEmulator, startSlackEmulator } from '../emulators/slack/server.js';
import { createTestEngine, type TestEngine } from '../support/harness.js';

const PROMPT = 'my confidential merger codename is bluefalcon7';
const PROMPT_WORDS = ['confidential', 'bluefalcon7'];

/** Every line the logger wrote, as written. */
const output: string[] = [];
const destination = new Writable({
  write(chunk, _encoding, done) {
    output.push(...String(chunk).split('\n').filter(Boolean));
    done();
  },
});

let logger: Logger;
let discord: DiscordEmulator;
let slack: SlackEmulator;
let discordEngine: TestEngine;
let slackEngine: TestEngine;
let discordHandle: PlatformHandle;
let slackHandle: SlackHandle;
let http: HttpServerHandle;

beforeAll(async () => {
  logger = createLogger('info', destination);
  discord = await startDiscordEmulator({ messageBucket: { limit: 100, windowMs: 5_000 } });
  discordEngine = await createTestEngine({
    env: { DISCORD_TOKEN: discord.token, DISCORD_API_URL: discord.apiUrl },
    logger,
  });
  discordHandle = await startDiscord({
    config: discordEngine.config,
    engine: discordEngine.engine,
    store: discordEngine.store,
    logger,
  });

  slack = await startSlackEmulator();
  slackEngine = await createTestEngine({
    env: {
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: slack.signingSecret,
      SLACK_API_URL: `${slack.url}/api`,
      SLACK_NATIVE_STREAMING: 'false',
    },
    logger,
  });
  http = await startHttpServer({ port: 0, host: '127.0.0.1' });
  slackHandle = await startSlack(
    { config: slackEngine.config, engine: slackEngine.engine, store: slackEngine.store, logger, http },
    { clientOptions: { retryConfig: { retries: 0 } } },
  );
}, 30_000);

afterAll(async () => {
  await discordHandle?.stop();
  await slackHandle?.stop();
  await http?.close();
  await discordEngine?.close();
  await slackEngine?.close();
  await discord?.close();
  await slack?.close();
});

/** Secrets the process knows; none may appear in any log line. */
function secrets(): string[] {
  return [
    discord.token,
    slack.botToken,
    slack.signingSecret,
    discordEngine.emulator.token,
    slackEngine.emulator.token,
  ];
}

function leaks(lines: string[], needles: string[]): string[] {
  return lines.filter((line) => needles.some((needle) => line.includes(needle)));
}

describe('logs at info during a conversation with failures', () => {
  it('Discord: a reply deleted mid-stream (404 to an edit carrying the answer) and an upstream 500', async () => {
    const mention = `<@${discord.botUser.id}>`;
    const first = discord.sendMessage({
      channelId: discord.channels.general,
      content: `${mention} ${PROMPT} [slow]`,
    });
    const thread = await discord.waitFor('thread', () => discord.threadOf(first.id));
    const reply = await discord.waitFor('the reply to start', () => discord.botMessagesIn(thread.id)[0]);
    // The user deletes the bot's message: every later edit is refused with 404 Unknown Message.
    discord.state.messages.get(reply.id)!.deleted = true;
    await discord.waitFor('the edit to be refused', () =>
      output.some((line) => line.includes('"status":404') || line.includes('Unknown Message')),
    );

    discord.sendMessage({ channelId: thread.id, content: `${PROMPT} [fault:500]` });
    await discord.waitFor('the upstream failure', () => output.some((line) => line.includes('turn failed')));
  });

  it('Slack: an `ok: false` chat.update and a chat.update whose connection is cut', async () => {
    const send = createSlackSender({
      url: `${http.url}/slack/events`,
      signingSecret: slack.signingSecret,
      teamId: slack.teamId,
      botUserId: slack.botUserId,
    });
    const ts = userTs();
    await send.event(
      appMention({ channel: 'C1', user: 'U1', text: `<@${slack.botUserId}> ${PROMPT} [slow]`, ts }),
    );
    await slack.waitFor(() => slack.thread('C1', ts).length > 0);
    slack.dropNext('chat.update', 1);
    await slack.waitFor(() => slack.callsOf('chat.update').some((call) => call.status === 0));
    slack.failNext('chat.update', 'internal_error', 1);
    await slack.waitFor(() => slack.callsOf('chat.update').some((call) => call.error === 'internal_error'));
    await slackHandle.idle();
    expect(slack.thread('C1', ts).at(-1)?.text).toContain('bluefalcon7');
  });

  it('logged the failures, with their type, status and code kept', () => {
    const warnings = output.map((line) => JSON.parse(line)).filter((entry) => entry.level >= 40);
    const discordRefusal = warnings.find((entry) => entry.err?.status === 404);
    expect(discordRefusal?.err).toMatchObject({ type: 'DiscordAPIError', code: 10008, status: 404 });
    expect(discordRefusal?.err.message).toContain('Unknown Message');
    expect(discordRefusal?.err.stack).toEqual(expect.any(String));
    expect(warnings.some((entry) => entry.err?.code === 'slack_webapi_request_error')).toBe(true);
    expect(warnings.some((entry) => entry.err?.code === 'slack_webapi_platform_error')).toBe(true);
  });

  it('wrote no token, no signing secret and no prompt text', () => {
    expect(output.length).toBeGreaterThan(5);
    expect(leaks(output, secrets())).toEqual([]);
    expect(leaks(output, PROMPT_WORDS)).toEqual([]);
    expect(leaks(output, ['Echo:'])).toEqual([]);
  });
});

describe('redaction of whatever anyone logs', () => {
  /** Logs one entry on a fresh info logger and returns the line. */
  function logged(write: (log: Logger) => void): string {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    write(createLogger('info', sink));
    return lines.join('');
  }

  it('redacts authorization headers, cookies and API keys in any letter case and depth', () => {
    const line = logged((log) =>
      log.warn(
        {
          headers: { Authorization: 'Bearer top-secret-1', Cookie: 'session=top-secret-2' },
          request: { options: { headers: { 'X-API-Key': 'top-secret-3', AUTHORIZATION: 'top-secret-4' } } },
          slackSigningSecret: 'top-secret-5',
          Token: 'top-secret-6',
        },
        'an outgoing call failed',
      ),
    );
    expect(line).toContain('an outgoing call failed');
    expect(line).toContain('[redacted]');
    expect(line).not.toMatch(/top-secret-\d/);
  });

  it("drops a DiscordAPIError's request body but keeps what identifies the failure", () => {
    const error = new DiscordAPIError(
      { code: 50035, message: 'Invalid Form Body', errors: { content: { _errors: [] } } },
      50035,
      400,
      'PATCH',
      'https://discord.com/api/v10/channels/1/messages/2',
      { body: { content: `Echo: ${PROMPT}` }, files: undefined },
    );
    const entry = JSON.parse(logged((log) => log.warn({ err: error }, 'reply update failed')));
    expect(entry.err).toMatchObject({ type: 'DiscordAPIError', code: 50035, status: 400, method: 'PATCH' });
    expect(entry.err.message).toContain('Invalid Form Body');
    expect(JSON.stringify(entry)).not.toContain('bluefalcon7');
  });

  it('drops request bodies, raw upstream chunks and credentials from nested causes', () => {
    const cause = Object.assign(new Error('socket hang up'), {
      code: 'ECONNRESET',
      config: { headers: { Authorization: 'Bearer xoxb-nested-secret' }, data: `text=${PROMPT}` },
      chunk: `data: {"choices":[{"delta":{"content":"${PROMPT}"}}]}`,
    });
    const error = Object.assign(new Error('A request error occurred: socket hang up', { cause }), {
      code: 'slack_webapi_request_error',
      original: cause,
      body: PROMPT,
      rawChunk: PROMPT,
    });
    const line = logged((log) => log.error({ err: error }, 'reply update failed'));
    const entry = JSON.parse(line);
    expect(entry.err).toMatchObject({ code: 'slack_webapi_request_error' });
    expect(entry.err.message).toContain('socket hang up');
    expect(line).not.toContain('xoxb-nested-secret');
    expect(line).not.toContain('bluefalcon7');
  });
});
