/**
 * Graceful shutdown on SIGTERM/SIGINT, in the order that loses nothing:
 *
 * 1. /readyz turns 503 (load balancers stop sending) and the engine refuses new turns with
 *    "The bot is restarting…" (the platforms stay connected, so replies in flight can still be
 *    edited, and a user who writes now is told rather than ignored);
 * 2. replies in flight (streaming, or waiting for their thread's lock or an upstream slot) get up to
 *    SHUTDOWN_GRACE_MS to finish;
 * 3. what is left is cancelled: each reply ends "⚠️ Interrupted: the bot restarted…", its
 *    conversation lock is released as its turn ends, and nothing half-done is written to history;
 * 4. the platforms disconnect, the HTTP server closes, the upstream pool and the store close last.
 *
 * Shard children (DISCORD_SHARDS) are told first, so they drain in parallel with this process.
 * The same signal again more than a second later, or a shutdown that overruns its deadline, exits at
 * once. A copy within the second is the same signal delivered twice: `npm start` runs npm → tsx →
 * node, and a signal to the process group (systemd's default, Ctrl-C) reaches node directly and
 * again relayed by tsx. A parent process that goes away (npm exiting without forwarding a SIGTERM)
 * starts the same graceful shutdown.
 */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { PlatformHandle } from '../platforms/types.js';
import type { HttpServerHandle } from './http-server.js';
import { watchParent } from './parent-watch.js';

/** The engine's shutdown controls: the composition roots hand them here, the platforms never see them. */
export interface DrainableEngine {
  /** From now on new turns are refused ("The bot is restarting…"). */
  stopAccepting(): void;
  /** Cancels every turn in flight (each ends "Interrupted"); how many there were. */
  stopAll(): number;
  /** Turns past their checks and not yet finished: streaming, or waiting for the lock or a slot. */
  readonly turnsInFlight: number;
  readonly activeStreams: number;
  /** True once no turn is in flight, false after `timeoutMs`. */
  whenIdle(timeoutMs: number): Promise<boolean>;
}

/** What shutdown needs of the process's runtime (src/runtime.ts's Runtime is one). */
export interface DrainableRuntime {
  readonly engine: DrainableEngine;
  readonly config: Pick<Config, 'shutdownGraceMs'>;
  /** Closes the upstream pool and the store: the last step. */
  close(): Promise<void>;
}

export interface ShutdownDependencies {
  runtime: DrainableRuntime;
  /** Closed after the replies ended (Slack's HTTP mode and /healthz use it until then). */
  http?: HttpServerHandle;
  /** Disconnected after the replies ended. */
  platforms: () => PlatformHandle[];
  /** Stopped at once, in parallel with this process's drain (shard child processes). */
  stopFirst?: () => Array<{ stop(): Promise<void> }>;
  logger: Logger;
  /** After the cancelled replies were told: how long they get to write their last edit. Default 5 s. */
  finalEditMs?: number;
  /** Ends the process; tests pass their own. Default `process.exit`. */
  exit?: (code: number) => void;
  /** Signals to listen for; tests pass []. Default SIGTERM and SIGINT. */
  signals?: NodeJS.Signals[];
  /**
   * Shut down when the parent process goes away. Default: when listening to the real signals and
   * not forked with an IPC channel (shard children shut down on the channel's 'disconnect').
   */
  watchParent?: boolean;
}

export interface ShutdownControl {
  isShuttingDown(): boolean;
  /** Runs the shutdown (once; later calls return the same promise) without exiting. */
  shutdown(reason: string): Promise<void>;
}

/** A repeat of the first signal within this window is the same signal delivered twice. */
const DUPLICATE_SIGNAL_MS = 1_000;
/** Beyond grace + final edits: platforms, HTTP and the store get this long to close. */
const CLOSE_ALLOWANCE_MS = 10_000;

/** Installs the signal handlers and returns the control used by /readyz and tests. */
export function installShutdown(deps: ShutdownDependencies): ShutdownControl {
  const { runtime, logger } = deps;
  const exit = deps.exit ?? ((code: number) => process.exit(code));
  const finalEditMs = deps.finalEditMs ?? 5_000;
  let running: Promise<void> | undefined;

  async function drain(): Promise<void> {
    const { engine } = runtime;
    const graceMs = runtime.config.shutdownGraceMs;
    engine.stopAccepting();
    const first = Promise.allSettled((deps.stopFirst?.() ?? []).map((part) => part.stop()));
    logger.info(
      { inFlight: engine.turnsInFlight, activeStreams: engine.activeStreams, graceMs },
      'shutting down',
    );

    const finishedInTime = await engine.whenIdle(graceMs);
    if (!finishedInTime) {
      const cancelled = engine.stopAll();
      logger.warn({ cancelled }, 'grace period over: interrupting the remaining replies');
      if (!(await engine.whenIdle(finalEditMs))) {
        logger.warn({ left: engine.turnsInFlight }, 'some replies did not end after being interrupted');
      }
    }
    await first;
    const results = await Promise.allSettled(deps.platforms().map((platform) => platform.stop()));
    for (const result of results) {
      if (result.status === 'rejected')
        logger.warn({ err: result.reason }, 'a platform did not stop cleanly');
    }
    await deps.http?.close();
    await runtime.close();
    logger.info('shut down cleanly');
  }

  function shutdown(reason: string): Promise<void> {
    running ??= drain().catch((err: unknown) => {
      logger.error({ err, reason }, 'shutdown failed');
      throw err;
    });
    return running;
  }

  /** Starts the shutdown with its overall deadline, and exits when it is done. */
  function begin(reason: string): void {
    // If something hangs (a platform that never disconnects), the deadline still ends the process.
    const deadlineMs = runtime.config.shutdownGraceMs + finalEditMs + CLOSE_ALLOWANCE_MS;
    setTimeout(() => {
      logger.error({ deadlineMs }, 'shutdown overran its deadline: exiting');
      exit(1);
    }, deadlineMs).unref();
    shutdown(reason).then(
      () => exit(0),
      () => exit(1),
    );
  }

  let firstSignal: { signal: NodeJS.Signals; at: number } | undefined;
  const signals = deps.signals ?? (['SIGTERM', 'SIGINT'] as const);
  for (const signal of signals) {
    process.on(signal, () => {
      if (running) {
        // Ctrl-C twice means "now". A different signal is not: Ctrl-C reaches shard children
        // through the terminal's process group, then the manager's own SIGTERM follows it.
        if (signal !== firstSignal?.signal) return;
        if (Date.now() - firstSignal.at < DUPLICATE_SIGNAL_MS) {
          logger.info({ signal }, 'the same signal again within a second: counted once');
          return;
        }
        logger.warn({ signal }, 'second signal during shutdown: exiting now');
        exit(1);
        return;
      }
      firstSignal = { signal, at: Date.now() };
      begin(signal);
    });
  }

  if (deps.watchParent ?? (deps.signals === undefined && process.send === undefined)) {
    watchParent((parentPid) => {
      if (running) return;
      logger.warn({ parentPid }, 'parent process went away: shutting down');
      begin('parent process went away');
    });
  }
  return { isShuttingDown: () => running !== undefined, shutdown };
}
