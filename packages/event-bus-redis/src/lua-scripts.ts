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
 * Appends a batch, all or nothing.
 * KEYS: `ids` (hash id → record), `order` (list of ids, oldest first); then per touched channel
 * `head, hist, order`.
 * ARGV: window_ms, max_ids, n_channels, publish command (`PUBLISH`, or `SPUBLISH` on a Redis Cluster:
 * sharded pub/sub, the topic hash-tagged into the channel's slot), check_only ('1': return the
 * conflicts and store nothing); per channel `kind, cap, new_epoch, topic, name`; per event
 * `channel_index, check ('1' = publisher-supplied id: look it up; '0' = an id minted by the gateway:
 * only record it), id, type, digest, envelope_head, envelope_tail, latest_key ('' = none)`.
 * Returns `{ epochs[], results[], conflicts[] }`: per event its seq, or `"<channel>:<seq>"` of the
 * original for a repeat of the same event (same type and data digest, stored before or earlier in
 * the batch: nothing stored, nothing published). `conflicts` lists `index, type` pairs (0-based
 * index, the type holding the id) of ids held by a different event; if it is not empty nothing was
 * stored and `results` is empty.
 *
 * Idempotency records, `"<channel>:<seq>:<type>:<digest>:<expires_ms>:<epoch>"`, are kept for every
 * stored event, minted ids included: a caller told that the outcome of an append is unknown retries
 * with its ids, and this script, being atomic, stores each event once whichever attempt runs first.
 * A record past its expiry (Redis's clock) is ignored; expired records are swept from the front of
 * the order list a few per call, and at most `max_ids` ids are kept — beyond that the oldest are
 * evicted first, as the memory engine does. Lookups, records and the order list take one call per
 * 1000 events each (HMGET, HSET, RPUSH), not one per event: `redis.call` is most of a script's cost.
 *
 * The envelope is spliced, not encoded here: the engine serializes `{"type":…,"channel":…,"id":…,
 * "seq":` and `,"ts":…,"data":…}` once in Node and the script concatenates seq and epoch in between.
 * Redis's cjson is not an option for correctness alone: it prints numbers with 14 significant digits
 * (ts 1764115200.123456 came back as 1764115200.1235), turns an empty array into `{}` and does not
 * keep key order. bench/envelope-assembly.bench.ts (batches of 100 ~260-byte events, Redis-side
 * time from INFO commandstats) measured 3.5 µs/event for this script when it recorded publisher ids
 * only, versus 5.3 µs/event for a cjson decode+encode script doing less. Recording every id costs
 * more: on a loaded 2-core machine, interleaved runs measured 6.3 → 9.8 µs/event for minted ids and
 * 9.3 → 11.1 µs/event for publisher ids (old script → this one).
 * Each channel's events of one batch go out as ONE pub/sub message, envelopes joined by "\\n"
 * (JSON.stringify never emits a raw newline).
 */
export const APPEND_LUA = `${CHANNEL_HEAD}
local ids_key, order_key = KEYS[1], KEYS[2]
local window = tonumber(ARGV[1])
local max_ids = tonumber(ARGV[2])
local nch = tonumber(ARGV[3])
local publish_cmd = ARGV[4]
local check_only = ARGV[5] == '1'
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local chans = {}
local a = 6
for c = 1, nch do
  local k = 2 + (c - 1) * 3
  local ch = { head = KEYS[k + 1], hist = KEYS[k + 2], order = KEYS[k + 3],
    kind = ARGV[a], cap = tonumber(ARGV[a + 1]), topic = ARGV[a + 3], name = ARGV[a + 4],
    msgs = {}, wrote = false }
  ch.epoch, ch.seq = channel_head(ch.head, ch.hist, ch.order, ARGV[a + 2])
  ch.start = ch.seq
  chans[c] = ch
  a = a + 5
end
local first_event = a
local n_events = (#ARGV - first_event + 1) / 8

-- HDEL in chunks: unpack() of thousands of ids would overflow Lua's C stack.
local function forget(list)
  for j = 1, #list, 500 do
    redis.call('HDEL', ids_key, unpack(list, j, math.min(j + 499, #list)))
  end
end

-- Sweep expired records from the front (oldest first), up to one more than this call adds. The
-- front record alone is read first: most calls find it unexpired and sweep nothing.
local function expired_at(rec)
  local expires = rec and tonumber(string.match(rec, '^[^:]*:%d+:[^:]*:[^:]*:(%d+):'))
  return not (expires and expires > now)
end
local oldest = redis.call('LINDEX', order_key, 0)
if oldest and expired_at(redis.call('HGET', ids_key, oldest)) then
  local front = redis.call('LRANGE', order_key, 0, n_events)
  local recs = redis.call('HMGET', ids_key, unpack(front))
  local gone, count = {}, 0
  for j = 1, #front do
    if not expired_at(recs[j]) then break end
    if recs[j] then gone[#gone + 1] = front[j] end
    count = j
  end
  redis.call('LPOP', order_key, count)
  forget(gone)
end

-- First pass, nothing written: repeats and conflicts, against the records and earlier events.
-- The records of every publisher-supplied id come in one HMGET per 1000 ids.
local lookup, records = {}, {}
for i = 1, n_events do
  local e = first_event + (i - 1) * 8
  if ARGV[e + 1] == '1' then lookup[#lookup + 1] = ARGV[e + 2] end
end
for j = 1, #lookup, 1000 do
  local got = redis.call('HMGET', ids_key, unpack(lookup, j, math.min(j + 999, #lookup)))
  for k = 1, #got do
    if got[k] then records[lookup[j + k - 1]] = got[k] end
  end
end
local in_batch = {}
local repeats = {}
local conflicts = {}
for i = 1, n_events do
  local e = first_event + (i - 1) * 8
  if ARGV[e + 1] == '1' then
    local id, typ, digest = ARGV[e + 2], ARGV[e + 3], ARGV[e + 4]
    local held = in_batch[id]
    local rec = not held and records[id]
    if rec then
      local r_ch, r_seq, r_type, r_digest, r_exp, r_epoch = string.match(rec, '^([^:]*):(%d+):([^:]*):([^:]*):(%d+):(.*)$')
      -- A record from a voided epoch of this channel no longer stands (its event is gone with
      -- that history), so the event is stored again.
      local ch = chans[tonumber(ARGV[e])]
      if r_ch and tonumber(r_exp) > now and not (r_ch == ch.name and r_epoch ~= ch.epoch) then
        held = { type = r_type, digest = r_digest, result = r_ch .. ':' .. r_seq }
      end
    end
    if held and (held.type ~= typ or held.digest ~= digest) then
      conflicts[#conflicts + 1] = i - 1
      conflicts[#conflicts + 1] = held.type
    elseif held then
      repeats[i] = held
    else
      in_batch[id] = { type = typ, digest = digest }
    end
  end
end
if #conflicts > 0 or check_only then return { {}, {}, conflicts } end

local results = {}
local expires = string.format('%d', now + window)
local recorded, pushed = {}, {}
for i = 1, n_events do
  local e = first_event + (i - 1) * 8
  local held = repeats[i]
  if held then
    -- An earlier event of this batch has its result once it was stored (below, in order).
    results[i] = held.result
  else
    local ch = chans[tonumber(ARGV[e])]
    local id = ARGV[e + 2]
    local seq = ch.seq + 1
    ch.seq = seq
    local json = ARGV[e + 5] .. seq .. ',"epoch":"' .. ch.epoch .. '"' .. ARGV[e + 6]
    local result = ch.name .. ':' .. seq
    recorded[#recorded + 1] = id
    recorded[#recorded + 1] = result .. ':' .. ARGV[e + 3] .. ':' .. ARGV[e + 4] .. ':' .. expires .. ':' .. ch.epoch
    pushed[#pushed + 1] = id
    local mine = in_batch[id]
    if mine then mine.result = result end
    if ch.kind == 'ring' then
      redis.call('XADD', ch.hist, 'MAXLEN', '~', ch.cap, seq .. '-0', 'e', json)
      ch.wrote = true
    elseif ch.kind == 'latest' and ARGV[e + 7] ~= '' then
      local key = ARGV[e + 7]
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
end

-- The records, in one HSET and one RPUSH per 1000 events.
local length = 0
if max_ids > 0 then
  for j = 1, #pushed, 1000 do
    local last = math.min(j + 999, #pushed)
    redis.call('HSET', ids_key, unpack(recorded, 2 * j - 1, 2 * last))
    length = redis.call('RPUSH', order_key, unpack(pushed, j, last))
  end
end

-- Keep at most max_ids: evict from the front, the oldest. (A record stored again after it expired
-- is in the list twice; evicting its older entry drops it early, never keeps more than max_ids.)
if length > max_ids then
  forget(redis.call('LPOP', order_key, length - max_ids))
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
    redis.call(publish_cmd, ch.topic, table.concat(ch.msgs, '\\n'))
  end
end
return { epochs, results, {} }
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

/**
 * Which of the given ids one channel's idempotency records hold, for a Redis Cluster, where each
 * channel keeps its records in its own slot: an append looks its publisher ids up in every other
 * channel's records before storing, so an id is refused on a second channel as on one Redis.
 * KEYS: `ids` (the hash id → record). ARGV: the ids. Returns per id the type holding it within its
 * window (Redis's clock), or '' when none does.
 */
export const HELD_IDS_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for j = 1, #ARGV, 1000 do
  local recs = redis.call('HMGET', KEYS[1], unpack(ARGV, j, math.min(j + 999, #ARGV)))
  for k = 1, #recs do
    local typ, expires = nil, nil
    if recs[k] then typ, expires = string.match(recs[k], '^[^:]*:%d+:([^:]*):[^:]*:(%d+):') end
    if typ and tonumber(expires) > now then out[#out + 1] = typ else out[#out + 1] = '' end
  end
end
return out
`;
