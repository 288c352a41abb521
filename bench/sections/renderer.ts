/**
 * The reply renderer's own cost, with a sink that answers at once (so only our code is timed):
 * - per content delta: a 100 KB answer streamed as 5,000 deltas of 20 characters, one event-loop
 *   turn per delta as SSE chunks arrive, at the real 1 s edit interval and at 0 ms (a re-split of
 *   the whole answer on every delta: the worst case);
 * - splitMessage on a 100 KB Markdown answer with code blocks: time per call and throughput, at
 *   Discord's 2,000 and Slack's 3,900 characters.
 * `npx tsx bench/sections/renderer.ts` runs it alone.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ReplyRenderer } from '../../src/engine/renderer.js';
import { splitMessage } from '../../src/engine/split.js';
import type { ReplyPhase, ReplySink } from '../../src/engine/types.js';
import { type BenchRow, fmt, percentile, runWhenMain } from '../types.js';

const ANSWER_CHARS = 100_000;
const DELTA_CHARS = 20;

/** A sink that costs nothing: every post and edit resolves at once. */
class InstantSink implements ReplySink {
  readonly limits: { maxMessageLength: number; editIntervalMs: number };
  calls = 0;
  private next = 0;

  constructor(editIntervalMs: number) {
    this.limits = { maxMessageLength: 2000, editIntervalMs };
  }

  async post(_text: string, _phase: ReplyPhase): Promise<string> {
    this.calls++;
    return `m${++this.next}`;
  }

  async edit(_id: string, _text: string, _phase: ReplyPhase): Promise<void> {
    this.calls++;
  }
}

/** A chat-like Markdown answer: paragraphs, lists and fenced code, `chars` long. */
function sampleAnswer(chars: number): string {
  const paragraph =
    'Streaming replies arrive in small pieces; the renderer coalesces them and edits the message in place. ';
  const code = [
    '```ts',
    ...Array.from({ length: 30 }, (_, i) => `  const value${i} = compute(${i}); // step ${i}`),
    '```',
  ];
  let text = '';
  for (let i = 0; text.length < chars; i++) {
    text += `${paragraph.repeat(3)}\n\n- point one\n- point two 😀\n\n`;
    if (i % 2 === 0) text += `${code.join('\n')}\n\n`;
  }
  return text.slice(0, chars);
}

/** CPU microseconds per delta over a whole streamed answer, ending with complete(). */
async function perDelta(
  answer: string,
  editIntervalMs: number,
): Promise<{ microsPerDelta: number; calls: number }> {
  const sink = new InstantSink(editIntervalMs);
  const renderer = new ReplyRenderer(sink, { reasoningDisplay: 'status' });
  await renderer.start();
  const deltas = answer.match(new RegExp(`[\\s\\S]{1,${DELTA_CHARS}}`, 'g'))!;
  let cpu = 0;
  for (const delta of deltas) {
    const before = process.cpuUsage();
    renderer.content(delta);
    // Let the flush loop run its share of this turn, as it would between two SSE chunks.
    await nextTurn();
    const used = process.cpuUsage(before);
    cpu += used.user + used.system;
  }
  const before = process.cpuUsage();
  await renderer.complete();
  const used = process.cpuUsage(before);
  cpu += used.user + used.system;
  return { microsPerDelta: cpu / deltas.length, calls: sink.calls };
}

/** The same loop without a renderer: what one event-loop turn costs by itself, to subtract. */
async function baselinePerTurn(turns: number): Promise<number> {
  let cpu = 0;
  for (let i = 0; i < turns; i++) {
    const before = process.cpuUsage();
    await nextTurn();
    const used = process.cpuUsage(before);
    cpu += used.user + used.system;
  }
  return cpu / turns;
}

function splitTimings(answer: string, maxLength: number): number[] {
  const samples: number[] = [];
  for (let i = 0; i < 40; i++) {
    const started = process.hrtime.bigint();
    splitMessage(answer, maxLength);
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return samples;
}

export async function run(): Promise<BenchRow[]> {
  const answer = sampleAnswer(ANSWER_CHARS);
  const rows: BenchRow[] = [];

  await perDelta(answer.slice(0, 10_000), 0); // warm-up (JIT)
  const realistic = await perDelta(answer, 1000);
  const baseline = await baselinePerTurn(ANSWER_CHARS / DELTA_CHARS);
  rows.push({
    section: 'renderer',
    metric: 'CPU of one event-loop turn alone (included in the rows below)',
    value: `${fmt(baseline)} µs`,
  });
  rows.push({
    section: 'renderer',
    metric: `CPU per content delta (100 KB answer, ${DELTA_CHARS}-char deltas, 1 s edit interval)`,
    value: `${fmt(realistic.microsPerDelta)} µs (${realistic.calls} sink calls)`,
    target: '< 20 µs',
  });
  const worst = await perDelta(answer, 0);
  rows.push({
    section: 'renderer',
    metric: 'CPU per content delta, 0 ms interval (re-split on every delta: worst case)',
    value: `${fmt(worst.microsPerDelta)} µs (${worst.calls} sink calls)`,
  });

  splitTimings(answer, 2000); // warm-up
  for (const maxLength of [2000, 3900]) {
    const samples = splitTimings(answer, maxLength);
    const p50 = percentile(samples, 50);
    rows.push({
      section: 'renderer',
      metric: `splitMessage, 100 KB answer into ${maxLength}-char messages (p50 / p99)`,
      value: `${fmt(p50)} / ${fmt(percentile(samples, 99))} ms (${fmt(ANSWER_CHARS / 1e6 / (p50 / 1000), 0)} MB/s)`,
      target: '< 5 ms',
    });
  }
  return rows;
}

runWhenMain(import.meta, run);
