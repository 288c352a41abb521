/**
 * The drain of src/ops/shutdown.ts in this process, on a real engine (test/support/harness.ts: the
 * real upstream client on the loopback emulator, the memory store). Shutdown is handed only what it
 * uses (the engine, the grace period, a close), not a whole Runtime; the process tests
 * (shutdown.test.ts, signals.test.ts) cover the signals and the exit codes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { IncomingTurn, TurnOutcome } from '../../src/engine/types.js';
import { silentLogger } from '../../src/log.js';
import { type DrainableRuntime, installShutdown } from '../../src/ops/shutdown.js';
import type { ConversationKey } from '../../src/store/types.js';
import { waitFor } from '../scale/chat-recorder.js';
import { createTestEngine, type TestEngine } from '../support/harness.js';
import { RecordingSink } from '../support/recording-sink.js';

let harness: TestEngine | undefined;
let closed: Promise<void> | undefined;

afterEach(async () => {
  await (closed ?? harness?.close());
  harness = undefined;
  closed = undefined;
});

/** A real engine whose answers are `words` words, one every 50 ms; `events` records what ended when. */
async function drainable(
  graceMs: number,
  words: number,
  events: string[],
): Promise<{ harness: TestEngine; runtime: DrainableRuntime }> {
  harness = await createTestEngine({ env: { SHUTDOWN_GRACE_MS: String(graceMs) } });
  harness.emulator.setResponder(() => ({
    content: Array.from({ length: words }, (_, index) => `w${index} `),
    chunkDelayMs: 50,
  }));
  const built = harness;
  const runtime: DrainableRuntime = {
    engine: built.engine,
    config: built.config,
    close: () => {
      events.push('runtime closed');
      closed ??= built.close();
      return closed;
    },
  };
  return { harness: built, runtime };
}

function turn(conversation: string, text: string): IncomingTurn {
  const key: ConversationKey = { platform: 'discord', workspace: 'G1', channel: 'C1', thread: conversation };
  return { key, author: { id: 'U1', name: 'Ada' }, text, attachments: [], messageIds: [`m-${conversation}`] };
}

function quietShutdown(runtime: DrainableRuntime) {
  return installShutdown({
    runtime,
    platforms: () => [],
    logger: silentLogger,
    signals: [],
    watchParent: false,
    exit: () => {
      throw new Error('shutdown() must not exit the process');
    },
  });
}

describe('shutdown drains the engine it is given', () => {
  it('waits for a reply that fits in the grace period, refuses new turns meanwhile, then closes', async () => {
    const events: string[] = [];
    const { harness, runtime } = await drainable(15_000, 20, events);
    const sink = new RecordingSink();
    const answering = harness.engine.handleTurn(turn('T1', 'hello'), sink).then((outcome) => {
      events.push('reply ended');
      return outcome;
    });
    await waitFor('the reply to start streaming', () => sink.shown().includes('w1 '));

    const control = quietShutdown(runtime);
    const draining = control.shutdown('test');
    expect(control.isShuttingDown()).toBe(true);
    const late = await harness.engine.handleTurn(turn('T2', 'too late'), new RecordingSink());
    await draining;

    expect(events).toEqual(['reply ended', 'runtime closed']);
    expect((await answering).status).toBe('done');
    expect(sink.shown()).toContain('w19 ');
    expect(late.status).toBe('refused');
    expect(late.status === 'refused' && (late.error as { code?: string }).code).toBe('shutting_down');
  });

  it('interrupts a reply still streaming when the grace period ends, and closes after it ended', async () => {
    const events: string[] = [];
    const { harness, runtime } = await drainable(300, 400, events);
    const sink = new RecordingSink();
    const answering: Promise<TurnOutcome> = harness.engine
      .handleTurn(turn('T3', 'a long one'), sink)
      .then((outcome) => {
        events.push('reply ended');
        return outcome;
      });
    await waitFor('the reply to start streaming', () => sink.shown().includes('w1 '));

    await quietShutdown(runtime).shutdown('test');

    expect(events).toEqual(['reply ended', 'runtime closed']);
    expect((await answering).status).toBe('stopped');
    expect(sink.lastPhase()).toBe('interrupted');
    expect(sink.shown()).toMatch(/Interrupted: the bot restarted before this answer was finished/);
    expect(sink.shown()).not.toContain('w399 ');
  });
});
