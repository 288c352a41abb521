/**
 * One running bot for Discord end-to-end tests: the loopback Discord emulator, the real engine on
 * the upstream emulator (test/support/harness.ts), and the real adapter started by `startDiscord`
 * exactly as main.ts does, logged in over the real gateway socket.
 */
import type { Client } from 'discord.js';
import type { EngineObserver } from '../../../src/engine/engine.js';
import { createLogger, type Logger, silentLogger } from '../../../src/log.js';
import { startDiscord } from '../../../src/platforms/discord/index.js';
import type { PlatformHandle } from '../../../src/platforms/types.js';
import {
  type DiscordEmulator,
  type DiscordEmulatorOptions,
  type EmuMessage,
  startDiscordEmulator,
} from '../../emulators/discord/server.js';
import { createTestEngine, type TestEngine } from '../../support/harness.js';

export interface DiscordBot {
  discord: DiscordEmulator;
  te: TestEngine;
  handle: PlatformHandle;
  client: Client;
  /** Added to the bot's clock (attachment URL expiry). */
  clock: { offsetMs: number };
  /**
   * Stops the Discord side and starts it again on the same store, as a redeploy does: a new client
   * with an empty message cache, logged in afresh. `handle` and `client` then name the new ones.
   */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startDiscordBot(
  options: {
    /** Extra configuration; a function gets the emulator first (for role and guild ids). */
    env?: Record<string, string> | ((discord: DiscordEmulator) => Record<string, string>);
    /** The adapter's logger; tests that assert on log lines pass a capturing one. */
    logger?: Logger;
    emulator?: DiscordEmulatorOptions;
    /**
     * Discord's real message bucket (5 per 5 s per channel) in the emulator. Off by default: most
     * tests are about behaviour, and a roomy bucket keeps them quick; the rate-limit tests turn it on.
     */
    realisticRateLimits?: boolean;
    firstByteTimeoutMs?: number;
    idleTimeoutMs?: number;
    /** Log in to this running emulator (a restart); `close` then leaves it running. */
    reuseEmulator?: DiscordEmulator;
    /** Engine hooks (metrics) to watch. */
    observer?: EngineObserver;
  } = {},
): Promise<DiscordBot> {
  const roomy = { limit: 100, windowMs: 5_000 };
  const discord =
    options.reuseEmulator ??
    (await startDiscordEmulator({
      ...(options.realisticRateLimits ? {} : { messageBucket: roomy }),
      ...options.emulator,
    }));
  const te = await createTestEngine({
    env: {
      DISCORD_TOKEN: discord.token,
      DISCORD_API_URL: discord.apiUrl,
      ...(typeof options.env === 'function' ? options.env(discord) : options.env),
    },
    ...(options.firstByteTimeoutMs ? { firstByteTimeoutMs: options.firstByteTimeoutMs } : {}),
    ...(options.idleTimeoutMs ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
    ...(options.observer ? { observer: options.observer } : {}),
  });
  const clock = { offsetMs: 0 };
  let client: Client | undefined;
  const start = () =>
    startDiscord({
      config: te.config,
      engine: te.engine,
      store: te.store,
      // DEBUG_DISCORD_TESTS=1 shows the adapter's log while debugging a test.
      logger: options.logger ?? (process.env.DEBUG_DISCORD_TESTS ? createLogger('debug') : silentLogger),
      now: () => Date.now() + clock.offsetMs,
      onClient: (c) => {
        client = c;
      },
    });
  const bot: DiscordBot = {
    discord,
    te,
    handle: await start(),
    client: client!,
    clock,
    async restart() {
      await bot.handle.stop();
      bot.handle = await start();
      bot.client = client!;
    },
    async close() {
      await bot.handle.stop();
      await te.close();
      if (!options.reuseEmulator) await discord.close();
    },
  };
  return bot;
}

/** The bot's final reply text in a channel: every bot message after `after`, joined. */
export function botText(discord: DiscordEmulator, channelId: string): string {
  return discord
    .botMessagesIn(channelId)
    .map((m) => m.content)
    .join('\n');
}

/** Waits until the newest bot message in a channel carries a Regenerate button (the reply ended). */
export function replyFinished(discord: DiscordEmulator, channelId: string, count = 1): Promise<EmuMessage[]> {
  return discord.waitFor(`a finished reply in ${channelId}`, () => {
    const finished = discord.botMessagesIn(channelId).filter((m) => hasButton(m, 'Regenerate'));
    return finished.length >= count ? finished : undefined;
  });
}

/** Whether a message shows a button with this label. */
export function hasButton(message: EmuMessage, label: string): boolean {
  return (message.components as Array<{ components?: Array<{ label?: string }> }>).some((row) =>
    row.components?.some((c) => c.label === label),
  );
}
