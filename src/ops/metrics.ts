/**
 * The bot's Prometheus metrics (prom-client), on its own Registry so tests and several runtimes in
 * one process never collide on the global one. The engine reports through `EngineObserver`, the
 * upstream client and the store through the decorators in metered-upstream.ts and metered-store.ts;
 * this file only defines the series and how they are fed. Names start with `gcb_`.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { EngineObserver } from '../engine/engine.js';
import type { PlatformName } from '../store/types.js';
import type { Usage } from '../upstream/types.js';
import type { HttpRoutes } from './http-server.js';

/** Seconds: from tens of milliseconds (first byte on a warm socket) to minutes (reasoning models). */
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300];
/** Seconds: store round trips are sub-millisecond on a LAN and seconds when something is wrong. */
const STORE_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2];
/** Seconds waited for a free upstream slot (0 when the gate was open). */
const QUEUE_BUCKETS = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];

/** Live values read at scrape time rather than pushed. */
export interface MetricSources {
  /** Turns holding their conversation lock in this process now (`engine.activeStreams`). */
  activeStreams?: () => number;
  /** Turns waiting for an upstream slot in this process (`store.upstreamGate.queueLength()`). */
  queueLength?: () => number;
}

export interface BotMetricsOptions {
  /** Also collect Node's process metrics (CPU, memory, event loop lag). Default true. */
  processMetrics?: boolean;
  /** Labels put on every series, e.g. `{ shard: '0' }` in a shard process. */
  defaultLabels?: Record<string, string>;
}

/** Every series the bot exports, and the hooks that feed them. */
export class BotMetrics {
  readonly registry = new Registry();
  readonly replies: Counter<'platform' | 'outcome'>;
  readonly turnsStarted: Counter<'platform'>;
  readonly replySeconds: Histogram<'platform' | 'outcome'>;
  readonly turnFirstContentSeconds: Histogram<'platform'>;
  readonly upstreamFirstByteSeconds: Histogram;
  readonly upstreamFirstContentSeconds: Histogram;
  readonly upstreamRequests: Counter<'outcome'>;
  readonly tokens: Counter<'platform' | 'kind'>;
  readonly platformMessages: Counter<'platform' | 'kind'>;
  readonly platformRateLimits: Counter<'platform'>;
  readonly queueWaitSeconds: Histogram;
  readonly storeLatencySeconds: Histogram<'operation'>;
  readonly storeUp: Gauge;
  readonly storeErrors: Counter<'operation'>;
  readonly budgetRefusals: Counter<'platform' | 'scope' | 'period'>;
  readonly modelFallbacks: Counter<'from' | 'to'>;
  readonly feedback: Counter<'platform' | 'rating'>;
  readonly summaries: Counter<'platform'>;
  private sources: MetricSources = {};

