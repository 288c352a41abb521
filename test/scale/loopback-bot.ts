/**
 * A bot process for the shutdown and scale-out tests, wired exactly like src/main.ts (runtime with
 * metrics, one HTTP server with /healthz, /readyz and /metrics, installShutdown) but with a
 * loopback "platform" in place of Discord and Slack, so the tests exercise real processes, a real
 * store and the real upstream client while the platform adapters are not in the way:
 *
 *   POST /loopback/turn  {eventId, platform, conversation, user, text}
 *     acks at once (like Slack's HTTP mode), de-duplicates by eventId across every process on the
 *     store (a Slack retry, a Discord event seen by two shards), then runs the turn in the engine.
 *     Its reply's posts and edits go to LOOPBACK_CHAT_URL (test/scale/chat-recorder.ts), which plays
 *     the chat a user would read.
 *
 * Run: node --import tsx test/scale/loopback-bot.ts   (configuration from the environment, as main)
 */
import { loadConfig } from '../../src/config.js';
import { describeError } from '../../src/engine/describe-error.js';
import type { ReplyPhase, ReplySink } from '../../src/engine/types.js';
import { exitWithStartupError } from '../../src/exit-on-error.js';
import { createLogger } from '../../src/log.js';
import { mountHealthRoutes } from '../../src/ops/health.js';
import { startHttpServer } from '../../src/ops/http-server.js';
import { BotMetrics, mountMetricsRoute } from '../../src/ops/metrics.js';
import { installShutdown } from '../../src/ops/shutdown.js';
import type { PlatformHandle } from '../../src/platforms/types.js';
import { createRuntime } from '../../src/runtime.js';
import type { PlatformName } from '../../src/store/types.js';

/** What the tests post to /loopback/turn. */
export interface LoopbackTurn {
  /** The platform's event id; the same id twice is one turn (de-duplicated). */
  eventId: string;
  platform: PlatformName;
  conversation: string;
  user: string;
  text: string;
}

/** What the bot posts to the chat recorder for every message of a reply. */
export interface ChatCall {
  kind: 'post' | 'edit' | 'notice';
  /** The event the reply answers. */
  eventId: string;
  /** Which bot process sent it (BOT_NAME). */
  bot: string;
  messageId: string;
  text: string;
  phase: ReplyPhase | 'notice';
}

const DEDUPE_TTL_MS = 10 * 60_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const botName = process.env.BOT_NAME ?? `bot-${process.pid}`;
  const chatUrl = process.env.LOOPBACK_CHAT_URL;
  if (!chatUrl) throw new Error('LOOPBACK_CHAT_URL is required');
  const logger = createLogger(config.logLevel).child({ bot: botName });
  const metrics = new BotMetrics();
  const runtime = await createRuntime(config, logger, { metrics, storeProbeIntervalMs: 1_000 });
  const http = await startHttpServer({ port: config.port, host: '127.0.0.1', logger });
  let connected = true;
  const platform: PlatformHandle = {
    name: 'slack',
    isReady: () => connected,
    stop: async () => {
      connected = false;
    },
  };
  const control = installShutdown({ runtime, http, platforms: () => [platform], logger });
  mountHealthRoutes(http, {
    store: runtime.store,
    platforms: () => [platform],
    shuttingDown: control.isShuttingDown,
  });
  mountMetricsRoute(http, () => metrics.render());

  http.route('POST', '/loopback/turn', async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const turn = JSON.parse(Buffer.concat(chunks).toString('utf8')) as LoopbackTurn;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    void answer(turn).catch((err: unknown) => logger.error({ err }, 'loopback turn crashed'));
  });

  async function answer(turn: LoopbackTurn): Promise<void> {
    const sink = new RecorderSink(chatUrl!, botName, turn.eventId);
    let first: boolean;
    try {
      first = await runtime.store.dedupe.claim(`loopback:${turn.eventId}`, DEDUPE_TTL_MS);
    } catch (error) {
      // The store is down: the user hears it rather than nothing (the adapters do the same).
      logger.error({ err: error, eventId: turn.eventId }, 'de-duplication failed');
      await sink.post(`⚠️ ${describeError(error)}`, 'interrupted');
      return;
    }
    if (!first) return;
    const outcome = await runtime.engine.handleTurn(
      {
        key: { platform: turn.platform, workspace: 'W1', channel: 'C1', thread: turn.conversation },
        author: { id: turn.user, name: turn.user },
        text: turn.text,
        attachments: [],
        messageIds: [turn.eventId],
      },
      sink,
    );
    if (outcome.status === 'refused') await sink.notice(describeError(outcome.error));
  }

  logger.info({ port: http.port, store: runtime.store.kind }, 'loopback bot started');
}

/** A ReplySink whose messages live in the test's chat recorder. */
class RecorderSink implements ReplySink {
  readonly limits = { maxMessageLength: 4_000, editIntervalMs: 100 };
  private nextId = 0;

  constructor(
    private readonly chatUrl: string,
    private readonly bot: string,
    private readonly eventId: string,
  ) {}

  async post(text: string, phase: ReplyPhase): Promise<string> {
    this.nextId += 1;
    const messageId = `${this.eventId}#${this.nextId}`;
    await this.send({ kind: 'post', messageId, text, phase });
    return messageId;
  }

  async edit(messageId: string, text: string, phase: ReplyPhase): Promise<void> {
    await this.send({ kind: 'edit', messageId, text, phase });
  }

  async notice(text: string): Promise<void> {
    await this.send({ kind: 'notice', messageId: `${this.eventId}#notice`, text, phase: 'notice' });
  }

  private async send(call: Omit<ChatCall, 'eventId' | 'bot'>): Promise<void> {
    const body: ChatCall = { ...call, eventId: this.eventId, bot: this.bot };
    const response = await fetch(this.chatUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`chat recorder answered ${response.status}`);
  }
}

main().catch(exitWithStartupError);
