/**
 * The loopback Slack emulator, exercised through the real Bolt App and WebClient: signed events
 * reach a listener, the listener's Web API calls are recorded, and the emulator's limits answer the
 * way Slack does.
 */
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { ErrorCode, WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpServerHandle, startHttpServer } from '../../../src/ops/http-server.js';
import { appMention } from '../../emulators/slack/payloads.js';
import { createSlackSender, type SlackSender } from '../../emulators/slack/sender.js';
import { type SlackEmulator, startSlackEmulator } from '../../emulators/slack/server.js';

let emu: SlackEmulator;
let http: HttpServerHandle;
let sender: SlackSender;
let client: WebClient;
const seen: string[] = [];

beforeAll(async () => {
  emu = await startSlackEmulator();
  http = await startHttpServer({ port: 0, host: '127.0.0.1' });
  const receiver = new HTTPReceiver({ signingSecret: emu.signingSecret, logLevel: LogLevel.ERROR });
  const app = new App({
    token: emu.botToken,
    receiver,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: emu.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true },
  });
  app.event('app_mention', async ({ event, client: boltClient }) => {
    seen.push(event.text);
    await boltClient.chat.postMessage({
      channel: event.channel,
      thread_ts: event.ts,
      text: `heard: ${event.text}`,
    });
  });
  http.route('POST', '/slack/events', (req, res) => receiver.requestListener(req, res));
  sender = createSlackSender({
    url: `${http.url}/slack/events`,
    signingSecret: emu.signingSecret,
    teamId: emu.teamId,
    botUserId: emu.botUserId,
  });
  client = new WebClient(emu.botToken, {
    slackApiUrl: emu.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
  });
});

afterAll(async () => {
  await http?.close();
  await emu?.close();
});

