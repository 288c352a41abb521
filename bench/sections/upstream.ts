/**
 * The upstream client's SSE decoding cost. The decoder wraps eventsource-parser (streaming
 * TextDecoder, end-of-body flush, overflow guard); this section checks the wrapper costs little:
 * its throughput on a few MB of chunks in the API's own format, as a ratio to eventsource-parser
 * alone (createParser + TextDecoder) on the same bytes and the same read boundaries. Target ≥ 0.8.
 * Also reported: the whole decode path (decoder + JSON → StreamEvents), for scale.
 *
 * Runs alone: `npx tsx bench/sections/upstream.ts`.
 */
import { createParser } from 'eventsource-parser';
import { eventsFromChunk } from '../../src/upstream/chunks.js';
import { SseDecoder } from '../../src/upstream/sse.js';
import { deltaChunk, newChunkIdentity, usageChunk } from '../../test/emulators/upstream/payloads.js';
import { type BenchRow, fmt, percentile, runWhenMain } from '../types.js';

/** Bytes per simulated socket read: what undici hands over from a busy TCP connection. */
const READ_SIZE = 16 * 1024;
const TARGET_BYTES = 4 * 1024 * 1024;
const RUNS = 9;

/** A long answer as the API streams it: reasoning, then content, in mixed English and CJK text. */
function realisticStream(): Uint8Array {
  const identity = newChunkIdentity('gemini-2.5-pro');
  const pieces = [
    'The user wants a comparison of streaming parsers. ',
    '我已經將關鍵信息添加到基本身份中。',
    'Here is a table:\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n',
    '```ts\nconst x = await fetch(url);\n```\n',
    'naïve café — “quoted” 🙂 ',
  ];
  const parts: string[] = [
    `data: ${JSON.stringify(deltaChunk(identity, { content: '', role: 'assistant' }))}\n\n`,
  ];
  let size = 0;
  for (let index = 0; size < TARGET_BYTES; index++) {
    const text = pieces[index % pieces.length]!;
    const delta: Record<string, string> = index < 2_000 ? { reasoning_content: text } : { content: text };
    const line = `data: ${JSON.stringify(deltaChunk(identity, delta))}\n\n`;
    parts.push(line);
    size += Buffer.byteLength(line);
  }
  parts.push(`data: ${JSON.stringify(deltaChunk(identity, {}, 'stop'))}\n\n`);
  const usage = { prompt_tokens: 8, completion_tokens: 900, total_tokens: 908, reasoning_tokens: 500 };
  parts.push(`data: ${JSON.stringify(usageChunk(identity, usage))}\n\n`, 'data: [DONE]\n\n');
  return new TextEncoder().encode(parts.join(''));
}

function readsOf(body: Uint8Array): Uint8Array[] {
  const reads: Uint8Array[] = [];
  for (let offset = 0; offset < body.length; offset += READ_SIZE) {
    reads.push(body.subarray(offset, offset + READ_SIZE));
  }
  return reads;
}

/** eventsource-parser on its own: the floor any wrapper is measured against. */
function baseline(reads: Uint8Array[]): number {
  let events = 0;
  const decoder = new TextDecoder();
  const parser = createParser({
    onEvent: () => {
      events++;
    },
  });
  for (const read of reads) parser.feed(decoder.decode(read, { stream: true }));
  parser.feed(decoder.decode());
  return events;
}

function ourDecoder(reads: Uint8Array[]): number {
  let events = 0;
  const decoder = new SseDecoder();
  for (const read of reads) events += decoder.push(read).length;
  events += decoder.end().length;
  return events;
}

/** What the client really does per read: decode, then JSON → StreamEvents. */
function fullDecodePath(reads: Uint8Array[]): number {
  let events = 0;
  const decoder = new SseDecoder();
  for (const read of reads) {
    for (const data of decoder.push(read)) {
      if (data !== '[DONE]') events += eventsFromChunk(data).length;
    }
  }
  return events;
}

/** MB/s of `fn` over `bytes`, one run. */
function throughput(fn: (reads: Uint8Array[]) => number, reads: Uint8Array[], bytes: number): number {
  const started = process.hrtime.bigint();
  const events = fn(reads);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (events === 0) throw new Error('decoded no events');
  return bytes / 1024 / 1024 / seconds;
}

export async function run(): Promise<BenchRow[]> {
  const body = realisticStream();
  const reads = readsOf(body);
  if (baseline(reads) !== ourDecoder(reads)) throw new Error('the decoders disagree on the event count');

  // Warm both up, then alternate runs so drift (GC, the other core's load) hits both alike.
  for (let i = 0; i < 3; i++) {
    baseline(reads);
    ourDecoder(reads);
    fullDecodePath(reads);
  }
  const base: number[] = [];
  const ours: number[] = [];
  const ratios: number[] = [];
  const full: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const b = throughput(baseline, reads, body.length);
    const o = throughput(ourDecoder, reads, body.length);
    base.push(b);
    ours.push(o);
    ratios.push(o / b);
    full.push(throughput(fullDecodePath, reads, body.length));
  }
  const mb = fmt(body.length / 1024 / 1024, 1);
  return [
    {
      section: 'upstream',
      metric: `SSE decode, eventsource-parser alone (${mb} MB)`,
      value: `${fmt(percentile(base, 50), 0)} MB/s`,
    },
    {
      section: 'upstream',
      metric: `SSE decode, SseDecoder (${mb} MB)`,
      value: `${fmt(percentile(ours, 50), 0)} MB/s`,
    },
    {
      section: 'upstream',
      metric: 'SSE decode ratio SseDecoder / eventsource-parser (median of runs)',
      value: fmt(percentile(ratios, 50)),
      target: '>= 0.8',
    },
    {
      section: 'upstream',
      metric: 'SSE decode + JSON → StreamEvents',
      value: `${fmt(percentile(full, 50), 0)} MB/s`,
    },
  ];
}

runWhenMain(import.meta, run);
