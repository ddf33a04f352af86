/**
 * The engine's Lua scripts. Each runs atomically in Redis, so seq assignment, history, idempotency
 * and PUBLISH happen as one step for every instance sharing the Redis. ioredis `defineCommand` sends
 * each script's source once per connection and calls it by SHA afterwards (and again after a Redis
 * restart, on NOSCRIPT).
 *
 * Keys per channel (see `RedisKeys`): `head` hash {epoch, seq, hist}, `hist` (a Stream for ring
 * channels, a hash component → envelope JSON for latest channels), `order` (latest channels: zset
 * component → seq, for seq-ordered snapshots and the key cap). Stream entry ids are `<seq>-0`, so a
 * seq range is an XRANGE without a scan.
 */

/**
 * The channel's epoch and seq, renewing the epoch when the head is missing or history that was
 * written has vanished (a Redis restart without persistence, eviction, a manual DEL): the old seqs
 * are then void, so the channel starts over at seq 0 under `new_epoch` (minted by the caller:
 * randomness stays out of the script).
 */
const CHANNEL_HEAD = `
local function channel_head(head_key, hist_key, order_key, new_epoch)
  local h = redis.call('HMGET', head_key, 'epoch', 'seq', 'hist')
  if h[1] and not (h[3] and redis.call('EXISTS', hist_key) == 0) then
    return h[1], tonumber(h[2])
  end
  redis.call('DEL', hist_key, order_key)
  redis.call('DEL', head_key)
  redis.call('HSET', head_key, 'epoch', new_epoch, 'seq', 0)
  return new_epoch, 0
end
`;

/**
 * Appends a batch.
 * KEYS: per touched channel `head, hist, order`; then one idempotency key per idempotent event.
 * ARGV: window_ms, n_channels; per channel `kind, cap, new_epoch, topic, name`; per event
 * `channel_index, idempotent ('1'|'0'), envelope_head, envelope_tail, latest_key ('' = none)`.
 * Returns `{ epochs[], results[] }`: per event its seq, or `"<channel>:<seq>"` of the original for a
 * repeated idempotent id (nothing stored, nothing published). Idempotency keys hold
 * `"<channel>:<seq>:<epoch>"`, set with PX = the window.
 *
 * The envelope is spliced, not encoded here: the engine serializes `{"type":…,"channel":…,"id":…,
 * "seq":` and `,"ts":…,"data":…}` once in Node and the script concatenates seq and epoch in between.
 * Redis's cjson is not an option for correctness alone: it prints numbers with 14 significant digits
 * (ts 1764115200.123456 came back as 1764115200.1235), turns an empty array into `{}` and does not
 * keep key order. It is also slower: bench/envelope-assembly.bench.ts (batches of 100 ~260-byte
 * events, Redis-side time from INFO commandstats) measured 3.5 µs/event for this whole script
 * (splice, head, XADD, PUBLISH) versus 5.3 µs/event for a cjson decode+encode script doing less.
 * Each channel's events of one batch go out as ONE pub/sub message, envelopes joined by "\\n"
 * (JSON.stringify never emits a raw newline).
 */
export const APPEND_LUA = `${CHANNEL_HEAD}
local window = ARGV[1]
local nch = tonumber(ARGV[2])
local chans = {}
local a = 3
for c = 1, nch do
  local k = (c - 1) * 3
  local ch = { head = KEYS[k + 1], hist = KEYS[k + 2], order = KEYS[k + 3],
    kind = ARGV[a], cap = tonumber(ARGV[a + 1]), topic = ARGV[a + 3], name = ARGV[a + 4],
    msgs = {}, wrote = false }
  ch.epoch, ch.seq = channel_head(ch.head, ch.hist, ch.order, ARGV[a + 2])
  ch.start = ch.seq
  chans[c] = ch
  a = a + 5
end
local nkey = nch * 3
local results = {}
local i = 0
while a <= #ARGV do
  i = i + 1
  local ch = chans[tonumber(ARGV[a])]
  local idem_key = false
  if ARGV[a + 1] == '1' then
    nkey = nkey + 1
    idem_key = KEYS[nkey]
  end
  local seen = idem_key and redis.call('GET', idem_key)
  if seen then
    -- "<channel>:<seq>:<epoch>"; a result from a voided epoch of this channel no longer stands
    -- (its event is gone with that history), so the event is stored again.
    local s_ch, s_seq, s_epoch = string.match(seen, '^([^:]*):(%d+):(.*)$')
    if s_ch == ch.name and s_epoch ~= ch.epoch then
      seen = false
    else
      seen = s_ch .. ':' .. s_seq
    end
  end
  if seen then
    results[i] = seen
  else
    local seq = ch.seq + 1
    ch.seq = seq
    local json = ARGV[a + 2] .. seq .. ',"epoch":"' .. ch.epoch .. '"' .. ARGV[a + 3]
    if idem_key then redis.call('SET', idem_key, ch.name .. ':' .. seq .. ':' .. ch.epoch, 'PX', window) end
    if ch.kind == 'ring' then
      redis.call('XADD', ch.hist, 'MAXLEN', '~', ch.cap, seq .. '-0', 'e', json)
      ch.wrote = true
    elseif ch.kind == 'latest' and ARGV[a + 4] ~= '' then
      local key = ARGV[a + 4]
      redis.call('HSET', ch.hist, key, json)
      redis.call('ZADD', ch.order, seq, key)
      if redis.call('ZCARD', ch.order) > ch.cap then
        local evicted = redis.call('ZPOPMIN', ch.order)
        redis.call('HDEL', ch.hist, evicted[1])
      end
      ch.wrote = true
    end
    ch.msgs[#ch.msgs + 1] = json
    results[i] = seq
  end
  a = a + 5
end
local epochs = {}
for c = 1, nch do
  local ch = chans[c]
  epochs[c] = ch.epoch
  if ch.seq ~= ch.start then
    if ch.wrote then
      redis.call('HSET', ch.head, 'seq', ch.seq, 'hist', 1)
    else
      redis.call('HSET', ch.head, 'seq', ch.seq)
    end
    redis.call('PUBLISH', ch.topic, table.concat(ch.msgs, '\\n'))
  end
end
return { epochs, results }
`;

