/**
 * The engine's own cost, through the real upstream client, renderer and memory store:
 * - added latency: from the emulator writing the first content byte to the sink's first update that
 *   shows it (same process, so both ends read one clock), p50/p99 over 200 streams;
 * - scale: one process holding 1,000 concurrent streams of 2,000 chunks each, the emulator in a
 *   child process: CPU time per chunk, event-loop delay p99, peak RSS.
 */
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { loadConfig } from '../../src/config.js';
import { ConversationEngine } from '../../src/engine/engine.js';
import type { ReplyPhase, ReplySink } from '../../src/engine/types.js';
import { silentLogger } from '../../src/log.js';
import { createStore } from '../../src/store/create-store.js';
import { createUpstreamClient } from '../../src/upstream/client.js';
import { startUpstreamEmulator } from '../../test/emulators/upstream/server.js';
import { type BenchRow, fmt, percentile, runWhenMain } from '../types.js';

/** A sink that costs nothing and notes when the first content became visible. */
class TimingSink implements ReplySink {
  readonly limits = { maxMessageLength: 2000, editIntervalMs: 1000 };
  firstContentAt: bigint | undefined;
  updates = 0;
  private next = 0;
  constructor(private readonly marker: string) {}
  async post(text: string, _phase: ReplyPhase): Promise<string> {
    this.seen(text);
    this.next += 1;
    return String(this.next);
  }
  async edit(_id: string, text: string, _phase: ReplyPhase): Promise<void> {
    this.seen(text);
  }
  private seen(text: string): void {
    this.updates += 1;
    if (this.firstContentAt === undefined && text.includes(this.marker))
      this.firstContentAt = process.hrtime.bigint();
  }
}

function engineFor(url: string, token: string, maxConcurrency: number) {
  const config = loadConfig({
    ACEDATA_API_TOKEN: token,
    ACEDATA_BASE_URL: url,
    STORE_URL: 'memory://',
    RATE_LIMIT_PER_MINUTE: '0',
    UPSTREAM_MAX_CONCURRENCY: String(maxConcurrency),
  });
  return createStore({ url: 'memory://', prefix: 'bench', maxConcurrency }).then((store) => {
    const upstream = createUpstreamClient({
      baseUrl: url,
      apiToken: token,
      connectTimeoutMs: 10_000,
      firstByteTimeoutMs: 120_000,
      idleTimeoutMs: 120_000,
      maxRetries: 0,
      maxConnections: maxConcurrency + 10,
    });
    return {
      engine: new ConversationEngine({ config, upstream, store, logger: silentLogger }),
      store,
      upstream,
    };
  });
}

export async function addedLatency(): Promise<BenchRow[]> {
  const emulator = await startUpstreamEmulator();
  const { engine, store, upstream } = await engineFor(emulator.url, emulator.token, 20);
  let wroteAt: bigint | undefined;
  emulator.onFirstContent = (_req, at) => {
    wroteAt = at;
  };
  emulator.setResponder(() => ({
    reasoning: ['r'],
    content: ['MARKER ', 'rest ', 'of it'],
    chunkDelayMs: 5,
  }));
  const samples: number[] = [];
  for (let i = 0; i < 220; i++) {
    wroteAt = undefined;
    const sink = new TimingSink('MARKER');
    const key = { platform: 'console' as const, workspace: 'b', channel: 'c', thread: `lat-${i}` };
    await engine.handleTurn(
      { key, author: { id: 'u', name: 'u' }, text: 'go', attachments: [], messageIds: [`m${i}`] },
      sink,
    );
    if (i >= 20 && wroteAt !== undefined && sink.firstContentAt !== undefined) {
      samples.push(Number(sink.firstContentAt - wroteAt) / 1e6);
    }
  }
  await upstream.close();
  await store.close();
  await emulator.close();
  return [
    {
      section: 'engine',
      metric: 'added latency, first content byte → sink update, p50 (200 streams)',
      value: `${fmt(percentile(samples, 50))} ms`,
      target: '<= 5 ms',
    },
    {
      section: 'engine',
      metric: 'added latency, first content byte → sink update, p99',
      value: `${fmt(percentile(samples, 99))} ms`,
      target: '<= 20 ms',
    },
  ];
}

export async function scale(streams: number, chunks: number, delayMs: number): Promise<BenchRow[]> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('../support/emulator-process.ts', import.meta.url).pathname],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const ready = await new Promise<string>((resolve) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  const [, url, token] = ready.split(' ');
  const { engine, store, upstream } = await engineFor(url!, token!, streams);

  const loop = monitorEventLoopDelay({ resolution: 10 });
  const baselineRss = process.memoryUsage().rss;
  let peakRss = baselineRss;
  let peakHeap = 0;
  const sampler = setInterval(() => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
  }, 100);
  const cpuBefore = process.cpuUsage();
  const started = Date.now();
  loop.enable();
  const outcomes = await Promise.all(
    Array.from({ length: streams }, (_, i) => {
      const key = { platform: 'console' as const, workspace: 'b', channel: 'c', thread: `scale-${i}` };
      return engine.handleTurn(
        {
          key,
          author: { id: `u${i}`, name: 'u' },
          text: `chunks:${chunks} delay:${delayMs}`,
          attachments: [],
          messageIds: [`s${i}`],
        },
        new TimingSink('word'),
      );
    }),
  );
  loop.disable();
  clearInterval(sampler);
  const cpu = process.cpuUsage(cpuBefore);
  const wallS = (Date.now() - started) / 1000;
  const done = outcomes.filter((o) => o.status === 'done').length;
  const cpuPerChunkUs = (cpu.user + cpu.system) / (streams * chunks);

  await upstream.close();
  await store.close();
  child.kill('SIGTERM');
  return [
    {
      section: 'engine',
      metric: `scale: streams completed (${streams} × ${chunks} chunks, ${delayMs} ms apart)`,
      value: `${done}/${streams} in ${fmt(wallS, 1)} s`,
    },
    {
      section: 'engine',
      metric: 'scale: CPU time per chunk (bot process)',
      value: `${fmt(cpuPerChunkUs, 2)} µs`,
    },
    {
      section: 'engine',
      metric: 'scale: event-loop delay p99',
      value: `${fmt(loop.percentile(99) / 1e6, 1)} ms`,
      target: '<= 50 ms',
    },
    {
      section: 'engine',
      metric: 'scale: peak RSS',
      value: `${fmt(peakRss / 1024 / 1024, 0)} MB`,
      target: '<= 300 MB',
    },
    {
      section: 'engine',
      metric: 'scale: RSS before the streams / peak JS heap during them',
      value: `${fmt(baselineRss / 1024 / 1024, 0)} MB / ${fmt(peakHeap / 1024 / 1024, 0)} MB`,
    },
  ];
}

export async function run(): Promise<BenchRow[]> {
  return [...(await addedLatency()), ...(await scale(1000, 2000, 50))];
}

runWhenMain(import.meta, run);
