import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { type HttpServerHandle, startHttpServer } from '../../src/ops/http-server.js';
import { BotMetrics, mountMetricsRoute } from '../../src/ops/metrics.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import type { ConversationKey } from '../../src/store/types.js';
import { startUpstreamEmulator, type UpstreamEmulator } from '../emulators/upstream/server.js';
import { MemorySink } from './memory-sink.js';

const SECRET_TOKEN = 'sk-acedata-very-secret-0b5e1f';
const PROMPT = 'my confidential quarterly numbers are 4711';
const key: ConversationKey = {
  platform: 'slack',
  workspace: 'T1',
  channel: 'C1',
  thread: '1700000000.000100',
};
const author = { id: 'U1', name: 'Ada' };

/** Every JSON line the logger wrote, parsed. */
const lines: Array<Record<string, unknown> & { level: number; msg?: string }> = [];
const destination = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
    done();
  },
});

let emulator: UpstreamEmulator;
let runtime: Runtime;
let metrics: BotMetrics;
let http: HttpServerHandle;

beforeAll(async () => {
  emulator = await startUpstreamEmulator({ token: SECRET_TOKEN });
  const config = loadConfig({
    ACEDATA_API_TOKEN: SECRET_TOKEN,
    ACEDATA_BASE_URL: emulator.url,
    STORE_URL: 'memory://',
    RATE_LIMIT_PER_MINUTE: '0',
    UPSTREAM_MAX_RETRIES: '0',
  });
  // Debug level, so the test also sees what is logged below info and can tell the levels apart.
  const logger = createLogger('debug', destination);
  metrics = new BotMetrics({ processMetrics: false });
  runtime = await createRuntime(config, logger, { metrics, storeProbeIntervalMs: 60_000 });
  http = await startHttpServer({ port: 0, host: '127.0.0.1' });
  mountMetricsRoute(http, () => metrics.render());
});

afterAll(async () => {
  await runtime?.close();
  await http?.close();
  await emulator?.close();
});

