/**
 * The bot under test, all real parts on loopback: the Slack emulator, the upstream emulator behind
 * the real upstream client and engine, the process's HTTP server with Bolt's real HTTPReceiver on
 * POST /slack/events, and a sender that signs events as Slack does.
 */
import type { EngineObserver } from '../../../src/engine/engine.js';
import { type Logger, silentLogger } from '../../../src/log.js';
import { type HttpServerHandle, startHttpServer } from '../../../src/ops/http-server.js';
import { type SlackHandle, type SlackStartOptions, startSlack } from '../../../src/platforms/slack/index.js';
import { createSlackSender, type SlackSender } from '../../emulators/slack/sender.js';
import { type SlackEmulator, startSlackEmulator } from '../../emulators/slack/server.js';
import type { EmulatedMessage } from '../../emulators/slack/state.js';
import { createTestEngine, type TestEngine } from '../../support/harness.js';

export interface SlackBot {
  slack: SlackEmulator;
  upstream: TestEngine['emulator'];
  engine: TestEngine;
  http: HttpServerHandle;
  handle: SlackHandle;
  send: SlackSender;
  /** The bot's replies in a thread once the last one carries a Regenerate button (the reply ended). */
  finishedReply(
    channel: string,
    threadTs: string,
    count?: number,
    timeoutMs?: number,
  ): Promise<EmulatedMessage[]>;
  close(): Promise<void>;
}

export async function startSlackBot(
  options: {
    env?: Record<string, string>;
    start?: SlackStartOptions;
    firstByteTimeoutMs?: number;
    idleTimeoutMs?: number;
    maxRetries?: number;
    /** The adapter's logger (default silent); tests that assert on log lines pass a capturing one. */
    logger?: Logger;
    /** Engine hooks (metrics) to watch. */
    observer?: EngineObserver;
  } = {},
): Promise<SlackBot> {
  const slack = await startSlackEmulator();
  const engine = await createTestEngine({
    env: {
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: slack.signingSecret,
      SLACK_API_URL: `${slack.url}/api`,
      SLACK_NATIVE_STREAMING: 'false',
      REASONING_DISPLAY: 'status',
      ...options.env,
    },
    ...(options.firstByteTimeoutMs ? { firstByteTimeoutMs: options.firstByteTimeoutMs } : {}),
    ...(options.idleTimeoutMs ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
    ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
    ...(options.observer ? { observer: options.observer } : {}),
  });
  const http = await startHttpServer({ port: 0, host: '127.0.0.1' });
  const handle = await startSlack(
    {
      config: engine.config,
      engine: engine.engine,
      store: engine.store,
      logger: options.logger ?? silentLogger,
      http,
    },
    { ...options.start, clientOptions: { retryConfig: { retries: 0 }, ...options.start?.clientOptions } },
  );
  const send = createSlackSender({
    url: `${http.url}/slack/events`,
    signingSecret: slack.signingSecret,
    teamId: slack.teamId,
    botUserId: slack.botUserId,
  });
  return {
    slack,
    upstream: engine.emulator,
    engine,
    http,
    handle,
    send,
    finishedReply(channel, threadTs, count = 1, timeoutMs = 15_000) {
      return slack.waitFor(() => {
        const messages = slack.thread(channel, threadTs);
        const last = messages.at(-1);
        const ended =
          last && !last.streaming && JSON.stringify(last.blocks ?? []).includes('gemini_regenerate');
        return ended && messages.length >= count ? messages : undefined;
      }, timeoutMs);
    },
    async close() {
      await handle.stop();
      await http.close();
      await engine.close();
      await slack.close();
    },
  };
}