/**
 * Reads one channel's retained events atomically with its head.
 * KEYS: `head, hist, order`.
 * ARGV: kind, cap (ring: answer only the last `cap` seqs; 0 = whatever the Stream holds), new_epoch, since_epoch ('' = whatever is current), after_seq, until_seq (-1 = head),
 * limit (-1 = all), newest ('1' = the newest `limit` instead of the first `limit` after after_seq).
 * Returns `{ epoch, seq, matched, json… }`; `matched` is 0 when since_epoch is not the current epoch
 * or after_seq is beyond the head, and the events are then everything retained.
 * Ring channels answer exactly the last `cap` seqs, although `MAXLEN ~` may keep a few more.
 */
export const READ_LUA = `${CHANNEL_HEAD}
local kind, cap = ARGV[1], tonumber(ARGV[2])
local epoch, seq = channel_head(KEYS[1], KEYS[2], KEYS[3], ARGV[3])
local after = tonumber(ARGV[5])
local matched = 1
if (ARGV[4] ~= '' and ARGV[4] ~= epoch) or after > seq then
  matched = 0
  after = 0
end
local upto = tonumber(ARGV[6])
if upto < 0 or upto > seq then upto = seq end
local limit = tonumber(ARGV[7])
local newest = ARGV[8] == '1'
local out = { epoch, seq, matched }
if limit == 0 then return out end
if kind == 'ring' then
  local from = after + 1
  if cap > 0 then from = math.max(from, seq - cap + 1) end
  if limit > 0 and newest then from = math.max(from, upto - limit + 1) end
  if from <= upto then
    local entries
    if limit > 0 then
      entries = redis.call('XRANGE', KEYS[2], from, upto, 'COUNT', limit)
    else
      entries = redis.call('XRANGE', KEYS[2], from, upto)
    end
    for _, e in ipairs(entries) do out[#out + 1] = e[2][2] end
  end
elseif kind == 'latest' then
  local keys
  if limit > 0 and newest then
    local rev = redis.call('ZREVRANGEBYSCORE', KEYS[3], upto, '(' .. after, 'LIMIT', 0, limit)
    keys = {}
    for j = #rev, 1, -1 do keys[#keys + 1] = rev[j] end
  elseif limit > 0 then
    keys = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. after, upto, 'LIMIT', 0, limit)
  else
    keys = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. after, upto)
  end
  -- HMGET in chunks: unpack() of 10 000 keys would overflow Lua's C stack.
  for j = 1, #keys, 1000 do
    local vals = redis.call('HMGET', KEYS[2], unpack(keys, j, math.min(j + 999, #keys)))
    for _, v in ipairs(vals) do
      if v then out[#out + 1] = v end
    end
  end
end
return out
`;

/**
 * Every channel's head. KEYS: `head, hist, order` per channel; ARGV: a new epoch per channel.
 * Returns `{ epoch1, seq1, epoch2, seq2, … }`.
 */
export const HEADS_LUA = `${CHANNEL_HEAD}
local out = {}
for c = 1, #ARGV do
  local k = (c - 1) * 3
  local epoch, seq = channel_head(KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], ARGV[c])
  out[#out + 1] = epoch
  out[#out + 1] = seq
end
return out
`;
