/**
 * Our upstream client side by side with the openai npm SDK's streaming client (a devDependency used
 * by this section only), on the same emulator bytes in one run: the emulator in its own process
 * answers both with the same chunks, and this process measures its own CPU per content chunk.
 * Our client keeps its stricter checks (`[DONE]` required, idle timeout, UTF-8-safe decoding);
 * the SDK accepts a body that ends without `[DONE]`.
 * - CPU per chunk: `STREAMS` concurrent streams of `CHUNKS` chunks `DELAY_MS` apart (one chunk per
 *   socket read, as in production), rounds alternated so load and GC drift hit both alike;
 * - throughput: the same streams with no delay between chunks, chunks per second of wall time.
 * `npx tsx bench/sections/sdk.ts` runs it alone.
 */
import OpenAI from 'openai';
import { silentLogger } from '../../src/log.js';
import { createUpstreamClient } from '../../src/upstream/client.js';
import { startEmulatorProcess } from '../support/emulator-process-client.js';
import { type BenchRow, fmt, percentile, runWhenMain } from '../types.js';

const STREAMS = 200;
const CHUNKS = 100;
const DELAY_MS = 20;
const ROUNDS = 5;
const FAST_STREAMS = 20;
const FAST_CHUNKS = 2_000;

type StreamAll = (prompt: string, streams: number) => Promise<number>;

function ours(url: string, token: string): { streamAll: StreamAll; close: () => Promise<void> } {
  const client = createUpstreamClient({
    baseUrl: url,
    apiToken: token,
    maxRetries: 0,
    maxConnections: STREAMS + 10,
    logger: silentLogger,
  });
  const one = async (prompt: string): Promise<number> => {
    let chunks = 0;
    const events = client.stream({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: prompt }],
    });
    for await (const event of events) if (event.type === 'content') chunks++;
    return chunks;
  };
  return {
    streamAll: async (prompt, streams) =>
      sum(await Promise.all(Array.from({ length: streams }, () => one(prompt)))),
    close: () => client.close(),
  };
}

function sdk(url: string, token: string): { streamAll: StreamAll; close: () => Promise<void> } {
  const client = new OpenAI({ baseURL: `${url}/gemini`, apiKey: token, maxRetries: 0 });
  const one = async (prompt: string): Promise<number> => {
    let chunks = 0;
    const stream = await client.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: prompt }],
      stream: true,
    });
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) chunks++;
    return chunks;
  };
  return {
    streamAll: async (prompt, streams) =>
      sum(await Promise.all(Array.from({ length: streams }, () => one(prompt)))),
    close: async () => undefined,
  };
}

const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);

/** CPU µs of this process per content chunk for one round. */
async function cpuPerChunk(streamAll: StreamAll): Promise<number> {
  const before = process.cpuUsage();
  const chunks = await streamAll(`chunks:${CHUNKS} delay:${DELAY_MS}`, STREAMS);
  const cpu = process.cpuUsage(before);
  if (chunks !== STREAMS * CHUNKS) throw new Error(`expected ${STREAMS * CHUNKS} chunks, got ${chunks}`);
  return (cpu.user + cpu.system) / chunks;
}

/** Content chunks per second of wall time, chunks sent back to back. */
async function chunksPerSecond(streamAll: StreamAll): Promise<number> {
  const started = performance.now();
  const chunks = await streamAll(`chunks:${FAST_CHUNKS} delay:0`, FAST_STREAMS);
  return chunks / ((performance.now() - started) / 1000);
}

export async function run(): Promise<BenchRow[]> {
  const emulator = await startEmulatorProcess();
  const a = ours(emulator.url, emulator.token);
  const b = sdk(emulator.url, emulator.token);
  try {
    // Warm-up: JIT, connection pools.
    await a.streamAll('chunks:50 delay:1', STREAMS);
    await b.streamAll('chunks:50 delay:1', STREAMS);
    const oursCpu: number[] = [];
    const sdkCpu: number[] = [];
    const ratios: number[] = [];
    const oursRate: number[] = [];
    const sdkRate: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which goes first, so neither always runs right after the other's garbage.
      const [x, y] =
        round % 2 === 0
          ? [await cpuPerChunk(a.streamAll), await cpuPerChunk(b.streamAll)]
          : [0, await cpuPerChunk(b.streamAll)];
      const oursRound = round % 2 === 0 ? x : await cpuPerChunk(a.streamAll);
      oursCpu.push(oursRound);
      sdkCpu.push(y);
      ratios.push(oursRound / y);
      oursRate.push(await chunksPerSecond(a.streamAll));
      sdkRate.push(await chunksPerSecond(b.streamAll));
    }
    const shape = `${STREAMS} streams × ${CHUNKS} chunks, ${DELAY_MS} ms apart, median of ${ROUNDS}`;
    return [
      {
        section: 'sdk',
        metric: `CPU per chunk, our client (${shape})`,
        value: `${fmt(percentile(oursCpu, 50))} µs`,
      },
      {
        section: 'sdk',
        metric: 'CPU per chunk, openai SDK stream',
        value: `${fmt(percentile(sdkCpu, 50))} µs`,
      },
      {
        section: 'sdk',
        metric: 'CPU per chunk ratio, ours / SDK (median of rounds)',
        value: fmt(percentile(ratios, 50)),
        target: '<= 0.5',
      },
      {
        section: 'sdk',
        metric: `throughput, our client (${FAST_STREAMS} streams × ${FAST_CHUNKS} chunks, no delay)`,
        value: `${fmt(percentile(oursRate, 50) / 1000, 1)} k chunks/s`,
      },
      {
        section: 'sdk',
        metric: 'throughput, openai SDK stream',
        value: `${fmt(percentile(sdkRate, 50) / 1000, 1)} k chunks/s`,
      },
    ];
  } finally {
    await a.close();
    await b.close();
    emulator.stop();
  }
}

runWhenMain(import.meta, run);
