// Lua run atomically by the Redis control plane on one collection's two keys, which share a hash
// tag (one slot on a Redis Cluster): KEYS[1] the index (sorted set: id → expiry, Unix ms),
// KEYS[2] the records (hash: id → value). Both scripts first remove the expired records.

const SWEEP = `
local now = tonumber(ARGV[1])
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if #gone > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  for i = 1, #gone, 1000 do redis.call('HDEL', KEYS[2], unpack(gone, i, math.min(i + 999, #gone))) end
end
`;

/**
 * ARGV: now, expires_at, id, value, max. Returns {stored (1|0), count}. Both keys expire with their
 * last record, so an abandoned collection leaves nothing behind.
 */
export const PUT_SCRIPT = `${SWEEP}
local id = ARGV[3]
local count = redis.call('ZCARD', KEYS[1])
if not redis.call('ZSCORE', KEYS[1], id) then
  if count >= tonumber(ARGV[5]) then return {0, count} end
  count = count + 1
end
redis.call('ZADD', KEYS[1], ARGV[2], id)
redis.call('HSET', KEYS[2], id, ARGV[4])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
redis.call('PEXPIREAT', KEYS[2], last[2])
return {1, count}
`;

/** ARGV: now. Returns a flat list id, expiry, value, … soonest expiry first. */
export const LIST_SCRIPT = `${SWEEP}
local ids = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local out = {}
for i = 1, #ids, 2 do
  out[#out + 1] = ids[i]
  out[#out + 1] = ids[i + 1]
  out[#out + 1] = redis.call('HGET', KEYS[2], ids[i]) or ''
end
return out
`;
