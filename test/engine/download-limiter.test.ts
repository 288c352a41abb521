import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { DownloadLimiter } from '../../src/engine/download-limiter.js';

/** A task that runs until the test lets it finish. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, task: () => opened };
}

describe('DownloadLimiter', () => {
  it('runs at most its limit at once, the rest in arrival order', async () => {
    const limiter = new DownloadLimiter(2);
    const gates = [gate(), gate(), gate()];
    const started: number[] = [];
    const runs = gates.map((g, index) =>
      limiter.run(async () => {
        started.push(index);
        await g.task();
        return index;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    gates[1]!.open();
    await runs[1];
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    gates[0]!.open();
    gates[2]!.open();
    expect(await Promise.all(runs)).toEqual([0, 1, 2]);
    // Both slots are free again: two new tasks start at once.
    const again = [gate(), gate()];
    const restarted = again.map((g, index) =>
      limiter.run(async () => {
        started.push(10 + index);
        await g.task();
      }),
    );
    await Promise.resolve();
    expect(started.slice(3)).toEqual([10, 11]);
    for (const g of again) g.open();
    await Promise.all(restarted);
  });

  it('a cancelled turn leaves the queue with one abort listener however many of its files wait', async () => {
    const limiter = new DownloadLimiter(1);
    const blocker = gate();
    const running = limiter.run(blocker.task);
    const controller = new AbortController();
    let ran = 0;
    const queued = Array.from({ length: 20 }, () =>
      limiter.run(async () => {
        ran += 1;
      }, controller.signal),
    );
    // Twenty listeners on one turn's signal is what Node warns about as a leak.
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    const reason = new DOMException('Stopped by the user', 'AbortError');
    controller.abort(reason);
    // Rejected while the one slot is still taken: they left the line instead of waiting for it.
    for (const run of queued) await expect(run).rejects.toBe(reason);
    blocker.open();
    await running;
    expect(ran).toBe(0);
    // The slot is free again for the next turn.
    await expect(limiter.run(async () => 'next')).resolves.toBe('next');
  });

  it('stops listening to a signal once none of its downloads wait any more', async () => {
    const limiter = new DownloadLimiter(1);
    const blocker = gate();
    const running = limiter.run(blocker.task);
    const controller = new AbortController();
    const queued = [
      limiter.run(async () => 1, controller.signal),
      limiter.run(async () => 2, controller.signal),
    ];
    blocker.open();
    await running;
    expect(await Promise.all(queued)).toEqual([1, 2]);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
