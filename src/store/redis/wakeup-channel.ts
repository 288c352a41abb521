/**
 * Wake-ups between instances: a lock or upstream slot freed on one instance wakes the waiters on
 * the others at once (one PUBLISH per release), instead of leaving the slot idle until their next
 * poll. A message is a line `<origin> all`, then one topic per line; an instance ignores its own
 * (it woke its local waiters directly). The gate's release script publishes too (scripts.ts). Heard on a connection of its own, since a subscribed connection can run no
 * other command. Losing a message costs one poll interval, never correctness.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../log.js';
import type { RedisConnection, Subscription } from './connection.js';
import type { LocalWakeups } from './waiting.js';

/** Subscribes `wakeups` to `channel` and has it publish its own wake-ups there. */
export async function connectWakeups(
  redis: RedisConnection,
  channel: string,
  wakeups: LocalWakeups,
  logger?: Logger,
): Promise<Subscription> {
  const instance = randomUUID();
  const subscription = await redis.subscribe(channel, (message) => {
    const [header = '', ...topics] = message.split('\n');
    const [origin, mode] = header.split(' ');
    if (mode !== 'all' || origin === instance) return;
    for (const topic of topics) if (topic !== '') wakeups.heard(topic);
  });
  let lastWarned = 0;
  wakeups.connect(
    (topic: string) => {
      redis
        .run('a wake-up', (client) => client.publish(channel, `${instance} all\n${topic}`))
        .catch((err: unknown) => {
          // Waiters elsewhere fall back to polling; one line a minute is enough to say so.
          if (Date.now() - lastWarned < 60_000) return;
          lastWarned = Date.now();
          logger?.warn({ err }, 'could not publish a wake-up; other instances will poll');
        });
    },
    { name: channel, origin: instance },
  );
  return subscription;
}
