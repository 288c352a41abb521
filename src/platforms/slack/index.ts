/**
 * Starts the Slack side: one Bolt App on the shared engine. HTTP mode (default) mounts Bolt's
 * HTTPReceiver at POST /slack/events on the process's one HTTP server, with request signatures
 * checked (stale timestamps refused) and never its own `start()`; Socket Mode is used when
 * SLACK_APP_TOKEN is set. SLACK_API_URL points the Web API elsewhere (GovSlack, tests).
 */
import { App, HTTPReceiver } from '@slack/bolt';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import { ConfigError, PlatformUnreachableError } from '../../errors.js';
import { hostOf, networkFailureCode } from '../network-failure.js';
import type { PlatformDependencies, PlatformHandle } from '../types.js';
import { SlackAdapter } from './adapter.js';
import { SlackAdmins } from './admins.js';
import { boltLogger } from './bolt-logger.js';
import { DEFAULT_COMMAND_NAMES, type SlackCommandNames, SlackCommands } from './commands.js';
import { registerNewConversation } from './new-conversation.js';
import { RecentConversations } from './recent-conversations.js';
import { SlackReplies } from './reply.js';
import { createSlackResolver } from './resolver.js';
import { SlackShortcuts } from './shortcuts.js';
import {
  AGENT_SESSION_BUDGET,
  type BudgetOptions,
  CHAT_UPDATE_BUDGET,
  STREAM_START_STOP_BUDGET,
} from './update-budget.js';
import { webClientOptions } from './web-api.js';

export type { PlatformHandle };

/** Where the WebClient sends calls when SLACK_API_URL is not set. */
const SLACK_API_DEFAULT = 'https://slack.com/api/';

/** Knobs for tests and benchmarks; production uses the defaults. */
export interface SlackStartOptions {
  commandNames?: Partial<SlackCommandNames>;
  budgets?: {
    update?: BudgetOptions;
    append?: BudgetOptions;
    stream?: BudgetOptions;
    sessions?: BudgetOptions;
  };
  maxStreamAgeMs?: number;
  /** Merged into the WebClient options (tests set a small retryConfig). */
  clientOptions?: WebClientOptions;
}

export interface SlackHandle extends PlatformHandle {
  readonly app: App;
  /** Waits until every turn in flight has finished (tests, shutdown). */
  idle(): Promise<void>;
}

export async function startSlack(
  deps: PlatformDependencies,
  options: SlackStartOptions = {},
): Promise<SlackHandle> {
  const slack = deps.config.slack;
  if (!slack)
    throw new ConfigError('SLACK_BOT_TOKEN', 'SLACK_BOT_TOKEN is required to start the Slack adapter.');
  const logger = deps.logger.child({ platform: 'slack' });
  const clientOptions = webClientOptions(slack.apiUrl, {
    logger: boltLogger(logger),
    ...options.clientOptions,
  });

  // Our own ids first: mention stripping and ignoreSelf need them, and a bad token should stop start-up.
  const probe = new WebClient(slack.botToken, clientOptions);
  const auth = await probe.auth.test().catch((error: unknown) => {
    // No answer at all is a network problem, not a refused token.
    const networkCode = networkFailureCode(error);
    if (networkCode) {
      const host = hostOf(clientOptions.slackApiUrl ?? SLACK_API_DEFAULT);
      throw new PlatformUnreachableError('Slack', host, networkCode, { cause: error });
    }
    throw new ConfigError(
      'SLACK_BOT_TOKEN',
      `Slack refused SLACK_BOT_TOKEN (auth.test: ${(error as Error).message}).`,
    );
  });
  const identity = { botUserId: auth.user_id!, teamId: auth.team_id! };

  const socketMode = Boolean(slack.appToken);
  let receiver: HTTPReceiver | undefined;
  if (!socketMode) {
    receiver = new HTTPReceiver({
      signingSecret: slack.signingSecret!,
      logger: boltLogger(logger),
      // Ack first, then work: listeners run after the 200 went out.
      processBeforeResponse: false,
      signatureVerification: true,
    });
  }
  const app = new App({
    token: slack.botToken,
    botId: auth.bot_id!,
    botUserId: identity.botUserId,
    logger: boltLogger(logger),
    clientOptions,
    ...(receiver ? { receiver } : { socketMode: true, appToken: slack.appToken! }),
  });
  app.error(async (error) => {
    logger.error({ err: error }, 'bolt listener error');
  });

  const recent = new RecentConversations(deps.store.history);
  const replies = new SlackReplies({
    client: app.client,
    engine: deps.engine,
    config: deps.config,
    logger,
    budgets: {
      update: {
        ...CHAT_UPDATE_BUDGET,
        perMinute: slack.updatesPerMinute,
        // One instance keeps its own count; several on Redis share the workspace's limit.
        ...(deps.store.kind === 'redis'
          ? { shared: { limiter: deps.store.rateLimiter, method: 'chat.update' } }
          : {}),
      },
      stream: {
        ...STREAM_START_STOP_BUDGET,
        ...(deps.store.kind === 'redis'
          ? { shared: { limiter: deps.store.rateLimiter, method: 'chat.startStream+stopStream' } }
          : {}),
      },
      sessions: {
        ...AGENT_SESSION_BUDGET,
        ...(deps.store.kind === 'redis'
          ? { shared: { limiter: deps.store.rateLimiter, method: 'agents.sessions' } }
          : {}),
      },
      ...options.budgets,
    },
    ...(options.maxStreamAgeMs ? { maxStreamAgeMs: options.maxStreamAgeMs } : {}),
    recent,
  });
  const adapterDeps = {
    app,
    client: app.client,
    config: deps.config,
    engine: deps.engine,
    store: deps.store,
    logger,
    replies,
    recent,
    identity,
    admins: new SlackAdmins(app.client, deps.config.access.adminUsers),
  };
  const adapter = new SlackAdapter(adapterDeps);
  adapter.register();
  registerNewConversation(app, adapter, adapterDeps);
  const shortcuts = new SlackShortcuts(adapterDeps);
  shortcuts.register(app);
  new SlackCommands(adapterDeps, {
    ...DEFAULT_COMMAND_NAMES,
    ...(slack.commandNames as Partial<SlackCommandNames> | undefined),
    ...options.commandNames,
  }).register(app);
  deps.engine.registerResolver('slack', createSlackResolver(app.client, slack.botToken, slack.apiUrl));

  let ready = false;
  let stopping = false;
  if (receiver) {
    const listener = receiver.requestListener;
    deps.http.route('POST', '/slack/events', (req, res) => {
      // While shutting down, refuse so Slack redelivers to another instance (de-dupe covers overlaps).
      if (stopping) {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('shutting down');
        return;
      }
      listener(req, res);
    });
    ready = true;
  } else {
    await app.start();
    ready = true;
  }
  logger.info({ mode: socketMode ? 'socket' : 'http', team: identity.teamId }, 'slack adapter ready');

  return {
    name: 'slack',
    app,
    isReady: () => ready && !stopping,
    idle: async () => {
      await Promise.all([adapter.drain(), shortcuts.drain()]);
    },
    async stop() {
      stopping = true;
      ready = false;
      if (socketMode)
        await app.stop().catch((error: unknown) => logger.warn({ err: error }, 'socket mode stop failed'));
      await Promise.all([adapter.drain(), shortcuts.drain()]);
    },
  };
}
