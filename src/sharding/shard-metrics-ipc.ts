/**
 * Metrics across shard processes. Each shard child keeps its own prom-client Registry; the manager
 * process owns the one HTTP port, so on every scrape it asks each child for its metrics over the
 * IPC channel ShardingManager opened, and merges them with its own through prom-client's
 * `AggregatorRegistry.aggregate` (counters and histograms summed per label set; shard children
 * label their series with `shard`, so per-shard values stay apart).
 */

import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  AggregatorRegistry,
  type MetricObjectWithValues,
  type MetricValue,
  type Registry,
} from 'prom-client';

type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

interface MetricsRequest {
  gcbMetricsRequest: string;
}
interface MetricsAnswer {
  gcbMetricsAnswer: string;
  metrics: MetricsJson;
}

/** In a shard child: answers the manager's metrics requests with `registry`'s content. */
export function serveMetricsToManager(registry: Registry): void {
  if (!process.send) return;
  process.on('message', (message: unknown) => {
    const id = (message as Partial<MetricsRequest> | null)?.gcbMetricsRequest;
    if (typeof id !== 'string') return;
    void registry.getMetricsAsJSON().then((metrics) => {
      const answer: MetricsAnswer = { gcbMetricsAnswer: id, metrics };
      process.send?.(answer);
    });
  });
}

/** In the manager: one child's metrics, or undefined if it does not answer within `timeoutMs`. */
export function requestChildMetrics(
  child: ChildProcess,
  timeoutMs: number,
): Promise<MetricsJson | undefined> {
  if (!child.connected) return Promise.resolve(undefined);
  const id = randomUUID();
  return new Promise((resolve) => {
    const finish = (value: MetricsJson | undefined) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(value);
    };
    const onMessage = (message: unknown) => {
      const answer = message as Partial<MetricsAnswer> | null;
      if (answer?.gcbMetricsAnswer === id) finish(answer.metrics);
    };
    const onExit = () => finish(undefined);
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
    const request: MetricsRequest = { gcbMetricsRequest: id };
    child.send(request, (error) => {
      if (error) finish(undefined);
    });
  });
}

/** The manager's own registry merged with whatever its children answered, as Prometheus text. */
export async function aggregateMetricsText(
  own: Registry,
  children: ChildProcess[],
  timeoutMs = 2_000,
): Promise<{ text: string; contentType: string }> {
  const answers = await Promise.all(children.map((child) => requestChildMetrics(child, timeoutMs)));
  const all = [await own.getMetricsAsJSON(), ...answers.filter((a): a is MetricsJson => a !== undefined)];
  const merged = AggregatorRegistry.aggregate(all);
  return { text: await merged.metrics(), contentType: merged.contentType };
}