  constructor(options: BotMetricsOptions = {}) {
    const registers = [this.registry];
    if (options.defaultLabels) this.registry.setDefaultLabels(options.defaultLabels);
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'gcb_' });

    this.replies = new Counter({
      name: 'gcb_replies_total',
      help: 'Turns that started a reply and ended, by platform and outcome (done, stopped, failed).',
      labelNames: ['platform', 'outcome'],
      registers,
    });
    this.turnsStarted = new Counter({
      name: 'gcb_turns_started_total',
      help: 'Turns that passed the checks and started a reply.',
      labelNames: ['platform'],
      registers,
    });
    this.replySeconds = new Histogram({
      name: 'gcb_reply_duration_seconds',
      help: 'From the turn reaching the engine to its end, answer saved (lock and queue waits included).',
      labelNames: ['platform', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.turnFirstContentSeconds = new Histogram({
      name: 'gcb_turn_first_content_seconds',
      help: 'From the turn reaching the engine to its first content token (what the user waits for).',
      labelNames: ['platform'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.upstreamFirstByteSeconds = new Histogram({
      name: 'gcb_upstream_first_byte_seconds',
      help: 'From an upstream stream opened to its first event (reasoning or content), retries included.',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.upstreamFirstContentSeconds = new Histogram({
      name: 'gcb_upstream_first_content_seconds',
      help: 'From an upstream stream opened to its first content token (reasoning time and retries included).',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.upstreamRequests = new Counter({
      name: 'gcb_upstream_requests_total',
      help: 'Upstream streams ended, by outcome: ok, aborted, the UpstreamError code, or error.',
      labelNames: ['outcome'],
      registers,
    });
    this.tokens = new Counter({
      name: 'gcb_tokens_total',
      help: 'Tokens the upstream reported for turns that ended, by kind (prompt, completion, reasoning; completion includes reasoning).',
      labelNames: ['platform', 'kind'],
      registers,
    });
    this.platformMessages = new Counter({
      name: 'gcb_platform_messages_total',
      help: 'Reply messages posted or edited on the chat platform by turns that ended, by kind (post, edit).',
      labelNames: ['platform', 'kind'],
      registers,
    });
    this.platformRateLimits = new Counter({
      name: 'gcb_platform_rate_limited_total',
      help: 'Rate-limit answers (429) the chat platform gave to the posts and edits of turns that ended.',
      labelNames: ['platform'],
      registers,
    });
    this.queueWaitSeconds = new Histogram({
      name: 'gcb_upstream_queue_wait_seconds',
      help: 'Time a turn waited for the upstream slot it got (the per-token concurrency cap); cancelled waits are not observed.',
      buckets: QUEUE_BUCKETS,
      registers,
    });
    this.storeLatencySeconds = new Histogram({
      name: 'gcb_store_latency_seconds',
      help: 'Round trips of the periodic store ping (operation="ping").',
      labelNames: ['operation'],
      buckets: STORE_BUCKETS,
      registers,
    });
    this.storeUp = new Gauge({
      name: 'gcb_store_up',
      help: '1 when the last store ping succeeded, 0 when it failed.',
      registers,
    });
    this.storeErrors = new Counter({
      name: 'gcb_store_errors_total',
      help: 'Store pings and upstream-slot requests that failed, by operation (ping, gate); a cancelled wait is not an error.',
      labelNames: ['operation'],
      registers,
    });
    this.budgetRefusals = new Counter({
      name: 'gcb_budget_refusals_total',
      help: 'Turns refused because a spend budget was used up, by scope (user, space) and period (day, month).',
      labelNames: ['platform', 'scope', 'period'],
      registers,
    });
    this.modelFallbacks = new Counter({
      name: 'gcb_model_fallbacks_total',
      help: 'Turns tried on the fallback model (MODEL_FALLBACKS) after a 429/5xx before the first byte.',
      labelNames: ['from', 'to'],
      registers,
    });
    this.feedback = new Counter({
      name: 'gcb_feedback_total',
      help: 'Ratings of answers stored or changed, by platform and rating (positive, negative).',
      labelNames: ['platform', 'rating'],
      registers,
    });
    this.summaries = new Counter({
      name: 'gcb_summaries_total',
      help: 'Catch-up summaries asked for (commands and shortcuts), whether or not there was anything to summarize.',
      labelNames: ['platform'],
      registers,
    });
    const sources = () => this.sources;
    new Gauge({
      name: 'gcb_active_streams',
      help: 'Turns holding their conversation lock in this process now (preparing, queued for a slot or streaming).',
      registers,
      collect() {
        this.set(sources().activeStreams?.() ?? 0);
      },
    });
    new Gauge({
      name: 'gcb_upstream_queue_length',
      help: 'Turns in this process waiting for an upstream slot now.',
      registers,
      collect() {
        this.set(sources().queueLength?.() ?? 0);
      },
    });
  }

  /** Connects the gauges that are read at scrape time (call once the engine and store exist). */
  bind(sources: MetricSources): void {
    this.sources = { ...this.sources, ...sources };
  }

  /** The hooks to give `ConversationEngine` (through `createRuntime`). */
  readonly observer: EngineObserver = {
    turnStarted: (platform) => this.turnsStarted.inc({ platform }),
    firstContent: (platform, ms) => this.turnFirstContentSeconds.observe({ platform }, ms / 1000),
    turnFinished: (platform, outcome, info) => {
      this.replies.inc({ platform, outcome });
      this.replySeconds.observe({ platform, outcome }, info.ms / 1000);
      if (info.usage) this.countTokens(platform, info.usage);
      if (info.posts > 0) this.platformMessages.inc({ platform, kind: 'post' }, info.posts);
      if (info.edits > 0) this.platformMessages.inc({ platform, kind: 'edit' }, info.edits);
      if (info.rateLimits > 0) this.platformRateLimits.inc({ platform }, info.rateLimits);
    },
    budgetRefused: (platform, scope, period) => this.budgetRefusals.inc({ platform, scope, period }),
    modelFallback: (from, to) => this.modelFallbacks.inc({ from, to }),
    feedback: (platform, rating) => this.feedback.inc({ platform, rating }),
    summaryRequested: (platform) => this.summaries.inc({ platform }),
  };

  /** The Prometheus text exposition of this registry, with its content type. */
  async render(): Promise<{ text: string; contentType: string }> {
    return { text: await this.registry.metrics(), contentType: this.registry.contentType };
  }

  private countTokens(platform: PlatformName, usage: Usage): void {
    this.tokens.inc({ platform, kind: 'prompt' }, usage.promptTokens);
    // completion_tokens includes the reasoning tokens; the reasoning series shows how many of them.
    this.tokens.inc({ platform, kind: 'completion' }, usage.completionTokens);
    this.tokens.inc({ platform, kind: 'reasoning' }, usage.reasoningTokens);
  }
}

/** Serves GET /metrics from `render` (this registry, or the shard manager's merged view). */
export function mountMetricsRoute(
  http: HttpRoutes,
  render: () => Promise<{ text: string; contentType: string }>,
): void {
  http.route('GET', '/metrics', async (_req, res) => {
    const { text, contentType } = await render();
    res.writeHead(200, { 'content-type': contentType }).end(text);
  });
}
