/**
 * Store measurements: a `Store` decorator that times the wait for an upstream slot (the fair queue
 * behind the per-token concurrency cap), and a probe that pings the store on an interval so
 * `gcb_store_latency_seconds{operation="ping"}` and `gcb_store_up` show a slow or dead store even
 * when no one is chatting.
 */
import { isAbort } from '../errors.js';
import type { Logger } from '../log.js';
import type { ConcurrencyGate, Store } from '../store/types.js';
import type { BotMetrics } from './metrics.js';

/** The same store, with `upstreamGate.acquire` timed into `gcb_upstream_queue_wait_seconds`. */
export function meterStore(store: Store, metrics: BotMetrics): Store {
  const gate = store.upstreamGate;
  const meteredGate: ConcurrencyGate = {
    async acquire(options) {
      const startedAt = performance.now();
      try {
        const release = await gate.acquire(options);
        metrics.queueWaitSeconds.observe((performance.now() - startedAt) / 1000);
        return release;
      } catch (error) {
        if (!isAbort(error)) metrics.storeErrors.inc({ operation: 'gate' });
        throw error;
      }
    },
    queueLength: () => gate.queueLength(),
  };
  // Every backend's members are plain data properties, so a spread copies them as they are;
  // the two methods are forwarded, not copied, in case a backend keeps them on a prototype.
  return {
    ...store,
    upstreamGate: meteredGate,
    ping: () => store.ping(),
    close: () => store.close(),
  };
}

/** Pings the store every `intervalMs` (and once at once); returns a function that stops it. */
export function startStoreProbe(
  store: Pick<Store, 'ping'>,
  metrics: BotMetrics,
  options: { intervalMs?: number; logger?: Logger } = {},
): () => void {
  const intervalMs = options.intervalMs ?? 10_000;
  let wasUp: boolean | undefined;
  let running = false;
  const probe = async () => {
    if (running) return; // a hung ping must not pile up probes behind it
    running = true;
    const startedAt = performance.now();
    try {
      await store.ping();
      metrics.storeLatencySeconds.observe({ operation: 'ping' }, (performance.now() - startedAt) / 1000);
      metrics.storeUp.set(1);
      if (wasUp === false) options.logger?.info('store reachable again');
      wasUp = true;
    } catch (error) {
      metrics.storeUp.set(0);
      metrics.storeErrors.inc({ operation: 'ping' });
      if (wasUp !== false) {
        options.logger?.error({ err: error }, 'store unavailable: turns will fail until it returns');
      }
      wasUp = false;
    } finally {
      running = false;
    }
  };
  void probe();
  const timer = setInterval(() => void probe(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
