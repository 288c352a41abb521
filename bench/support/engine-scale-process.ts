/**
 * The bot side of the engine section's scale run, in a process of its own so the numbers are the
 * bot's alone: a real engine, upstream client and memory store, `streams` concurrent turns of
 * `chunks` content chunks `delayMs` apart from the emulator at `url`. The engine section compiles
 * this file with the project's tsc options and runs it with plain `node` (the production code
 * paths, no tsx loader in memory). Prints one JSON line of `ScaleResult`.
 *
 *   node <compiled>/bench/support/engine-scale-process.js <url> <token> <streams> <chunks> <delayMs>
 *
 * BENCH_HEAP_SNAPSHOT=<file> writes a heap snapshot halfway through (for finding what streams keep).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import { loadConfig } from '../../src/config.js';
import { ConversationEngine } from '../../src/engine/engine.js';
import type { ReplyPhase, ReplySink } from '../../src/engine/types.js';
import { silentLogger } from '../../src/log.js';
import { createStore } from '../../src/store/create-store.js';
import { createUpstreamClient } from '../../src/upstream/client.js';

/** What the run measured, in the process that did the work. */
export interface ScaleResult {
  done: number;
  wallS: number;
  cpuPerChunkUs: number;
  loopP99Ms: number;
  baselineRssBytes: number;
  baselineHeapBytes: number;
  peakRssBytes: number;
  peakHeapBytes: number;
  /** RSS and JS heap with every stream open, at the run's midpoint. */
  midRssBytes: number;
  midHeapBytes: number;
}

/** A sink that costs nothing, like a platform that answers at once. */
class CountingSink implements ReplySink {
  readonly limits = { maxMessageLength: 2000, editIntervalMs: 1000 };
  updates = 0;
  private next = 0;
  async post(_text: string, _phase: ReplyPhase): Promise<string> {
    this.updates += 1;
    this.next += 1;
    return String(this.next);
  }
  async edit(_id: string, _text: string, _phase: ReplyPhase): Promise<void> {
    this.updates += 1;
  }
}

async function main(): Promise<void> {
  const [url, token, streamsArg, chunksArg, delayArg] = process.argv.slice(2);
  const streams = Number(streamsArg);
  const chunks = Number(chunksArg);
  const delayMs = Number(delayArg);
  const config = loadConfig({
    ACEDATA_API_TOKEN: token,
    ACEDATA_BASE_URL: url,
    STORE_URL: 'memory://',
    RATE_LIMIT_PER_MINUTE: '0',
    UPSTREAM_MAX_CONCURRENCY: String(streams),
  });
  const store = await createStore({ url: 'memory://', prefix: 'bench', maxConcurrency: streams });
  const upstream = createUpstreamClient({
    baseUrl: url!,
    apiToken: token!,
    connectTimeoutMs: 10_000,
    firstByteTimeoutMs: 120_000,
    idleTimeoutMs: 120_000,
    maxRetries: 0,
    maxConnections: streams + 10,
  });
  const engine = new ConversationEngine({ config, upstream, store, logger: silentLogger });

  const loop = monitorEventLoopDelay({ resolution: 10 });
  const baselineRss = process.memoryUsage().rss;
  const baselineHeap = getHeapStatistics().used_heap_size;
  let peakRss = baselineRss;
  let peakHeap = 0;
  let midRss = 0;
  let midHeap = 0;
  // rss() and getHeapStatistics are cheap; memoryUsage() walks every heap space and showed in profiles.
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    peakHeap = Math.max(peakHeap, getHeapStatistics().used_heap_size);
  }, 200);
  const midpoint = setTimeout(
    () => {
      const usage = process.memoryUsage();
      midRss = usage.rss;
      midHeap = usage.heapUsed;
      const snapshot = process.env.BENCH_HEAP_SNAPSHOT;
      if (snapshot) writeHeapSnapshot(snapshot);
    },
    (chunks * delayMs) / 2,
  );
  const cpuBefore = process.cpuUsage();
  const started = Date.now();
  loop.enable();
  const outcomes = await Promise.all(
    Array.from({ length: streams }, (_, i) =>
      engine.handleTurn(
        {
          key: { platform: 'console', workspace: 'b', channel: 'c', thread: `scale-${i}` },
          author: { id: `u${i}`, name: 'u' },
          text: `chunks:${chunks} delay:${delayMs}`,
          attachments: [],
          messageIds: [`s${i}`],
        },
        new CountingSink(),
      ),
    ),
  );
  loop.disable();
  clearInterval(sampler);
  clearTimeout(midpoint);
  const cpu = process.cpuUsage(cpuBefore);
  const result: ScaleResult = {
    done: outcomes.filter((o) => o.status === 'done').length,
    wallS: (Date.now() - started) / 1000,
    cpuPerChunkUs: (cpu.user + cpu.system) / (streams * chunks),
    loopP99Ms: loop.percentile(99) / 1e6,
    baselineRssBytes: baselineRss,
    baselineHeapBytes: baselineHeap,
    peakRssBytes: peakRss,
    peakHeapBytes: peakHeap,
    midRssBytes: midRss,
    midHeapBytes: midHeap,
  };
  await upstream.close();
  await store.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
