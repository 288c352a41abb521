/**
 * The real entry point (src/main.ts) as a child process: Slack in HTTP mode against the loopback
 * Slack emulator, the upstream emulator, and the shared Redis under this test's own prefix. It
 * checks what an operator relies on: /healthz, /readyz, /metrics on PORT, JSON logs, and a SIGTERM
 * in mid-answer that lets the answer finish, turns new Slack events away with 503 (Slack
 * redelivers them to another instance) and exits 0.
 */
import { randomUUID } from 'node:crypto';
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appMention, userTs } from '../emulators/slack/payloads.js';
import { createSlackSender, type SlackSender } from '../emulators/slack/sender.js';
import { type SlackEmulator, startSlackEmulator } from '../emulators/slack/server.js';
import { lastUserText } from '../emulators/upstream/default-responder.js';
import { startUpstreamEmulator, type UpstreamEmulator } from '../emulators/upstream/server.js';
import { type BotProcess, killAll, startBotProcess } from '../scale/bot-process.js';
import { waitFor } from '../scale/chat-recorder.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `test-main-${randomUUID().slice(0, 8)}`;
let upstream: UpstreamEmulator;
let slack: SlackEmulator;
let bot: BotProcess;
let send: SlackSender;
const redis = createClient({ url: REDIS_URL });

beforeAll(async () => {
  await redis.connect();
  upstream = await startUpstreamEmulator();
  upstream.setResponder((request) => {
    const count = Number(/words:(\d+)/.exec(lastUserText(request))?.[1] ?? 3);
    return { content: Array.from({ length: count }, (_, index) => `w${index} `), chunkDelayMs: 100 };
  });
  slack = await startSlackEmulator();
  bot = await startBotProcess(
    'main',
    {
      ACEDATA_API_TOKEN: upstream.token,
      ACEDATA_BASE_URL: upstream.url,
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: slack.signingSecret,
      SLACK_API_URL: `${slack.url}/api`,
      SLACK_NATIVE_STREAMING: 'false',
      STORE_URL: REDIS_URL,
      STORE_PREFIX: prefix,
      RATE_LIMIT_PER_MINUTE: '0',
      SHUTDOWN_GRACE_MS: '15000',
    },
    { args: ['--import', 'tsx', 'src/main.ts'], startedMessage: 'gemini-chat-bot started' },
  );
  send = createSlackSender({
    url: `${bot.url}/slack/events`,
    signingSecret: slack.signingSecret,
    teamId: slack.teamId,
    botUserId: slack.botUserId,
  });
}, 60_000);

afterAll(async () => {
  await killAll([bot]);
  await slack?.close();
  await upstream?.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(keys);
  await redis.close();
});

describe('the real main process', () => {
  it('answers /healthz and /readyz once Slack and the store are up', async () => {
    expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${bot.url}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', problems: [] });
    expect(ready.status).toBe(200);
  });

  it('finishes the answer in flight on SIGTERM, refuses new events with 503, exits 0', async () => {
    const ts = userTs();
    await send.event(appMention({ channel: 'C1', user: 'U1', text: `<@${slack.botUserId}> words:30`, ts }));
    await waitFor('the answer to stream', () => /w1 /.test(slack.thread('C1', ts).at(-1)?.text ?? ''));

    const metrics = await (await fetch(`${bot.url}/metrics`)).text();
    expect(metrics).toContain('gcb_active_streams 1');
    expect(metrics).toContain('gcb_turns_started_total{platform="slack"} 1');
    expect(metrics).toContain('gcb_process_resident_memory_bytes');

    bot.child.kill('SIGTERM');
    await waitFor('shutdown to begin', () => bot.logs.some((l) => l.msg === 'shutting down'));
    const late = await send.event(
      appMention({ channel: 'C1', user: 'U1', text: `<@${slack.botUserId}> words:2`, ts: userTs() }),
    );
    expect(late.status).toBe(503);
    expect((await fetch(`${bot.url}/readyz`)).status).toBe(503);

    const { code } = await bot.exited;
    expect(code).toBe(0);
    const reply = slack.thread('C1', ts);
    expect(reply).toHaveLength(1);
    expect(reply[0]!.text).toContain('w29');
    expect(upstream.requests).toHaveLength(1);
    // Every log line is JSON with the service name; the turn's line names its conversation.
    expect(bot.stderr.filter((line) => line.trim() !== '')).toEqual([]);
    const answered = bot.logs.find((l) => l.msg === 'turn answered');
    expect(answered).toMatchObject({ platform: 'slack', service: 'gemini-chat-bot' });
    expect(String(answered?.conversation)).toMatch(/^slack:/);
  });
});