async function scrape(): Promise<string> {
  const response = await fetch(`${http.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return response.text();
}

/** The value of one series line, e.g. `gcb_replies_total{platform="slack",outcome="done"}`. */
function seriesValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('a real turn is measured and logged without secrets or message text at info', () => {
  it('answers, and /metrics shows the reply, its latencies, tokens and platform messages', async () => {
    const sink = new MemorySink({}, 1);
    const outcome = await runtime.engine.handleTurn(
      { key, author, text: `${PROMPT} [slow]`, attachments: [], messageIds: ['m-user-1'] },
      sink,
    );
    expect(outcome.status).toBe('done');
    expect(sink.shown).toContain('Echo: my confidential');

    const text = await scrape();
    expect(seriesValue(text, 'gcb_replies_total{platform="slack",outcome="done"}')).toBe(1);
    expect(seriesValue(text, 'gcb_turns_started_total{platform="slack"}')).toBe(1);
    expect(seriesValue(text, 'gcb_reply_duration_seconds_count{platform="slack",outcome="done"}')).toBe(1);
    expect(seriesValue(text, 'gcb_turn_first_content_seconds_count{platform="slack"}')).toBe(1);
    expect(seriesValue(text, 'gcb_upstream_first_byte_seconds_count')).toBe(1);
    expect(seriesValue(text, 'gcb_upstream_first_content_seconds_count')).toBe(1);
    expect(seriesValue(text, 'gcb_upstream_requests_total{outcome="ok"}')).toBe(1);
    expect(seriesValue(text, 'gcb_upstream_queue_wait_seconds_count')).toBe(1);
    // The emulator's usage block: prompt tokens from the messages, reasoning from its two deltas.
    expect(seriesValue(text, 'gcb_tokens_total{platform="slack",kind="prompt"}')).toBeGreaterThan(0);
    expect(seriesValue(text, 'gcb_tokens_total{platform="slack",kind="completion"}')).toBeGreaterThan(0);
    expect(seriesValue(text, 'gcb_tokens_total{platform="slack",kind="reasoning"}')).toBeGreaterThan(0);
    expect(seriesValue(text, 'gcb_platform_messages_total{platform="slack",kind="post"}')).toBe(sink.posts);
    expect(seriesValue(text, 'gcb_platform_messages_total{platform="slack",kind="edit"}')).toBe(sink.edits);
    expect(seriesValue(text, 'gcb_platform_rate_limited_total{platform="slack"}')).toBe(1);
    expect(seriesValue(text, 'gcb_active_streams')).toBe(0);
    expect(seriesValue(text, 'gcb_upstream_queue_length')).toBe(0);
    expect(seriesValue(text, 'gcb_store_up')).toBe(1);
    expect(seriesValue(text, 'gcb_store_latency_seconds_count{operation="ping"}')).toBeGreaterThanOrEqual(1);
  });

  it('counts a failed upstream call by its code', async () => {
    const sink = new MemorySink();
    const outcome = await runtime.engine.handleTurn(
      { key, author, text: `${PROMPT} [fault:500]`, attachments: [], messageIds: ['m-user-2'] },
      sink,
    );
    expect(outcome.status).toBe('failed');
    const text = await scrape();
    expect(seriesValue(text, 'gcb_replies_total{platform="slack",outcome="failed"}')).toBe(1);
    expect(seriesValue(text, 'gcb_upstream_requests_total{outcome="api_error"}')).toBe(1);
  });

  it('logs the turn with its conversation, platform and the trace id of a failure', () => {
    const answered = lines.find((l) => l.msg === 'turn answered');
    expect(answered).toMatchObject({ conversation: `slack:T1:C1:${key.thread}`, platform: 'slack' });
    const failed = lines.find((l) => l.msg === 'turn failed');
    expect(failed).toMatchObject({ platform: 'slack', code: 'api_error' });
    expect(typeof failed?.traceId).toBe('string');
  });

  it('counts a stored or changed rating in gcb_feedback_total and logs it without the text', async () => {
    const outcome = await runtime.engine.handleTurn(
      { key, author, text: PROMPT, attachments: [], messageIds: ['m-user-3'] },
      new MemorySink(),
    );
    if (outcome.status !== 'done') throw new Error(`turn ${outcome.status}`);
    const messageId = outcome.messageIds.at(-1)!;
    const rate = (rating: 'positive' | 'negative') =>
      runtime.engine.rateAnswer({ platform: 'slack', messageId, userId: 'U2', rating });
    await rate('positive');
    await rate('positive');
    await rate('negative');
    const text = await scrape();
    expect(seriesValue(text, 'gcb_feedback_total{platform="slack",rating="positive"}')).toBe(1);
    expect(seriesValue(text, 'gcb_feedback_total{platform="slack",rating="negative"}')).toBe(1);
    const rated = lines.filter((l) => l.msg === 'answer rated');
    expect(rated.map((l) => l.write)).toEqual(['new', 'unchanged', 'changed']);
    expect(rated[0]).toMatchObject({ conversation: `slack:T1:C1:${key.thread}`, rating: 'positive' });
    expect(typeof rated[0]?.traceId).toBe('string');
  });

  it('never writes the API token anywhere, nor the message text at info or above', () => {
    expect(lines.length).toBeGreaterThan(2);
    const all = lines.map((l) => JSON.stringify(l));
    expect(all.filter((l) => l.includes(SECRET_TOKEN))).toEqual([]);
    const infoAndAbove = lines.filter((l) => l.level >= 30).map((l) => JSON.stringify(l));
    expect(infoAndAbove.filter((l) => l.includes('confidential') || l.includes('4711'))).toEqual([]);
    expect(infoAndAbove.filter((l) => l.includes('Echo:'))).toEqual([]);
  });
});
