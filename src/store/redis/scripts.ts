/**
 * The Lua scripts behind Redis coordination. Each runs atomically on the server, so checking and
 * changing a lock, a queue or a window never races another instance. Time comes from the server's
 * TIME (Redis 7 replicates script effects), so instances with skewed clocks agree on expiry.
 */

/** Milliseconds from the server clock; prepended to the scripts that need "now". */
const NOW = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
`;

/**
 * Drops waiters that stopped polling (their process died) from a FIFO ticket queue, so a crashed
 * waiter never blocks the ones behind it. KEYS: queue (score = arrival), waiters (score = expiry).
 */
const FORGET_DEAD_WAITERS = `
local function forgetDeadWaiters(queue, waiters, now)
  local dead = redis.call('ZRANGEBYSCORE', waiters, '-inf', now)
  for _, ticket in ipairs(dead) do
    redis.call('ZREM', queue, ticket)
    redis.call('ZREM', waiters, ticket)
  end
end
`;

/**
 * Try to take a conversation lock in FIFO order.
 * KEYS: lock, queue, waiters, ticket sequence, fencing counter. ARGV: ticket, ttlMs, waiterTtlMs.
 * Returns the fencing token (> 0) when taken, 0 when the caller must wait (it is then queued).
 */
export const LOCK_TRY_ACQUIRE = `${NOW}${FORGET_DEAD_WAITERS}
local lock, queue, waiters, sequence, fence = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local ticket, ttl, waiterTtl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
forgetDeadWaiters(queue, waiters, now)
local rank = redis.call('ZRANK', queue, ticket)
if (rank == 0 or (not rank and redis.call('ZCARD', queue) == 0))
    and redis.call('SET', lock, ticket, 'NX', 'PX', ttl) then
  redis.call('ZREM', queue, ticket)
  redis.call('ZREM', waiters, ticket)
  return redis.call('INCR', fence)
end
if not rank then redis.call('ZADD', queue, redis.call('INCR', sequence), ticket) end
redis.call('ZADD', waiters, now + waiterTtl, ticket)
redis.call('PEXPIRE', queue, waiterTtl * 2)
redis.call('PEXPIRE', waiters, waiterTtl * 2)
return 0
`;

/** Extends the lock's expiry if the caller still holds it. KEYS: lock. ARGV: ticket, ttlMs. */
export const LOCK_RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;

/** Deletes the lock only if the caller still holds it. KEYS: lock. ARGV: ticket. */
export const LOCK_RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/**
 * Sliding-window hit. KEYS: the window's sorted set. ARGV: limit, windowMs, unique member.
 * Returns {1, 0} when allowed (and recorded) or {0, retryAfterMs} when refused (not recorded).
 */
export const RATE_HIT = `${NOW}
local key, limit, window = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return {0, math.max(1, tonumber(oldest[2]) + window - now)}
end
redis.call('ZADD', key, now, ARGV[3])
redis.call('PEXPIRE', key, window)
return {1, 0}
`;

/**
 * Try to take an upstream slot, fairly. KEYS: holders (score = lease expiry), queue, waiters,
 * ticket sequence. ARGV: ticket, capacity, leaseMs, waiterTtlMs.
 * Returns 0 when admitted, otherwise the caller's 1-based position among those who must wait.
 */
export const GATE_TRY_ACQUIRE = `${NOW}${FORGET_DEAD_WAITERS}
local holders, queue, waiters, sequence = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local ticket, capacity = ARGV[1], tonumber(ARGV[2])
local lease, waiterTtl = tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', holders, '-inf', now)
-- A release may have handed this ticket a slot already (GATE_RELEASE).
if redis.call('ZSCORE', holders, ticket) then return 0 end
forgetDeadWaiters(queue, waiters, now)
local rank = redis.call('ZRANK', queue, ticket)
if not rank then
  redis.call('ZADD', queue, redis.call('INCR', sequence), ticket)
  rank = redis.call('ZRANK', queue, ticket)
end
local free = capacity - redis.call('ZCARD', holders)
if rank < free then
  redis.call('ZREM', queue, ticket)
  redis.call('ZREM', waiters, ticket)
  redis.call('ZADD', holders, now + lease, ticket)
  redis.call('PEXPIRE', holders, lease * 2)
  return 0
end
redis.call('ZADD', waiters, now + waiterTtl, ticket)
redis.call('PEXPIRE', queue, waiterTtl * 2)
redis.call('PEXPIRE', waiters, waiterTtl * 2)
return rank - math.max(free, 0) + 1
`;

/**
 * Frees an upstream slot (or a queued ticket that gave up) and hands every free slot to the queue's
 * head at once, in arrival order, so no slot sits idle until a waiter polls. The admitted are told
 * over the wake-up channel in the same step (wakeup-channel.ts: first line `<origin> all`, then one
 * topic `gate:<ticket>` per line). KEYS: holders, queue, waiters. ARGV: ticket, capacity, leaseMs,
 * channel, origin. Returns the admitted tickets.
 */
export const GATE_RELEASE = `${NOW}${FORGET_DEAD_WAITERS}
local holders, queue, waiters = KEYS[1], KEYS[2], KEYS[3]
local ticket, capacity, lease = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local channel, origin = ARGV[4], ARGV[5]
redis.call('ZREM', holders, ticket)
redis.call('ZREM', queue, ticket)
redis.call('ZREM', waiters, ticket)
redis.call('ZREMRANGEBYSCORE', holders, '-inf', now)
forgetDeadWaiters(queue, waiters, now)
local free = capacity - redis.call('ZCARD', holders)
local admitted = {}
while free > 0 do
  local head = redis.call('ZRANGE', queue, 0, 0)[1]
  if not head then break end
  redis.call('ZREM', queue, head)
  redis.call('ZREM', waiters, head)
  redis.call('ZADD', holders, now + lease, head)
  admitted[#admitted + 1] = head
  free = free - 1
end
if #admitted > 0 then
  redis.call('PEXPIRE', holders, lease * 2)
  if channel ~= '' then
    redis.call('PUBLISH', channel, origin .. ' all\\ngate:' .. table.concat(admitted, '\\ngate:'))
  end
end
return admitted
`;

/** Extends a held slot's lease. KEYS: holders. ARGV: ticket, leaseMs. Returns 1, or 0 if lost. */
export const GATE_RENEW = `${NOW}
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
  return 1
end
return 0
`;

/**
 * Compare-and-set of one Keyv value, optionally fenced by a lock: the read-modify-write of
 * `KeyValueStore.update` on Redis. The caller read the value, computed the next one, and sends the
 * SHA-1 of what it read; the write happens only if the value is still that one (else the caller
 * reads again) and, when a lock key is given, only if that lock still holds the caller's ticket.
 * KEYS: value key [, lock key]. ARGV: SHA-1 of the value read ('' = absent), next value
 * ('' = delete), ttlMs ('' = none), lock holder.
 * Returns 1 when written, 0 when the value changed meanwhile, -1 when the lock is not held.
 */
export const GUARDED_COMPARE_AND_SET = `
if #KEYS > 1 and redis.call('GET', KEYS[2]) ~= ARGV[4] then return -1 end
local current = redis.call('GET', KEYS[1])
local seen = ''
if current then seen = redis.sha1hex(current) end
if seen ~= ARGV[1] then return 0 end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
elseif ARGV[3] == '' then
  redis.call('SET', KEYS[1], ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1
`;
