import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../../src/errors.js';
import { meterUpstream } from '../../src/ops/metered-upstream.js';
import { BotMetrics } from '../../src/ops/metrics.js';
import type { StreamEvent, UpstreamClient } from '../../src/upstream/types.js';

/** An upstream seam that streams `events`, then ends or throws `failure`. */
function upstreamOf(events: StreamEvent[], failure?: Error): UpstreamClient {
  return {
    async *stream() {
      for (const event of events) yield event;
      if (failure) throw failure;
    },
    complete: () => Promise.reject(new Error('not used')),
    close: async () => undefined,
  };
}

const EVENTS: StreamEvent[] = [
  { type: 'reasoning', text: 'hm' },
  { type: 'content', text: 'Hello' },
  { type: 'content', text: ' there' },
];
const REQUEST = { model: 'gemini-2.5-flash', messages: [] };

async function counts(metrics: BotMetrics) {
  const requests = (await metrics.upstreamRequests.get()).values.map((v) => [v.labels.outcome, v.value]);
  const firstByte = (await metrics.upstreamFirstByteSeconds.get()).values.find((v) =>
    v.metricName?.endsWith('_count'),
  )?.value;
  const firstContent = (await metrics.upstreamFirstContentSeconds.get()).values.find((v) =>
    v.metricName?.endsWith('_count'),
  )?.value;
  return { requests: Object.fromEntries(requests), firstByte, firstContent };
}

describe('meterUpstream', () => {
  it('passes every event through and counts one ok request, one first byte, one first content', async () => {
    const metrics = new BotMetrics({ processMetrics: false });
    const seen: StreamEvent[] = [];
    for await (const event of meterUpstream(upstreamOf(EVENTS), metrics).stream(REQUEST)) seen.push(event);
    expect(seen).toEqual(EVENTS);
    expect(await counts(metrics)).toEqual({ requests: { ok: 1 }, firstByte: 1, firstContent: 1 });
  });

  it('counts a failed stream once, under its error code, and rethrows the error itself', async () => {
    const metrics = new BotMetrics({ processMetrics: false });
    const failure = new UpstreamError('stream_cut', 'cut');
    const seen: StreamEvent[] = [];
    const consume = async () => {
      for await (const event of meterUpstream(upstreamOf(EVENTS.slice(0, 1), failure), metrics).stream(
        REQUEST,
      ))
        seen.push(event);
    };
    await expect(consume()).rejects.toBe(failure);
    expect(seen).toHaveLength(1);
    expect(await counts(metrics)).toEqual({ requests: { stream_cut: 1 }, firstByte: 1, firstContent: 0 });
  });

  it('counts a stream the consumer leaves early as ok, once', async () => {
    const metrics = new BotMetrics({ processMetrics: false });
    for await (const event of meterUpstream(upstreamOf(EVENTS), metrics).stream(REQUEST)) {
      if (event.type === 'content') break;
    }
    expect(await counts(metrics)).toEqual({ requests: { ok: 1 }, firstByte: 1, firstContent: 1 });
  });
});