describe('slack emulator through the real Bolt App', () => {
  it('delivers a signed app_mention and records the threaded reply', async () => {
    const sent = await sender.event(
      appMention({ channel: 'C1', user: 'U1', text: '<@UBOT00001> hello', ts: '100.000001' }),
    );
    expect(sent.status).toBe(200);
    const reply = await emu.waitFor(() => emu.thread('C1', '100.000001')[0]);
    expect(reply.text).toBe('heard: <@UBOT00001> hello');
    // Bolt calls auth.test first (to learn its own ids for ignoreSelf), then the listener posts.
    expect(emu.calls.map((call) => call.method)).toContain('auth.test');
  });

  it('refuses a forged signature and a stale timestamp with 401', async () => {
    const before = seen.length;
    const forged = await sender.event(appMention({ channel: 'C1', user: 'U1', text: 'x' }), {
      signature: 'v0=00',
    });
    const stale = await sender.event(appMention({ channel: 'C1', user: 'U1', text: 'y' }), {
      timestamp: Math.floor(Date.now() / 1000) - 10 * 60,
    });
    expect([forged.status, stale.status]).toEqual([401, 401]);
    expect(seen.length).toBe(before);
  });

  it('answers msg_too_long past 4,000 characters and 429 with Retry-After past a tier limit', async () => {
    await expect(client.chat.postMessage({ channel: 'C2', text: 'x'.repeat(4_001) })).rejects.toMatchObject({
      data: { error: 'msg_too_long' },
    });
    emu.rateLimits.set('reactions.add', { perMinute: 1, burst: 1 });
    await client.reactions.add({ channel: 'C2', timestamp: '1.1', name: 'eyes' });
    await expect(
      client.reactions.add({ channel: 'C2', timestamp: '1.1', name: 'eyes' }),
    ).rejects.toMatchObject({
      code: ErrorCode.RateLimitedError,
      retryAfter: 60,
    });
    expect(emu.rateLimitedCount()).toBe(1);
  });

  it('serves a private file only to the bot token; others get the HTML login page', async () => {
    const file = emu.addFile({
      id: 'F1',
      name: 'cat.png',
      mimetype: 'image/png',
      bytes: Buffer.from([137, 80, 78, 71]),
    });
    const url = String(file.url_private);
    const withToken = await fetch(url, { headers: { authorization: `Bearer ${emu.botToken}` } });
    expect(withToken.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await withToken.arrayBuffer())).toEqual(Buffer.from([137, 80, 78, 71]));
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(200);
    expect(anonymous.headers.get('content-type')).toContain('text/html');
  });

  it('streams natively and refuses chat.update on a streaming message', async () => {
    const started = await client.chat.startStream({
      channel: 'C3',
      thread_ts: '5.5',
      recipient_user_id: 'U1',
      recipient_team_id: emu.teamId,
      markdown_text: 'Hel',
    });
    await client.chat.appendStream({ channel: 'C3', ts: started.ts!, markdown_text: 'lo' });
    await expect(client.chat.update({ channel: 'C3', ts: started.ts!, text: 'no' })).rejects.toMatchObject({
      data: { error: 'streaming_state_conflict' },
    });
    await client.chat.stopStream({ channel: 'C3', ts: started.ts! });
    expect(emu.thread('C3', '5.5').map((message) => message.text)).toEqual(['Hello']);
  });

  it('takes five posts to a response_url, then refuses it with 404 used_url', async () => {
    const url = emu.responseUrl();
    const post = (text: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ response_type: 'ephemeral', text }),
      });
    for (let i = 1; i <= 5; i++) expect((await post(`answer ${i}`)).status).toBe(200);
    const sixth = await post('answer 6');
    expect(sixth.status).toBe(404);
    expect(await sixth.text()).toBe('used_url');
    expect(emu.state.ephemerals.filter((e) => e.responseUrl === url).map((e) => e.text)).toHaveLength(5);
  });

  it('checks agents.sessions.* and views.publish arguments with Slack error codes and limits', async () => {
    const code = (promise: Promise<unknown>) =>
      promise.then(
        () => 'ok',
        (error: { data?: { error?: string } }) => error.data?.error,
      );
    const ts = '1700000000.000100';
    expect(
      await code(client.agents.sessions.setStatus({ channel_id: 'C1', thread_ts: ts, status: 'busy' })),
    ).toBe('invalid_arguments');
    expect(await code(client.agents.sessions.setStatus({ channel_id: 'C1', status: 'processing' }))).toBe(
      'invalid_arguments',
    );
    expect(
      await code(
        client.agents.sessions.setStatus({
          channel_id: 'C1',
          thread_ts: ts,
          status: 'processing',
          title: 'x'.repeat(201),
        }),
      ),
    ).toBe('invalid_arguments');
    expect(await code(client.agents.sessions.rename({ channel_id: 'C1', thread_ts: ts, title: 'new' }))).toBe(
      'session_not_found',
    );
    expect(
      await code(client.agents.sessions.setStatus({ channel_id: 'C1', thread_ts: ts, status: 'processing' })),
    ).toBe('ok');
    emu.agentApp = false;
    try {
      expect(
        await code(client.agents.sessions.setStatus({ channel_id: 'C1', thread_ts: ts, status: 'active' })),
      ).toBe('not_allowed');
    } finally {
      emu.agentApp = true;
    }
    const section = { type: 'section', text: { type: 'mrkdwn', text: 'hi' } };
    const publish = (blocks: unknown[]) =>
      code(client.views.publish({ user_id: 'U1', view: { type: 'home', blocks: blocks as never } }));
    expect(await publish(Array.from({ length: 100 }, () => section))).toBe('ok');
    expect(await publish(Array.from({ length: 101 }, () => section))).toBe('invalid_blocks');
    expect(await publish([{ text: 'no type' }])).toBe('invalid_blocks');
  });

  it('keeps task_update chunks of a stream and refuses malformed ones', async () => {
    const started = await client.chat.startStream({
      channel: 'D1',
      thread_ts: '1700000000.000200',
      chunks: [{ type: 'task_update', id: 't', title: 'Thinking…', status: 'in_progress' }],
    });
    const bad = await client.chat
      .appendStream({
        channel: 'D1',
        ts: started.ts!,
        chunks: [{ type: 'task_update', id: 't', title: 'Thinking…', status: 'finished' as never }],
      })
      .catch((error: { data?: { error?: string } }) => error.data?.error);
    expect(bad).toBe('invalid_chunks');
    await client.chat.appendStream({
      channel: 'D1',
      ts: started.ts!,
      chunks: [
        { type: 'task_update', id: 't', title: 'Thinking…', status: 'complete' },
        { type: 'markdown_text', text: 'done' },
      ],
    });
    const message = emu.state.find('D1', started.ts!)!;
    expect(message.text).toBe('done');
    expect(message.tasks.get('t')!.statuses).toEqual(['in_progress', 'complete']);
  });
});
