import { afterEach, describe, expect, it } from 'vitest';
import { isAbort, StoreUnavailableError } from '../../src/errors.js';
import { meterStore } from '../../src/ops/metered-store.js';
import { BotMetrics } from '../../src/ops/metrics.js';
import { createStore } from '../../src/store/create-store.js';
import type { ConcurrencyGate, Store } from '../../src/store/types.js';

const opened: Store[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

async function memoryStore(maxConcurrency = 1): Promise<Store> {
  const store = await createStore({ url: 'memory://', prefix: 'metered-store-test', maxConcurrency });
  opened.push(store);
  return store;
}

/** The value of one series line of the exposition, e.g. `gcb_store_errors_total{operation="gate"}`. */
async function seriesValue(metrics: BotMetrics, series: string): Promise<number | undefined> {
  const { text } = await metrics.render();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('meterStore: the same store with the upstream gate timed', () => {
  it('hands out the very same members, only the gate wrapped, and forwards ping and close', async () => {
    const store = await memoryStore();
    const metered = meterStore(store, new BotMetrics({ processMetrics: false }));
    for (const member of Object.keys(store) as Array<keyof Store>) {
      if (member === 'upstreamGate' || member === 'ping' || member === 'close') continue;
      expect(metered[member], member).toBe(store[member]);
    }
    expect(metered.upstreamGate).not.toBe(store.upstreamGate);
    await expect(metered.ping()).resolves.toBeUndefined();
    await metered.close();
    await expect(metered.close()).resolves.toBeUndefined(); // the store's own once-only close
  });

  it('forwards methods a backend keeps on its prototype, with their receiver', async () => {
    const { ping: _ping, close: _close, ...members } = await memoryStore();
    class PrototypeStore {
      pings = 0;
      constructor() {
        Object.assign(this, members);
      }
      async ping(): Promise<void> {
        this.pings += 1;
      }
      async close(): Promise<void> {}
    }
    const backend = new PrototypeStore();
    const metered = meterStore(backend as unknown as Store, new BotMetrics({ processMetrics: false }));
    await metered.ping();
    expect(backend.pings).toBe(1);
  });

  it('times granted slots, counts a failing gate, and does not count a cancelled wait as an error', async () => {
    const store = await memoryStore(1);
    const metrics = new BotMetrics({ processMetrics: false });
    const metered = meterStore(store, metrics);

    const release = await metered.upstreamGate.acquire();
    const cancel = new AbortController();
    const waiting = metered.upstreamGate.acquire({ signal: cancel.signal });
    expect(metered.upstreamGate.queueLength()).toBe(1);
    cancel.abort();
    expect(isAbort(await waiting.catch((error: unknown) => error))).toBe(true);
    await release();
    expect(await seriesValue(metrics, 'gcb_upstream_queue_wait_seconds_count')).toBe(1);
    expect(await seriesValue(metrics, 'gcb_store_errors_total{operation="gate"}')).toBeUndefined();

    const failingGate: ConcurrencyGate = {
      acquire: () => Promise.reject(new StoreUnavailableError('redis is gone')),
      queueLength: () => 0,
    };
    const broken = meterStore({ ...store, upstreamGate: failingGate }, metrics);
    await expect(broken.upstreamGate.acquire()).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await seriesValue(metrics, 'gcb_store_errors_total{operation="gate"}')).toBe(1);
  });
});
