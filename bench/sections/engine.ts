/**
 * The engine's own cost, through the real upstream client, renderer and memory store:
 * - added latency: from the emulator writing the first content byte to the sink's first update that
 *   shows it (same process, so both ends read one clock), p50/p99 over 200 streams;
 * - scale: one bot process holding 1,000 concurrent streams of 600 chunks each, 50 ms apart
 *   (20 chunks/s per stream, 30 s), the emulator in another: CPU time per chunk, event-loop delay
 *   p99, RSS before the streams, peak RSS, memory per open stream. The bot side is
 *   bench/support/engine-scale-process.ts compiled by tsc and run by plain node, as in production.
 *   BENCH_ENGINE_STREAMS / BENCH_ENGINE_CHUNKS change the shape; BENCH_NODE_FLAGS passes node flags.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { ConversationEngine } from '../../src/engine/engine.js';
import type { ReplyPhase, ReplySink } from '../../src/engine/types.js';
import { silentLogger } from '../../src/log.js';
import { createStore } from '../../src/store/create-store.js';
import { createUpstreamClient } from '../../src/upstream/client.js';
import { startUpstreamEmulator } from '../../test/emulators/upstream/server.js';
import { startEmulatorProcess } from '../support/emulator-process-client.js';
import type { ScaleResult } from '../support/engine-scale-process.js';
import type { FloorResult } from '../support/read-floor-process.js';
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

/**
 * Compiles the scale and floor drivers and what they import with the project's own tsc options
 * (what `npm run build` does for src/) into a temporary directory; returns the compiled
 * directory of bench/support.
 */
function compileDrivers(): string {
  const root = new URL('../../', import.meta.url).pathname;
  const outDir = mkdtempSync(join(tmpdir(), 'gcb-bench-'));
  const tsconfig = join(outDir, 'tsconfig.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: join(root, 'tsconfig.json'),
      // Types were checked by `npm run typecheck`; this build only emits.
      compilerOptions: {
        noEmit: false,
        noCheck: true,
        outDir,
        rootDir: root,
        sourceMap: false,
        typeRoots: [join(root, 'node_modules/@types')],
      },
      files: [
        join(root, 'bench/support/engine-scale-process.ts'),
        join(root, 'bench/support/read-floor-process.ts'),
      ],
    }),
  );
  try {
    execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', tsconfig], { stdio: 'inherit' });
  } catch (error) {
    rmSync(outDir, { recursive: true, force: true });
    throw error;
  }
  // The compiled tree is ESM like the project; node needs the package type to know that.
  writeFileSync(join(outDir, 'package.json'), '{"type":"module"}');
  symlinkSync(join(root, 'node_modules'), join(outDir, 'node_modules'));
  return join(outDir, 'bench/support');
}

/** Runs one compiled driver with plain node; resolves with the last line it printed, parsed. */
function runDriver<T>(driver: string, args: string[]): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    execFile(
      process.execPath,
      // BENCH_NODE_FLAGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", for profiling the bot side.
      [...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []), driver, ...args],
      { maxBuffer: 1024 * 1024 },
      (error, stdout) =>
        error ? reject(error) : resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as T),
    );
  });
}

export async function scale(streams: number, chunks: number, delayMs: number): Promise<BenchRow[]> {
  const drivers = compileDrivers();
  const emulator = await startEmulatorProcess();
  let result: ScaleResult;
  const floors: FloorResult[] = [];
  try {
    const args = [emulator.url, emulator.token, String(streams), String(chunks), String(delayMs)];
    // The floors first, on the same emulator and the same shape: what the machine charges per chunk
    // before any of the bot's own code runs (read against the scale row below).
    for (const mode of ['socket', 'http']) {
      floors.push(await runDriver<FloorResult>(join(drivers, 'read-floor-process.js'), [...args, mode]));
    }
    result = await runDriver<ScaleResult>(join(drivers, 'engine-scale-process.js'), args);
  } finally {
    emulator.stop();
    rmSync(dirname(dirname(drivers)), { recursive: true, force: true });
  }
  const mb = (bytes: number) => fmt(bytes / 1024 / 1024, 0);
  const perStream = (result.midRssBytes - result.baselineRssBytes) / streams;
  return [
    {
      section: 'engine',
      metric: `scale: streams completed (${streams} × ${chunks} chunks, ${delayMs} ms apart; node on compiled JS)`,
      value: `${result.done}/${streams} in ${fmt(result.wallS, 1)} s`,
    },
    {
      section: 'engine',
      metric: 'scale: CPU time per chunk (bot process)',
      value: `${fmt(result.cpuPerChunkUs, 2)} µs`,
      target: '<= 8 µs',
    },
    {
      section: 'engine',
      metric: 'scale: floor, CPU per chunk of the raw socket reads alone (same streams, no HTTP parsing)',
      value: `${fmt(floors[0]!.cpuPerChunkUs, 2)} µs`,
    },
    {
      section: 'engine',
      metric: 'scale: floor, CPU per chunk of undici + SSE decoding + JSON.parse alone',
      value: `${fmt(floors[1]!.cpuPerChunkUs, 2)} µs`,
    },
    {
      section: 'engine',
      metric: 'scale: event-loop delay p99',
      value: `${fmt(result.loopP99Ms, 1)} ms`,
      target: '<= 20 ms',
    },
    {
      section: 'engine',
      metric: 'scale: peak RSS',
      value: `${mb(result.peakRssBytes)} MB`,
      target: '<= 250 MB',
    },
    {
      section: 'engine',
      metric: 'scale: RSS before the streams / peak JS heap during them',
      value: `${mb(result.baselineRssBytes)} MB / ${mb(result.peakHeapBytes)} MB`,
    },
    {
      section: 'engine',
      metric: `scale: memory per open stream at the midpoint (RSS / JS heap, over before, ÷ ${streams})`,
      value: `${fmt(perStream / 1024, 1)} KB / ${fmt((result.midHeapBytes - result.baselineHeapBytes) / streams / 1024, 1)} KB`,
    },
  ];
}

export async function run(): Promise<BenchRow[]> {
  const streams = Number(process.env.BENCH_ENGINE_STREAMS ?? 1000);
  const chunks = Number(process.env.BENCH_ENGINE_CHUNKS ?? 600);
  return [...(await addedLatency()), ...(await scale(streams, chunks, 50))];
}

runWhenMain(import.meta, run);
