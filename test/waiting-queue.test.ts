import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WaitingQueue } from '../src/waiting-queue.js';

/** Records what each named wait settled with, in the order they settled. */
function recorder() {
  const settled: string[] = [];
  const track = (name: string, wait: Promise<boolean>): Promise<void> =>
    wait.then(
      (admitted) => {
        settled.push(`${name}:${admitted ? 'admitted' : 'timed out'}`);
      },
      (reason: unknown) => {
        settled.push(`${name}:rejected ${(reason as Error).message}`);
      },
    );
  return { settled, track };
}

/** Lets every settled promise's callbacks run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('WaitingQueue', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('admits one waiter at a time, first come first served', async () => {
    const queue = new WaitingQueue();
    const { settled, track } = recorder();
    for (const name of ['a', 'b', 'c']) void track(name, queue.wait());
    expect(queue.length).toBe(3);
    expect(queue.admitNext()).toBe(true);
    await flush();
    expect(settled).toEqual(['a:admitted']);
    expect(queue.admitNext()).toBe(true);
    expect(queue.admitNext()).toBe(true);
    await flush();
    expect(settled).toEqual(['a:admitted', 'b:admitted', 'c:admitted']);
    expect(queue.admitNext()).toBe(false);
    expect(queue.length).toBe(0);
  });

  it('an abort while queued rejects with the signal’s reason and the next admission skips that waiter', async () => {
    const queue = new WaitingQueue();
    const { settled, track } = recorder();
    const controller = new AbortController();
    void track('a', queue.wait());
    void track('b', queue.wait({ signal: controller.signal }));
    void track('c', queue.wait());
    const reason = new Error('stopped');
    controller.abort(reason);
    await flush();
    expect(settled).toEqual(['b:rejected stopped']);
    expect(queue.length).toBe(2);
    queue.admitNext();
    queue.admitNext();
    await flush();
    expect(settled).toEqual(['b:rejected stopped', 'a:admitted', 'c:admitted']);
    await expect(
      queue.wait({ signal: controller.signal }),
      'a signal aborted before joining never joins',
    ).rejects.toBe(reason);
    expect(queue.length).toBe(0);
  });

  it('every waiter of an aborted signal leaves, with one listener on it however many wait', async () => {
    const queue = new WaitingQueue();
    const turn = new AbortController();
    const other = queue.wait();
    const files = Array.from({ length: 20 }, () => queue.wait({ signal: turn.signal }));
    // Twenty listeners on one turn's signal is what Node warns about as a leak.
    expect(getEventListeners(turn.signal, 'abort')).toHaveLength(1);
    const reason = new DOMException('Stopped by the user', 'AbortError');
    turn.abort(reason);
    for (const file of files) await expect(file).rejects.toBe(reason);
    expect(queue.length).toBe(1);
    queue.admitNext();
    await expect(other).resolves.toBe(true);
  });

  it('stops listening to a signal once none of its waiters wait any more', async () => {
    const queue = new WaitingQueue();
    const turn = new AbortController();
    const waits = [queue.wait({ signal: turn.signal }), queue.wait({ signal: turn.signal })];
    queue.admitNext();
    expect(getEventListeners(turn.signal, 'abort')).toHaveLength(1);
    queue.admitNext();
    expect(getEventListeners(turn.signal, 'abort')).toHaveLength(0);
    expect(await Promise.all(waits)).toEqual([true, true]);
    // Aborting after admission changes nothing for anyone.
    turn.abort(new Error('late'));
    expect(queue.length).toBe(0);
  });

  it('a timeout resolves false and leaves the line; an admission before it clears the timer', async () => {
    vi.useFakeTimers();
    const queue = new WaitingQueue();
    const { settled, track } = recorder();
    void track('patient', queue.wait());
    void track('hasty', queue.wait({ timeoutMs: 1_000 }));
    void track('late', queue.wait());
    void track('admitted in time', queue.wait({ timeoutMs: 5_000 }));
    await vi.advanceTimersByTimeAsync(999);
    expect(settled).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(settled).toEqual(['hasty:timed out']);
    expect(queue.length).toBe(3);
    queue.admitNext();
    queue.admitNext();
    queue.admitNext();
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toEqual([
      'hasty:timed out',
      'patient:admitted',
      'late:admitted',
      'admitted in time:admitted',
    ]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('tells each waiter its place when it joins and each time it moves up; a throwing listener changes nothing', async () => {
    const queue = new WaitingQueue();
    const heard: Record<string, number[]> = { a: [], b: [], c: [] };
    const leaving = new AbortController();
    const a = queue.wait({ onPosition: (position) => heard.a!.push(position) });
    const b = queue.wait({
      signal: leaving.signal,
      onPosition: (position) => {
        heard.b!.push(position);
        throw new Error('a broken display');
      },
    });
    const c = queue.wait({ onPosition: (position) => heard.c!.push(position) });
    expect(heard).toEqual({ a: [1], b: [2], c: [3] });
    leaving.abort(new Error('gone'));
    await expect(b).rejects.toThrow('gone');
    expect(heard).toEqual({ a: [1], b: [2], c: [3, 2] });
    queue.admitNext();
    expect(heard).toEqual({ a: [1], b: [2], c: [3, 2, 1] });
    queue.admitNext();
    expect(await Promise.all([a, c])).toEqual([true, true]);
  });

  it('admitAll wakes everyone waiting now, not those who join after', async () => {
    const queue = new WaitingQueue();
    const first = [queue.wait(), queue.wait()];
    expect(queue.admitAll()).toBe(2);
    const later = queue.wait();
    expect(await Promise.all(first)).toEqual([true, true]);
    expect(queue.length).toBe(1);
    queue.admitNext();
    await expect(later).resolves.toBe(true);
  });
});
