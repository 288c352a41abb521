/**
 * The spend-budget counters (store.spend) on every backend: concurrent adds are never lost, two
 * stores sharing Redis add to the same counters, and a period's counter expires after its end.
 */
import { createClient } from '@redis/client';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS, BackendFixture, REDIS_URL } from './backends.js';

let fixture: BackendFixture | undefined;

afterEach(async () => {
  await fixture?.cleanup();
  fixture = undefined;
});

describe.each(BACKENDS)('spend counters on %s', (backend) => {
  it('adds concurrently without losing a token and reads unknown counters as 0', async () => {
    fixture = new BackendFixture(backend);
    const store = await fixture.open();
    const expiresAt = Date.now() + 60_000;
    const counters = [
      { id: 'user:slack:U1:day:2026-12-01', expiresAt },
      { id: 'space:slack:T1:day:2026-12-01', expiresAt },
    ];
    const totals = await Promise.all(Array.from({ length: 25 }, () => store.spend.add(counters, 7)));
    // Every add saw a different running total: none was lost or applied twice.
    expect(new Set(totals.map(([user]) => user)).size).toBe(25);
    expect(
      await store.spend.read([counters[0]!.id, counters[1]!.id, 'user:slack:U2:day:2026-12-01']),
    ).toEqual([175, 175, 0]);
  });
});

describe('spend counters on Redis across instances', () => {
  it('are one counter for two stores, expiring at the period end', async () => {
    fixture = new BackendFixture('redis');
    const [a, b] = [await fixture.open(), await fixture.open()];
    const expiresAt = Date.now() + 30_000;
    const counter = { id: 'user:discord:1:month:2026-12', expiresAt };
    await Promise.all(
      Array.from({ length: 20 }, (_, index) => (index % 2 === 0 ? a : b).spend.add([counter], 5)),
    );
    expect(await a.spend.read([counter.id])).toEqual([100]);
    expect(await b.spend.read([counter.id])).toEqual([100]);

    const client = createClient({ url: REDIS_URL });
    await client.connect();
    try {
      const ttl = await client.pTTL(`${fixture.prefix}:usage:spend:${counter.id}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(30_000);
    } finally {
      client.destroy();
    }
  });
});
